from odoo import api, fields, models
from odoo.exceptions import ValidationError


class KfPayYearExport(models.TransientModel):
    _name = "kf.pay.year.export"
    _description = "Year-end pay statement"

    year = fields.Integer(required=True, default=lambda self: fields.Date.context_today(self).year - 1)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    user_ids = fields.Many2many(
        "res.users", string="Employees", domain=[("share", "=", False)], help="Leave empty for every employee."
    )

    @api.constrains("year")
    def _check_year(self):
        for wizard in self:
            if not 2000 <= wizard.year <= 2999:
                raise ValidationError(self.env._("The year %(year)s is not valid.", year=wizard.year))

    def kf_rows(self):
        """The rows of the year-end statement (``kf.pay.statement.kf_year_rows``)."""
        self.ensure_one()
        return self.env["kf.pay.statement"].kf_year_rows(self.year, self.company_id, self.user_ids or None)

    def action_print(self):
        self.ensure_one()
        self.env["kf.pay.statement"].kf_check_export_access(self.company_id)
        return self.env.ref("kf_performance_pay.report_kf_pay_year_statement").report_action(self)

    def action_xlsx(self):
        self.ensure_one()
        self.env["kf.pay.statement"].kf_check_export_access(self.company_id)
        url = f"/kf_performance_pay/xlsx/year?year={self.year}&company_id={self.company_id.id}"
        if self.user_ids:
            url += "&user_ids=" + ",".join(str(uid) for uid in self.user_ids.ids)
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}
