from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression

CONTACT_ACTIVITY_XMLID = "kf_customer_service.mail_activity_type_kf_contact_customer"
CONTACT_DELAY_DAYS = 7


class ResPartner(models.Model):
    _inherit = "res.partner"

    kf_specialist_id = fields.Many2one(
        "res.users",
        string="Customer Service Specialist",
        domain="[('share', '=', False)]",
        tracking=True,
        index="btree_not_null",
        help="Customer-service specialist responsible for this customer.",
        groups="base.group_user",
    )
    kf_assign_date = fields.Date(
        string="Assigned On",
        readonly=True,
        copy=False,
        help="Date the current specialist was assigned.",
        groups="base.group_user",
    )
    kf_grade = fields.Selection(
        [("key", "Key"), ("normal", "Normal")],
        string="Customer Grade",
        default="normal",
        tracking=True,
        groups="base.group_user",
    )
    kf_is_customer = fields.Boolean(
        string="Service Customer",
        index=True,
        tracking=True,
        help="A customer of the customer-service department (has service contracts or was flagged as such).",
        groups="base.group_user",
    )
    kf_is_orphan = fields.Boolean(
        string="Orphan Customer",
        compute="_compute_kf_is_orphan",
        store=True,
        help="The salesperson who won this customer is missing, archived or "
        "no longer an internal user, unless overridden manually.",
        groups="base.group_user",
    )
    kf_orphan_override = fields.Selection(
        [("auto", "Automatic"), ("yes", "Orphan"), ("no", "Not orphan")],
        string="Orphan Status",
        default="auto",
        required=True,
        tracking=True,
        groups="base.group_user",
    )
    kf_orphan_reason = fields.Text(
        string="Orphan Override Reason",
        help="Why the orphan status was set manually.",
        groups="base.group_user",
    )
    # Archive completeness: platform, electronic and paper archives.
    kf_archive_platform_done = fields.Boolean(
        string="Platform Archive Complete", tracking=True, groups="base.group_user"
    )
    kf_archive_platform_date = fields.Date(string="Platform Archive Date", groups="base.group_user")
    kf_archive_platform_attachment_ids = fields.Many2many(
        "ir.attachment",
        "kf_partner_archive_platform_attachment_rel",
        "partner_id",
        "attachment_id",
        string="Platform Archive Files",
        groups="base.group_user",
    )
    kf_archive_electronic_done = fields.Boolean(
        string="Electronic Archive Complete",
        tracking=True,
        groups="base.group_user",
    )
    kf_archive_electronic_date = fields.Date(string="Electronic Archive Date", groups="base.group_user")
    kf_archive_electronic_attachment_ids = fields.Many2many(
        "ir.attachment",
        "kf_partner_archive_electronic_attachment_rel",
        "partner_id",
        "attachment_id",
        string="Electronic Archive Files",
        groups="base.group_user",
    )
    kf_archive_paper_done = fields.Boolean(string="Paper Archive Complete", tracking=True, groups="base.group_user")
    kf_archive_paper_date = fields.Date(string="Paper Archive Date", groups="base.group_user")
    kf_archive_paper_attachment_ids = fields.Many2many(
        "ir.attachment",
        "kf_partner_archive_paper_attachment_rel",
        "partner_id",
        "attachment_id",
        string="Paper Archive Scans",
        groups="base.group_user",
    )
    kf_archive_complete = fields.Boolean(
        string="Archives Complete",
        compute="_compute_kf_archive_complete",
        store=True,
        groups="base.group_user",
    )
    kf_contract_count = fields.Integer(
        string="Contracts",
        compute="_compute_kf_contract_count",
        groups="base.group_user",
    )
    kf_visit_count = fields.Integer(string="Visits", compute="_compute_kf_visit_count", groups="base.group_user")
    kf_wechat_group_count = fields.Integer(
        string="WeChat Groups",
        compute="_compute_kf_wechat_group_count",
        groups="base.group_user",
    )

    @api.depends(
        "kf_is_customer",
        "kf_orphan_override",
        "user_id",
        "user_id.active",
        "user_id.share",
    )
    def _compute_kf_is_orphan(self):
        for partner in self:
            if partner.kf_orphan_override != "auto":
                partner.kf_is_orphan = partner.kf_orphan_override == "yes"
                continue
            salesperson = partner.user_id.sudo()
            partner.kf_is_orphan = partner.kf_is_customer and (
                not salesperson or not salesperson.active or salesperson.share
            )

    @api.depends("kf_archive_platform_done", "kf_archive_electronic_done", "kf_archive_paper_done")
    def _compute_kf_archive_complete(self):
        for partner in self:
            partner.kf_archive_complete = (
                partner.kf_archive_platform_done
                and partner.kf_archive_electronic_done
                and partner.kf_archive_paper_done
            )

    def _kf_count_by_commercial_partner(self, model_name, extra_domain=None):
        """Count records of ``model_name`` per commercial partner of ``self``
        in one grouped query; ``model_name`` must have a stored
        ``commercial_partner_id``."""
        commercial = self.commercial_partner_id
        if not commercial.ids:
            return {}
        domain = [("commercial_partner_id", "in", commercial.ids)] + (extra_domain or [])
        groups = self.env[model_name]._read_group(domain, ["commercial_partner_id"], ["__count"])
        return {partner.id: count for partner, count in groups}

    def _compute_kf_contract_count(self):
        counts = self._kf_count_by_commercial_partner("kf.service.contract")
        for partner in self:
            partner.kf_contract_count = counts.get(partner.commercial_partner_id.id, 0)

    def _compute_kf_visit_count(self):
        counts = self._kf_count_by_commercial_partner("kf.visit")
        for partner in self:
            partner.kf_visit_count = counts.get(partner.commercial_partner_id.id, 0)

    def _compute_kf_wechat_group_count(self):
        counts = self._kf_count_by_commercial_partner("kf.wechat.group")
        for partner in self:
            partner.kf_wechat_group_count = counts.get(partner.commercial_partner_id.id, 0)

    def _kf_count_referencing(self, model_name, field_names):
        """Count the records of ``model_name`` (archived ones included) whose
        ``field_names`` point to a partner of ``self``."""
        domain = expression.OR([[(fname, "in", self.ids)] for fname in field_names])
        return self.env[model_name].sudo().with_context(active_test=False).search_count(domain)

    def _kf_history_counts(self):
        """The department's records that refer to the partners in ``self``,
        as a list of ``(count, description)``. A partner with any of them is
        archived, never deleted. Higher addons add their own records."""
        counts = [
            (
                self._kf_count_referencing("kf.service.contract", ["partner_id", "commercial_partner_id"]),
                self.env._("service contracts"),
            ),
            (
                self._kf_count_referencing("kf.visit", ["partner_id", "commercial_partner_id", "contact_id"]),
                self.env._("visits"),
            ),
            (
                self._kf_count_referencing("kf.wechat.group", ["partner_id", "commercial_partner_id"]),
                self.env._("WeChat groups"),
            ),
            (
                self._kf_count_referencing(
                    "kf.customer.document", ["partner_id", "commercial_partner_id", "contact_id"]
                ),
                self.env._("customer documents"),
            ),
        ]
        return [(count, what) for count, what in counts if count]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_kf_history(self):
        if not self.ids:
            return
        history = self._kf_history_counts()
        if history:
            raise UserError(
                self.env._(
                    "%(partners)s cannot be deleted: %(records)s refer to it. Archive it instead.",
                    partners=", ".join(self.mapped("display_name")[:5]),
                    records=", ".join(f"{count} {what}" for count, what in history),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("kf_specialist_id") for vals in vals_list):
            self._kf_check_can_assign()
            today = fields.Date.context_today(self)
            for vals in vals_list:
                if vals.get("kf_specialist_id"):
                    vals.setdefault("kf_assign_date", today)
        partners = super().create(vals_list)
        partners.filtered("kf_specialist_id")._kf_schedule_contact_activity()
        return partners

    def write(self, vals):
        if "kf_specialist_id" not in vals:
            return super().write(vals)
        new_specialist_id = vals["kf_specialist_id"] or False
        changed = self.filtered(lambda p: p.kf_specialist_id.id != new_specialist_id)
        if changed:
            self._kf_check_can_assign()
            if new_specialist_id:
                vals = dict(vals, kf_assign_date=fields.Date.context_today(self))
        previous = {partner.id: partner.kf_specialist_id for partner in changed}
        res = super().write(vals)
        if changed:
            changed._kf_unlink_contact_activity(previous)
            if new_specialist_id:
                changed._kf_schedule_contact_activity()
        return res

    def _kf_check_can_assign(self):
        if self.env.su or self.env.user.has_group("kf_customer_service.group_kf_manager"):
            return
        raise AccessError(self.env._("Only customer-service managers can assign customers to specialists."))

    def _kf_schedule_contact_activity(self):
        """Give each partner's specialist one "contact within 7 days" activity."""
        deadline = fields.Date.context_today(self) + timedelta(days=CONTACT_DELAY_DAYS)
        users = self.env["res.users"].kf_activity_users(
            self, {partner.id: partner.kf_specialist_id for partner in self}
        )
        values = {}
        for partner in self:
            user = users[partner.id]
            env = user.kf_lang_env()
            values[partner.id] = (
                user,
                deadline,
                env._("Contact new customer %(name)s", name=partner.display_name),
                env._(
                    "You are now responsible for this customer: contact them within %(days)s days.",
                    days=CONTACT_DELAY_DAYS,
                ),
            )
        self.env["mail.activity"].kf_create_activities(self, CONTACT_ACTIVITY_XMLID, values, notify=True)

    def _kf_unlink_contact_activity(self, previous):
        """Drop the open contact activity of the previous specialists."""
        activity_type = self.env.ref(CONTACT_ACTIVITY_XMLID, raise_if_not_found=False)
        if not activity_type:
            return
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        )
        activities.filtered(lambda act: act.user_id == previous.get(act.res_id)).unlink()

    def _kf_customer_action(self, model_name, name, view_mode="list,form"):
        self.ensure_one()
        commercial = self.commercial_partner_id
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model_name,
            "view_mode": view_mode,
            "domain": [("commercial_partner_id", "=", commercial.id)],
            "context": {"default_partner_id": commercial.id},
        }

    def action_view_kf_contracts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("kf_customer_service.kf_service_contract_action")
        commercial = self.commercial_partner_id
        action.update(
            {
                "name": self.env._("Contracts of %(name)s", name=self.display_name),
                "domain": [("commercial_partner_id", "=", commercial.id)],
                "context": {"default_partner_id": commercial.id},
            }
        )
        return action

    def action_view_kf_visits(self):
        return self._kf_customer_action(
            "kf.visit",
            self.env._("Visits of %(name)s", name=self.display_name),
            view_mode="list,calendar,kanban,form",
        )

    def action_view_kf_wechat_groups(self):
        return self._kf_customer_action(
            "kf.wechat.group", self.env._("WeChat Groups of %(name)s", name=self.display_name)
        )

    def action_view_kf_documents(self):
        return self._kf_customer_action(
            "kf.customer.document", self.env._("Documents of %(name)s", name=self.display_name)
        )
