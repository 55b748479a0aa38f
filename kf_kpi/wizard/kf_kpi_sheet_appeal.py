from odoo import fields, models


class KfKpiSheetAppeal(models.TransientModel):
    _name = "kf.kpi.sheet.appeal"
    _description = "Appeal an Appraisal Sheet"

    sheet_id = fields.Many2one("kf.kpi.sheet", string="Appraisal Sheet", required=True, readonly=True)
    comment = fields.Text(required=True, help="What you contest in the approved sheet; posted in its chatter.")

    def action_appeal(self):
        self.ensure_one()
        self.sheet_id.action_appeal(self.comment)
        return {"type": "ir.actions.act_window_close"}
