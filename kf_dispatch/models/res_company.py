from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    kf_plan_lead_days = fields.Integer(
        string="Maintenance Lead Time (working days)",
        default=5,
        help="The maintenance plans' work orders are created this many working days ahead.",
    )
    kf_init_days = fields.Integer(
        string="Initialisation Test Within (working days)",
        default=10,
        help="Working days after a maintenance contract's start by which its initialisation test is due.",
    )
