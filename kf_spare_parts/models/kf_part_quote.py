from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

MANAGER_GROUP = "kf_customer_service.group_kf_manager"


class KfPartQuote(models.Model):
    """A supplementary repair quote: the spare parts used on a repair work
    order after its quote was submitted. The quote the customer already
    signed never changes; the parts are approved by the manager and signed by
    the customer on their own, and the work order's billable amount counts
    them once signed."""

    _name = "kf.part.quote"
    _description = "Supplementary Parts Quote"
    _inherit = ["mail.thread"]
    _order = "order_id, id"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, readonly=True)
    order_id = fields.Many2one(
        "kf.dispatch.order", string="Work Order", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    line_ids = fields.One2many("kf.repair.quote.line", "kf_part_quote_id", string="Quote Lines", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(compute="_compute_amount", store=True)
    state = fields.Selection(
        [
            ("to_approve", "Waiting for Approval"),
            ("approved", "Approved"),
            ("consented", "Customer Consented"),
            ("merged", "Merged into the Quote"),
        ],
        default="to_approve",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    approved_by_id = fields.Many2one("res.users", readonly=True)
    approved_on = fields.Datetime(readonly=True)
    signature = fields.Image(attachment=True, max_width=1024, max_height=1024, readonly=True)
    signed_by = fields.Char(readonly=True, tracking=True)
    signed_on = fields.Datetime(readonly=True, tracking=True)

    @api.depends("line_ids.price_subtotal")
    def _compute_amount(self):
        for quote in self:
            quote.amount = sum(quote.line_ids.mapped("price_subtotal"))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Supplementary parts quotes are created by the spare-part returns only."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise AccessError(self.env._("A supplementary parts quote changes through its actions only."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        if not self.env.su:
            raise UserError(self.env._("Supplementary parts quotes are never deleted."))

    def _kf_require_state(self, state):
        wrong = self.filtered(lambda q: q.state != state)
        if wrong:
            raise UserError(
                self.env._(
                    "This is not possible for the supplementary parts quotes %(names)s in their current status.",
                    names=", ".join(wrong.mapped("name")),
                )
            )

    def action_approve(self):
        """The manager approves the parts before they go to the customer."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager can approve a repair quote."))
        self._kf_require_state("to_approve")
        self.check_access("read")
        self.sudo().write({"state": "approved", "approved_by_id": self.env.uid, "approved_on": fields.Datetime.now()})
        self.order_id.sudo().activity_feedback(
            ["kf_dispatch.mail_activity_type_kf_quote_approval"], feedback=self.env._("Quote approved.")
        )
        return True

    def kf_consent(self, signed_by, signature):
        """The customer's signature on the approved parts, collected by the
        work order's executor (or on the sudo record after a portal check),
        once the customer consented to the quote itself."""
        self.ensure_one()
        order = self.order_id
        if not self.env.su and order.user_id != self.env.user:
            raise AccessError(
                self.env._(
                    "Work order %(name)s is not assigned to you: you cannot collect its signature.", name=order.name
                )
            )
        self._kf_require_state("approved")
        if order.kf_quote_state != "consented":
            raise UserError(
                self.env._(
                    "The customer signs the supplementary parts of %(name)s after the repair quote itself.",
                    name=order.name,
                )
            )
        signed_by = (signed_by or "").strip()
        if not signed_by or not signature:
            raise UserError(self.env._("The customer's name and signature are required to consent to the quote."))
        self.sudo().write(
            {"state": "consented", "signature": signature, "signed_by": signed_by, "signed_on": fields.Datetime.now()}
        )
        return True
