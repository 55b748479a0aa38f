from odoo import fields, models


class KfProblemReassign(models.TransientModel):
    _name = "kf.problem.reassign"
    _description = "Reassign a Problem"

    problem_id = fields.Many2one("kf.problem", required=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", string="New Responsible", required=True, domain="[('share', '=', False)]")
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.problem_id.action_reassign(self.user_id, self.reason)
        return {"type": "ir.actions.act_window_close"}
