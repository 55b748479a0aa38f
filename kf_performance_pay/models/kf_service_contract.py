from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

MANAGER_GROUP = "kf_customer_service.group_kf_manager"


class KfServiceContract(models.Model):
    _inherit = "kf.service.contract"

    kf_signer_id = fields.Many2one(
        "res.users",
        string="Signed By",
        compute="_compute_kf_signer_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        tracking=True,
        domain="[('share', '=', False)]",
        help="Employee who signed the maintenance contract: the maintenance commission on the fees received goes "
        "to them. Set by a customer-service manager; locked once the contract runs.",
    )
    kf_maint_pay_status = fields.Text(
        string="Executors' Commission",
        compute="_compute_kf_maint_pay_status",
        groups="base.group_user",
        help="Whether the executors' maintenance commission falls due, and what still stops it.",
    )

    @api.depends("user_id")
    def _compute_kf_signer_id(self):
        for contract in self:
            contract.kf_signer_id = contract.kf_signer_id or contract.user_id

    def _compute_kf_maint_pay_status(self):
        maintenance = self.filtered(lambda c: c.contract_type == "maintenance" and c.id)
        checks = self.env["kf.pay.statement"]._kf_maint_executor_checks(maintenance) if maintenance else {}
        for contract in self:
            check = checks.get(contract.id)
            contract.kf_maint_pay_status = check["status"] if check else False

    @api.model_create_multi
    def create(self, vals_list):
        contracts = super().create(vals_list)
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            for contract, vals in zip(contracts, vals_list, strict=True):
                if vals.get("kf_signer_id") and contract.kf_signer_id != contract.user_id:
                    raise AccessError(self.env._("Only a customer-service manager names the signer of a contract."))
        return contracts

    def write(self, vals):
        if "kf_signer_id" in vals and not self.env.su:
            self._kf_check_signer_writable(vals["kf_signer_id"])
        return super().write(vals)

    def _kf_check_signer_writable(self, signer_id):
        """The signer earns the commission: a manager names them, and only
        before the contract runs."""
        changed = self.filtered(lambda c: c.kf_signer_id.id != (signer_id or False))
        if not changed:
            return
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager names the signer of a contract."))
        running = changed.filtered(lambda c: c.state != "draft")
        if running:
            raise UserError(
                self.env._(
                    "The signer of a confirmed contract is kept (the commission counts for them): %(names)s",
                    names=", ".join(running.mapped("name")),
                )
            )
