from dateutil.relativedelta import relativedelta

from odoo import api, fields, models


class KfKpiExport(models.TransientModel):
    _name = "kf.kpi.export"
    _description = "KPI Reports XLSX Export"

    @api.model
    def _default_month(self):
        return fields.Date.context_today(self) + relativedelta(day=1, months=-1)

    month = fields.Date(
        required=True,
        default=lambda self: self._default_month(),
        help="Any day of the month to export; the whole month is exported.",
    )
    report = fields.Selection(
        [
            ("appraisal", "Appraisal sheets"),
            ("satisfaction", "Satisfaction summary"),
            ("problems", "Problem statistics"),
        ],
        required=True,
        default="appraisal",
    )

    def action_export(self):
        self.ensure_one()
        month = self.month + relativedelta(day=1)
        return {
            "type": "ir.actions.act_url",
            "url": f"/kf_kpi/xlsx/{self.report}?month={month:%Y-%m}",
            "target": "self",
        }
