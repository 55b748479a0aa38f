from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    kf_pay_computed_on = fields.Datetime(
        "Pay Statements Computed On",
        readonly=True,
        groups="base.group_user",
        help="Last computation of the company's pay statements (each run stamps it).",
    )
