from odoo import fields, models

from ..models.kf_ticket import VISIT_WAIVER_REASONS


class KfTicketVisitWaiver(models.TransientModel):
    _name = "kf.ticket.visit.waiver"
    _description = "Waive the Return Visit of a Ticket"

    ticket_id = fields.Many2one("kf.ticket", required=True, ondelete="cascade")
    reason = fields.Selection(VISIT_WAIVER_REASONS, required=True)
    note = fields.Text()

    def action_confirm(self):
        self.ensure_one()
        self.ticket_id.action_waive_return_visit(self.reason, self.note)
        return {"type": "ir.actions.act_window_close"}
