from odoo import fields, models


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
