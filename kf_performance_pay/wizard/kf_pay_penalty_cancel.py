from odoo import fields, models


class KfPayPenaltyCancel(models.TransientModel):
    _name = "kf.pay.penalty.cancel"
    _description = "Cancel a penalty"

    penalty_id = fields.Many2one("kf.pay.penalty", required=True)
    reason = fields.Text(required=True)

    def action_cancel(self):
        self.ensure_one()
        self.penalty_id.action_cancel(self.reason)
        return {"type": "ir.actions.act_window_close"}
