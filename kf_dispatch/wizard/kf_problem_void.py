from odoo import fields, models


class KfProblemVoid(models.TransientModel):
    _name = "kf.problem.void"
    _description = "Void a Problem"

    problem_id = fields.Many2one("kf.problem", required=True, ondelete="cascade")
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.problem_id.action_void(self.reason)
        return {"type": "ir.actions.act_window_close"}
