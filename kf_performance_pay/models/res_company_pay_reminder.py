from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    kf_pay_reminder_month = fields.Date(
        "Pay Export Reminder Sent For",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="First day of the last month whose reminder to send finance the commissioning allocation was given.",
    )
