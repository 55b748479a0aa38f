from odoo import api, models


class KfVisit(models.Model):
    _inherit = "kf.visit"

    @api.model
    def _selection_source_models(self):
        return [
            *super()._selection_source_models(),
            ("kf.ticket", self.env._("Ticket")),
            ("kf.dispatch.order", self.env._("Work order")),
        ]

    def _on_visit_done(self):
        res = super()._on_visit_done()
        tickets = self.env["kf.ticket"].sudo().search([("visit_id", "in", self.ids), ("is_closed", "=", False)])
        tickets._close_after_return_visit()
        return res
