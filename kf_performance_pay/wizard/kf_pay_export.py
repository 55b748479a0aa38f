from dateutil.relativedelta import relativedelta

from odoo import fields, models


class KfPayExport(models.TransientModel):
    _name = "kf.pay.export"
    _description = "Export pay statements for finance"

    month = fields.Date(
        required=True,
        default=lambda self: fields.Date.context_today(self) + relativedelta(months=-1, day=1),
        help="Any day of the month to export.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)

    def action_xlsx(self):
        """Download the month's workbook (its rows are read as the user)."""
        self.ensure_one()
        self.env["kf.pay.statement"].kf_check_export_access(self.company_id)
        return {
            "type": "ir.actions.act_url",
            "url": f"/kf_performance_pay/xlsx/month?month={self.month:%Y-%m}&company_id={self.company_id.id}",
            "target": "self",
        }
