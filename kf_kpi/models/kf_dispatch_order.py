from odoo import api, fields, models


class KfDispatchOrder(models.Model):
    _inherit = "kf.dispatch.order"

    kf_done_on_time = fields.Boolean(
        string="Done On Time",
        compute="_compute_kf_done_on_time",
        store=True,
        help="Done (or closed) no later than its planned end.",
    )

    @api.depends("date_done", "date_planned_end")
    def _compute_kf_done_on_time(self):
        for order in self:
            order.kf_done_on_time = bool(
                order.date_done and order.date_planned_end and order.date_done <= order.date_planned_end
            )
