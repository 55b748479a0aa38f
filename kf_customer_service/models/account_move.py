from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class AccountMove(models.Model):
    _inherit = "account.move"

    kf_payment_line_id = fields.Many2one(
        "kf.contract.payment.line",
        string="Payment Schedule Line",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The contract payment schedule line this customer invoice bills.",
    )
    kf_contract_id = fields.Many2one(
        "kf.service.contract",
        string="Service Contract",
        compute="_compute_kf_contract_id",
        store=True,
        recursive=True,
        index="btree_not_null",
    )

    @api.depends("kf_payment_line_id.contract_id", "reversed_entry_id.kf_contract_id")
    def _compute_kf_contract_id(self):
        for move in self:
            move.kf_contract_id = move.kf_payment_line_id.contract_id or move.reversed_entry_id.kf_contract_id

    def init(self):
        res = super().init()
        # a payment line has at most one live (not cancelled) invoice, even
        # when two transactions invoice it at once
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS account_move_kf_payment_line_live_uniq
                   ON account_move (kf_payment_line_id)
                   WHERE kf_payment_line_id IS NOT NULL AND state != 'cancel'"""
            )
        )
        return res

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("kf_payment_line_id") for vals in vals_list):
            raise UserError(self.env._("Invoice payment schedule lines with their Invoice button."))
        return super().create(vals_list)

    def write(self, vals):
        if "kf_payment_line_id" in vals and not self.env.su:
            raise UserError(self.env._("Invoice payment schedule lines with their Invoice button."))
        return super().write(vals)
