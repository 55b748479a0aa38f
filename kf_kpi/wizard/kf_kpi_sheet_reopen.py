from odoo import fields, models


class KfKpiSheetReopen(models.TransientModel):
    _name = "kf.kpi.sheet.reopen"
    _description = "Reopen Approved Appraisal Sheets"

    sheet_ids = fields.Many2many("kf.kpi.sheet", string="Appraisal Sheets", required=True)
    reason = fields.Text(required=True, help="Why the approved sheet must change; posted in its chatter.")

    def action_reopen(self):
        self.ensure_one()
        self.sheet_ids.action_reopen(self.reason)
        return {"type": "ir.actions.act_window_close"}
