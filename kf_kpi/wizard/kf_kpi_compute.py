from dateutil.relativedelta import relativedelta

from odoo import fields, models


class KfKpiCompute(models.TransientModel):
    _name = "kf.kpi.compute"
    _description = "Compute KPI Appraisal Sheets"

    month = fields.Date(
        required=True,
        default=lambda self: fields.Date.context_today(self) + relativedelta(day=1),
        help="Any day of the month to compute.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)

    def action_compute(self):
        self.ensure_one()
        date_from = self.month + relativedelta(day=1)
        # a run committed meanwhile may have computed the sheets: open them by
        # month rather than by the ids this transaction can see
        self.env["kf.kpi.sheet"].compute_month(date_from, self.company_id)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Appraisal Sheets %(month)s", month=date_from.strftime("%Y-%m")),
            "res_model": "kf.kpi.sheet",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("company_id", "=", self.company_id.id), ("date_from", "=", date_from)],
            "target": "current",
        }
