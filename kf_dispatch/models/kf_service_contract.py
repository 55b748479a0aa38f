from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError


class KfServiceContract(models.Model):
    _inherit = "kf.service.contract"

    kf_precondition_ids = fields.One2many(
        "kf.contract.precondition", "contract_id", string="Preconditions", copy=False, groups="base.group_user"
    )
    kf_preconditions_done = fields.Boolean(
        string="Preconditions Met", compute="_compute_kf_preconditions_done", groups="base.group_user"
    )
    kf_plan_id = fields.Many2one(
        "kf.maintenance.plan", string="Maintenance Plan", compute="_compute_kf_plan_id", groups="base.group_user"
    )

    @api.depends("kf_precondition_ids.done")
    def _compute_kf_preconditions_done(self):
        for contract in self:
            contract.kf_preconditions_done = all(contract.kf_precondition_ids.mapped("done"))

    def _compute_kf_plan_id(self):
        plans = self.env["kf.maintenance.plan"].search([("contract_id", "in", self.ids)])
        by_contract = {plan.contract_id: plan for plan in plans}
        for contract in self:
            contract.kf_plan_id = by_contract.get(contract, plans.browse())

    @api.model_create_multi
    def create(self, vals_list):
        contracts = super().create(vals_list)
        contracts.filtered(
            lambda c: c.contract_type == "maintenance" and c.state == "draft" and not c.kf_precondition_ids
        )._kf_seed_preconditions()
        return contracts

    def write(self, vals):
        if vals.get("state") in ("running", "expired"):
            self.filtered(lambda c: c.state == "draft")._kf_check_preconditions()
        res = super().write(vals)
        if vals.get("predecessor_id"):
            # a renewal continues a system already accepted and under
            # maintenance: the checklist for signing a new one does not apply
            self.filtered(lambda c: c.state == "draft").sudo().kf_precondition_ids.filtered(
                lambda p: not p.done
            ).unlink()
        return res

    def _kf_seed_preconditions(self):
        """Copy the company's precondition templates onto these contracts."""
        Template = self.env["kf.contract.precondition.template"].sudo()
        templates = Template.search([("company_id", "in", self.company_id.ids)])
        for contract in self:
            items = templates.filtered(lambda t, c=contract: t.company_id == c.company_id)
            if items:
                contract.sudo().kf_precondition_ids = [
                    Command.create({"name": t.name, "sequence": t.sequence}) for t in items
                ]

    def _kf_check_preconditions(self):
        """A maintenance contract is confirmed only once its precondition
        checklist is complete (whatever the path: button, import, RPC)."""
        for contract in self.filtered(lambda c: not c.predecessor_id):
            missing = contract.sudo().kf_precondition_ids.filtered(lambda p: not p.done)
            if missing:
                raise ValidationError(
                    self.env._(
                        "Contract %(name)s cannot be confirmed before its preconditions are met: %(items)s",
                        name=contract.name,
                        items="; ".join(missing.mapped("name")),
                    )
                )

    def _kf_check_preconditions_editable(self):
        """The checklist of a confirmed contract is the record of what was
        checked before signing: it no longer changes."""
        if self.env.su:
            return
        confirmed = self.filtered(lambda c: c.state != "draft")
        if confirmed:
            raise UserError(
                self.env._(
                    "The preconditions of confirmed contracts cannot be changed: %(names)s",
                    names=", ".join(confirmed.mapped("name")),
                )
            )

    def action_kf_open_plan(self):
        """Open the contract's maintenance plan, creating it when missing."""
        self.ensure_one()
        plan = self.kf_plan_id or self.env["kf.maintenance.plan"].create({"contract_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "res_model": "kf.maintenance.plan",
            "res_id": plan.id,
            "view_mode": "form",
        }
