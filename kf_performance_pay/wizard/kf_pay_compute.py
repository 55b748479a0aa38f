from dateutil.relativedelta import relativedelta

from odoo import fields, models


class KfPayCompute(models.TransientModel):
    _name = "kf.pay.compute"
    _description = "Compute pay statements"

    month = fields.Date(
        required=True,
        default=lambda self: fields.Date.context_today(self) + relativedelta(months=-1, day=1),
        help="Any day of the month to compute.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)

    def action_compute(self):
        self.ensure_one()
        statements = self.env["kf.pay.statement"].compute_month(self.month, self.company_id)
        action = self.env["ir.actions.act_window"]._for_xml_id("kf_performance_pay.kf_pay_statement_action")
        action["domain"] = [("id", "in", statements.ids)]
        return action
