from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

SPECIALIST_GROUP = "kf_customer_service.group_kf_specialist"
MANAGER_GROUP = "kf_customer_service.group_kf_manager"


class KfPartnerAssign(models.TransientModel):
    _name = "kf.partner.assign"
    _description = "Assign Customers to Specialists"

    partner_ids = fields.Many2many(
        "res.partner",
        "kf_partner_assign_partner_rel",
        "wizard_id",
        "partner_id",
        string="Customers",
        domain="[('kf_is_customer', '=', True)]",
    )
    specialist_ids = fields.Many2many(
        "res.users",
        "kf_partner_assign_user_rel",
        "wizard_id",
        "user_id",
        string="Specialists",
        domain=lambda self: [
            ("share", "=", False),
            ("groups_id", "in", self.env.ref(SPECIALIST_GROUP).ids),
        ],
    )
    line_ids = fields.One2many("kf.partner.assign.line", "wizard_id", string="Assignments")

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        context = self.env.context
        if "partner_ids" in fields_list and context.get("active_model") == "res.partner" and context.get("active_ids"):
            res["partner_ids"] = [Command.set(context["active_ids"])]
        if "partner_ids" in fields_list and not res.get("partner_ids"):
            unassigned = self.env["res.partner"].search(
                [("kf_is_customer", "=", True), ("kf_specialist_id", "=", False)]
            )
            res["partner_ids"] = [Command.set(unassigned.ids)]
        if "specialist_ids" in fields_list and not res.get("specialist_ids"):
            specialists = self.env["res.users"].search(
                [
                    ("share", "=", False),
                    ("groups_id", "in", self.env.ref(SPECIALIST_GROUP).ids),
                    ("groups_id", "not in", self.env.ref(MANAGER_GROUP).ids),
                ]
            )
            res["specialist_ids"] = [Command.set(specialists.ids)]
        return res

    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only customer-service managers can assign customers."))

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Assign Customers"),
        }

    def _current_load(self):
        """Customers per specialist and grade, excluding the ones being assigned.

        Returns {user_id: [key_count, total_count]} in one grouped query.
        """
        load = {user.id: [0, 0] for user in self.specialist_ids}
        groups = self.env["res.partner"]._read_group(
            [
                ("kf_is_customer", "=", True),
                ("kf_specialist_id", "in", self.specialist_ids.ids),
                ("id", "not in", self.partner_ids.ids),
            ],
            ["kf_specialist_id", "kf_grade"],
            ["__count"],
        )
        for user, grade, count in groups:
            if grade == "key":
                load[user.id][0] += count
            load[user.id][1] += count
        return load

    def _propose(self):
        """{partner_id: user_id}: key customers first, each to the specialist
        with the fewest key (then total) customers; then normal customers to
        the specialist with the fewest customers overall."""
        self.ensure_one()
        load = self._current_load()
        order = {user.id: index for index, user in enumerate(self.specialist_ids.sorted("id"))}
        proposal = {}
        key_partners = self.partner_ids.filtered(lambda p: p.kf_grade == "key")
        for partner in key_partners.sorted("id"):
            user_id = min(load, key=lambda u: (load[u][0], load[u][1], order[u]))
            load[user_id][0] += 1
            load[user_id][1] += 1
            proposal[partner.id] = user_id
        for partner in (self.partner_ids - key_partners).sorted("id"):
            user_id = min(load, key=lambda u: (load[u][1], load[u][0], order[u]))
            load[user_id][1] += 1
            proposal[partner.id] = user_id
        return proposal

    def action_balance(self):
        self.ensure_one()
        self._check_manager()
        if not self.specialist_ids:
            raise UserError(self.env._("Select at least one specialist to balance over."))
        if not self.partner_ids:
            raise UserError(self.env._("Select the customers to assign."))
        proposal = self._propose()
        self.line_ids = [Command.clear()] + [
            Command.create({"partner_id": partner_id, "user_id": user_id}) for partner_id, user_id in proposal.items()
        ]
        return self._reopen()

    def action_assign(self):
        self.ensure_one()
        self._check_manager()
        lines = self.line_ids.filtered("user_id")
        if not lines:
            raise UserError(self.env._("Nothing to assign: press Balance or add assignment lines first."))
        partner_ids_by_user = {}
        for line in lines:
            partner_ids_by_user.setdefault(line.user_id.id, []).append(line.partner_id.id)
        partners = self.env["res.partner"]
        for user_id, partner_ids in partner_ids_by_user.items():
            batch = partners.browse(partner_ids)
            batch.write({"kf_specialist_id": user_id})
            partners |= batch
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%(count)s customers assigned.", count=len(partners)),
                # closes the wizard and reloads the list behind it
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }


class KfPartnerAssignLine(models.TransientModel):
    _name = "kf.partner.assign.line"
    _description = "Customer Assignment Proposal"

    wizard_id = fields.Many2one("kf.partner.assign", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    grade = fields.Selection(related="partner_id.kf_grade")
    current_user_id = fields.Many2one(related="partner_id.kf_specialist_id", string="Current Specialist")
    user_id = fields.Many2one(
        "res.users",
        string="New Specialist",
        domain=lambda self: [
            ("share", "=", False),
            ("groups_id", "in", self.env.ref(SPECIALIST_GROUP).ids),
        ],
    )
