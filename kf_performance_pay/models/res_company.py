from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    kf_pay_computed_on = fields.Datetime(
        "Pay Statements Computed On",
        readonly=True,
        groups="base.group_user",
        help="Last computation of the company's pay statements (each run stamps it).",
    )
    kf_pay_reminder_month = fields.Date(
        "Pay Export Reminder Sent For",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="First day of the last month whose reminder to send finance the commissioning allocation was given.",
    )
