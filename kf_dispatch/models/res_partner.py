from datetime import timedelta

from odoo import api, fields, models

# the stamp (kf.run.stamp) of the week's visit list
VISIT_LIST_JOB = "kf.visit.list"


class ResPartner(models.Model):
    _inherit = "res.partner"

    kf_dispatch_order_count = fields.Integer(
        string="Work Order Count",
        compute="_compute_kf_dispatch_counts",
        groups="kf_customer_service.group_kf_clerk",
    )
    kf_ticket_count = fields.Integer(
        string="Ticket Count",
        compute="_compute_kf_dispatch_counts",
        groups="kf_customer_service.group_kf_clerk",
    )

    def _compute_kf_dispatch_counts(self):
        commercial = self.commercial_partner_id
        counts = {}
        for model_name in ("kf.dispatch.order", "kf.ticket"):
            groups = self.env[model_name]._read_group(
                [("commercial_partner_id", "in", commercial.ids)], ["commercial_partner_id"], ["__count"]
            )
            counts[model_name] = {partner.id: count for partner, count in groups}
        for partner in self:
            key = partner.commercial_partner_id.id
            partner.kf_dispatch_order_count = counts["kf.dispatch.order"].get(key, 0)
            partner.kf_ticket_count = counts["kf.ticket"].get(key, 0)

    def _kf_history_counts(self):
        counts = [
            (
                self._kf_count_referencing("kf.ticket", ["partner_id", "commercial_partner_id", "contact_id"]),
                self.env._("tickets"),
            ),
            (self._kf_count_referencing("kf.problem", ["partner_id", "commercial_partner_id"]), self.env._("problems")),
            (
                self._kf_count_referencing("kf.dispatch.order", ["partner_id", "commercial_partner_id"]),
                self.env._("work orders"),
            ),
        ]
        return super()._kf_history_counts() + [(count, what) for count, what in counts if count]

    def _kf_dispatch_action(self, xmlid, name):
        self.ensure_one()
        commercial = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action.update(
            {
                "name": name,
                "domain": [("commercial_partner_id", "=", commercial.id)],
                "context": {"default_partner_id": commercial.id},
            }
        )
        return action

    def action_view_kf_dispatch_orders(self):
        return self._kf_dispatch_action(
            "kf_dispatch.kf_dispatch_order_action",
            self.env._("Work Orders of %(name)s", name=self.commercial_partner_id.display_name),
        )

    def action_view_kf_tickets(self):
        return self._kf_dispatch_action(
            "kf_dispatch.kf_ticket_action",
            self.env._("Tickets of %(name)s", name=self.commercial_partner_id.display_name),
        )

    @api.model
    def _cron_weekly_visit_list(self):
        """Weekly: for each company, one activity per key customer and per
        customer with equipment in warranty, for the specialist who holds
        the customer (the manager for customers nobody holds), due on the
        week's Friday. Once a week per company, even when two runs meet."""
        today = fields.Date.context_today(self)
        monday = today - timedelta(days=today.weekday())
        for company in self.env["res.company"].sudo().search(self._visit_list_companies_domain(monday)):
            self._kf_create_visit_list(company, monday)
        return True

    @api.model
    def _visit_list_companies_domain(self, monday):
        """Companies whose list of the week starting ``monday`` is not made yet."""
        return [("id", "not in", self.env["kf.run.stamp"].sudo().kf_done_companies(VISIT_LIST_JOB, monday).ids)]

    @api.model
    def _visit_list_customers(self, company, today):
        """Customer companies to visit this week: key customers under
        contract in ``company`` and customers with equipment in warranty."""
        Equipment = self.env["kf.equipment"].sudo()
        in_warranty = Equipment._read_group(
            [("company_id", "=", company.id), ("warranty_end", ">=", today), ("state", "!=", "retired")],
            ["commercial_partner_id"],
        )
        key = (
            self.env["kf.service.contract"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "running"),
                    ("commercial_partner_id.kf_grade", "=", "key"),
                ],
                ["commercial_partner_id"],
            )
        )
        return self.browse(sorted({partner.id for (partner,) in in_warranty + key}))

    @api.model
    def _kf_create_visit_list(self, company, monday):
        if not self.env["kf.run.stamp"].sudo().kf_claim(VISIT_LIST_JOB, company, monday):
            return self.browse()  # made already, or by a concurrent run
        customers = self._visit_list_customers(company, monday)
        # customers without a company fall to the manager of the company scanned
        assignees = (
            self.env["res.users"]
            .with_company(company)
            .kf_activity_users(customers, {partner.id: partner.kf_specialist_id for partner in customers})
        )
        friday = monday + timedelta(days=4)
        values = {}
        for partner in customers:
            user = assignees[partner.id]
            if not user:
                continue
            env_lang = partner.with_context(lang=user.lang or self.env.lang).env
            values[partner.id] = (
                user,
                friday,
                env_lang._("Visit %(customer)s this week", customer=partner.name),
                False,
            )
        self.env["mail.activity"].kf_create_activities(
            customers, "kf_dispatch.mail_activity_type_kf_visit_list", values
        )
        return customers
