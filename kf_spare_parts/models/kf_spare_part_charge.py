from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class KfSparePartCharge(models.Model):
    """A deduction from a borrower's pay for a lost or damaged part, at the
    product's sale price; performance pay reads the confirmed ones."""

    _name = "kf.spare.part.charge"
    _description = "Spare-Part Charge"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    user_id = fields.Many2one("res.users", string="Borrower", required=True, index=True, tracking=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(required=True, tracking=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    loan_id = fields.Many2one("kf.spare.loan", index=True, check_company=True)
    product_id = fields.Many2one("product.product", string="Part")
    lot_id = fields.Many2one("stock.lot", string="Serial Number")
    note = fields.Text()
    state = fields.Selection(
        [("draft", "To Confirm"), ("confirmed", "Confirmed"), ("deducted", "Deducted"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        tracking=True,
        index=True,
    )

    _sql_constraints = [("amount_positive", "CHECK(amount >= 0)", "A charge cannot be negative.")]

    @api.model_create_multi
    def create(self, vals_list):
        self._kf_check_keeper()
        return super().create(vals_list)

    def write(self, vals):
        self._kf_check_keeper()
        if not self.env.su and "state" in vals and not self.env.user.has_group("kf_customer_service.group_kf_manager"):
            raise AccessError(self.env._("Only a customer-service manager confirms or cancels a charge."))
        if not self.env.su and any(rec.state == "deducted" for rec in self):
            raise UserError(self.env._("A charge deducted from pay cannot change."))
        return super().write(vals)

    def _kf_check_keeper(self):
        if not self.env.su and not self.env.user.has_group("kf_spare_parts.group_kf_spare_keeper"):
            raise AccessError(self.env._("Only the spare-part clerk and the manager record charges."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Charges are never deleted: cancel them."))

    def action_confirm(self):
        self.filtered(lambda rec: rec.state == "draft").write({"state": "confirmed"})
        return True

    def action_cancel(self):
        self.filtered(lambda rec: rec.state in ("draft", "confirmed")).write({"state": "cancelled"})
        return True

    @api.model
    def kf_amounts(self, date_from, date_to, company=None):
        """{user id: confirmed or deducted charges dated in [date_from,
        date_to]}, one grouped query (read by performance pay)."""
        domain = [("state", "in", ("confirmed", "deducted")), ("date", ">=", date_from), ("date", "<=", date_to)]
        if company:
            domain.append(("company_id", "=", company.id))
        return {user.id: amount for user, amount in self._read_group(domain, ["user_id"], ["amount:sum"])}
