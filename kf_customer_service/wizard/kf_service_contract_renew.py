from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

DEFAULT_TERM_MONTHS = 12


class KfServiceContractRenew(models.TransientModel):
    """Renew a contract: new start date, term, amount (with a price change in
    percent), a note and, optionally, a quote that a customer-service manager
    approves before the successor starts. The contract's ``kf_renew`` does the
    work (and its checks); the wizard only collects the values."""

    _name = "kf.service.contract.renew"
    _description = "Renew a Service Contract"

    contract_id = fields.Many2one("kf.service.contract", required=True, readonly=True, ondelete="cascade")
    currency_id = fields.Many2one(related="contract_id.currency_id")
    current_amount = fields.Monetary(related="contract_id.amount", string="Current Amount")
    date_start = fields.Date(
        string="New Start Date",
        compute="_compute_from_contract",
        store=True,
        readonly=False,
        required=True,
    )
    term_months = fields.Integer(
        string="Term (months)",
        compute="_compute_from_contract",
        store=True,
        readonly=False,
        required=True,
    )
    date_end = fields.Date(string="New End Date", compute="_compute_date_end")
    price_change = fields.Float(string="Price Change (%)", help="E.g. 5 for a 5% increase, -10 for a 10% discount.")
    amount = fields.Monetary(
        string="New Amount",
        compute="_compute_amount",
        store=True,
        readonly=False,
        required=True,
    )
    note = fields.Text(help="Posted on the new contract.")
    quote = fields.Boolean(
        string="Quote for Approval",
        help="The new contract waits as a quote until a customer-service manager approves it.",
    )

    @api.depends("contract_id")
    def _compute_from_contract(self):
        for wizard in self:
            contract = wizard.contract_id
            if not contract:
                continue
            wizard.date_start = contract.date_end + timedelta(days=1)
            next_start = wizard.date_start
            months = (next_start.year - contract.date_start.year) * 12 + next_start.month - contract.date_start.month
            whole = months > 0 and contract.date_start + relativedelta(months=months) == next_start
            wizard.term_months = months if whole else DEFAULT_TERM_MONTHS

    @api.depends("date_start", "term_months")
    def _compute_date_end(self):
        for wizard in self:
            if wizard.date_start and wizard.term_months > 0:
                wizard.date_end = wizard.date_start + relativedelta(months=wizard.term_months, days=-1)
            else:
                wizard.date_end = False

    @api.depends("contract_id", "price_change")
    def _compute_amount(self):
        for wizard in self:
            amount = wizard.contract_id.amount * (1.0 + wizard.price_change / 100.0)
            wizard.amount = wizard.currency_id.round(amount) if wizard.currency_id else amount

    def action_renew(self):
        self.ensure_one()
        if self.term_months <= 0:
            raise UserError(self.env._("The term of the renewal must be at least one month."))
        successor = self.contract_id.kf_renew(
            self.date_start, self.date_end, self.amount, note=self.note, quote=self.quote
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Successor Contract"),
            "res_model": successor._name,
            "res_id": successor.id,
            "view_mode": "form",
            "target": "current",
        }
