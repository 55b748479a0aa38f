from odoo import fields, models


class KfVisit(models.Model):
    _inherit = "kf.visit"

    kf_ticket_ids = fields.One2many(
        "kf.ticket",
        "visit_id",
        string="Tickets",
        groups="base.group_user",
        help="The complaints and repairs this return visit follows up (for the return-visit KPI).",
    )
