import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

OUTCOMES = [("reached", "Reached"), ("confirmed", "Result confirmed"), ("not_satisfied", "Not satisfied")]


class KfServiceCallback(models.Model):
    """The clerk's phone call-back after the manager reviewed a feedback
    form; due the same working day as the review. A dissatisfied customer
    gets a new complaint ticket."""

    _name = "kf.service.callback"
    _description = "Service Call-back"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"

    feedback_id = fields.Many2one(
        "kf.service.feedback", string="Feedback Form", required=True, index=True, ondelete="restrict"
    )
    order_id = fields.Many2one(related="feedback_id.order_id", store=True, index=True)
    company_id = fields.Many2one(related="feedback_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="feedback_id.partner_id", string="Customer", store=True)
    clerk_id = fields.Many2one(
        "res.users", required=True, readonly=True, index=True, default=lambda self: self.env.user
    )
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    outcome = fields.Selection(OUTCOMES, required=True, tracking=True)
    note = fields.Text()
    ticket_id = fields.Many2one("kf.ticket", string="Complaint", readonly=True, copy=False)
    is_late = fields.Boolean(
        compute="_compute_is_late",
        store=True,
        help="Not made on the day (company calendar's time) the manager reviewed the form.",
    )

    @api.depends("date", "feedback_id.reviewed_on")
    def _compute_is_late(self):
        for callback in self:
            review = callback.feedback_id.reviewed_on
            tz = pytz.timezone(callback.company_id.resource_calendar_id.tz or "Asia/Shanghai")
            if not review or not callback.date:
                callback.is_late = False
                continue
            review_day = pytz.utc.localize(review).astimezone(tz).date()
            call_day = pytz.utc.localize(callback.date).astimezone(tz).date()
            callback.is_late = call_day > review_day

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                refused = set(vals) - {"feedback_id", "outcome", "note"}
                if refused:
                    raise AccessError(
                        self.env._(
                            "The clerk and time of a call-back are recorded by the system: %(fields)s",
                            fields=", ".join(sorted(refused)),
                        )
                    )
        callbacks = super().create(vals_list)
        not_reviewed = callbacks.feedback_id.filtered(lambda f: f.state != "reviewed")
        if not_reviewed:
            raise UserError(
                self.env._(
                    "Call the customer back once the manager has reviewed the feedback form: %(names)s",
                    names=", ".join(not_reviewed.mapped("name")),
                )
            )
        callbacks._create_complaints()
        callbacks.feedback_id.sudo().activity_feedback(
            ["kf_dispatch.mail_activity_type_kf_feedback_callback"], feedback=self.env._("Customer called back.")
        )
        callbacks.order_id.sudo().activity_feedback(
            ["kf_dispatch.mail_activity_type_kf_dispatch_callback"], feedback=self.env._("Customer called back.")
        )
        return callbacks

    def write(self, vals):
        if not self.env.su and set(vals) - {"note"}:
            raise UserError(self.env._("A call-back is a record: only its note can be completed."))
        return super().write(vals)

    def _create_complaints(self):
        for callback in self.filtered(lambda c: c.outcome == "not_satisfied"):
            order = callback.order_id.sudo()
            ticket = (
                self.env["kf.ticket"]
                .sudo()
                .create(
                    {
                        "subject": self.env._("Customer not satisfied after work order %(name)s", name=order.name),
                        "ticket_type": "complaint",
                        "channel": "phone",
                        "partner_id": order.partner_id.id,
                        "project_id": order.project_id.id,
                        "contract_id": order.contract_id.id,
                        "company_id": order.company_id.id,
                        "user_id": order.commercial_partner_id.kf_specialist_id.id,
                        "description": callback.note or False,
                    }
                )
            )
            callback.sudo().ticket_id = ticket
