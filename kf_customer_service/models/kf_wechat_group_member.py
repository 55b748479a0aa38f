from odoo import api, fields, models


class KfWechatGroupMember(models.Model):
    _name = "kf.wechat.group.member"
    _description = "WeChat Service Group Member"
    _order = "group_id, is_valid, role, name, id"

    group_id = fields.Many2one("kf.wechat.group", required=True, ondelete="cascade", index=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(related="group_id.company_id", store=True, index=True)
    customer_id = fields.Many2one(related="group_id.commercial_partner_id", string="Customer")
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        index="btree_not_null",
        context={"active_test": False},
        help="Leave empty for a member who is not a known contact; then fill in the name.",
    )
    name = fields.Char(
        compute="_compute_name_phone",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    phone = fields.Char(compute="_compute_name_phone", store=True, readonly=False, precompute=True)
    wechat_nickname = fields.Char(string="WeChat Nickname")
    role = fields.Selection(
        [("customer", "Customer"), ("staff", "Our staff"), ("other", "Other")],
        required=True,
        default="customer",
    )
    is_valid = fields.Boolean(string="Valid", default=True)
    date_joined = fields.Date(string="Joined On", default=fields.Date.context_today)
    date_left = fields.Date(string="Left On")
    date_flagged = fields.Date(string="Flagged On", readonly=True, copy=False)
    invalid_reason = fields.Char()

    @api.depends("partner_id")
    def _compute_name_phone(self):
        for member in self:
            if member.partner_id:
                member.name = member.partner_id.name
                member.phone = member.partner_id.mobile or member.partner_id.phone

    def _removal_line(self):
        self.ensure_one()
        label = self.name
        if self.phone:
            label = f"{label} ({self.phone})"
        return self.env._("%(member)s: %(reason)s", member=label, reason=self.invalid_reason or "")

    def action_mark_invalid(self):
        self.write(
            {
                "is_valid": False,
                "date_flagged": fields.Date.context_today(self),
                "invalid_reason": self.env._("Marked invalid manually"),
            }
        )
        return True

    def action_mark_removed(self):
        """The owner removed the members from the WeChat group."""
        self.write({"is_valid": False, "active": False, "date_left": fields.Date.context_today(self)})
        return True

    @api.model
    def _members_to_check_domain(self):
        """Valid members linked to a contact, in active groups: those the
        daily check looks at."""
        return [("is_valid", "=", True), ("partner_id", "!=", False), ("group_id.active", "=", True)]

    @api.model
    def _check_members(self, members=None):
        """Flag valid members who no longer belong to the customer.

        A member linked to a contact is invalid when the contact is archived,
        or, for customer members, when the contact no longer belongs to the
        group's customer. Returns the members flagged by this run.
        """
        if members is None:
            members = self.search(self._members_to_check_domain())
        else:
            members = members.filtered(lambda m: m.is_valid and m.active and m.partner_id and m.group_id.active)
        if not members:
            return members
        # Prefetch in batches: partners (archived ones included) and groups.
        partners = members.partner_id.with_context(active_test=False)
        partners.fetch(["active", "commercial_partner_id"])
        members.group_id.fetch(["commercial_partner_id"])
        archived_ids = []
        left_ids = []
        for member in members:
            partner = member.partner_id
            if not partner.active:
                archived_ids.append(member.id)
            elif member.role == "customer" and partner.commercial_partner_id != member.group_id.commercial_partner_id:
                left_ids.append(member.id)
        archived = self.browse(archived_ids)
        left = self.browse(left_ids)
        today = fields.Date.context_today(self)
        if archived:
            archived.write(
                {
                    "is_valid": False,
                    "date_flagged": today,
                    "invalid_reason": self.env._("Contact archived"),
                }
            )
        if left:
            left.write(
                {
                    "is_valid": False,
                    "date_flagged": today,
                    "invalid_reason": self.env._("No longer belongs to the customer"),
                }
            )
        flagged = archived | left
        if flagged:
            self.env["kf.wechat.group"]._notify_members_to_remove(flagged)
        return flagged

    @api.model
    def _cron_check_members(self):
        """Daily: flag the members of ``_members_to_check_domain()`` who left
        the customer."""
        self._check_members()
