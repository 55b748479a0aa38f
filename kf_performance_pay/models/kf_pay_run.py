from odoo import fields, models


class KfPayRun(models.Model):
    """One row per company, stamped by every computation of its pay
    statements: two computations meet on it (row lock and probe) instead of
    on the company's own row, which every insert of a company's records
    reads (a stamp there would make concurrent inserts fail)."""

    _name = "kf.pay.run"
    _description = "Pay statements computation stamp"
    _rec_name = "company_id"

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade", index=True)
    date_computed = fields.Datetime("Computed On")

    _sql_constraints = [
        ("kf_pay_run_company_unique", "UNIQUE(company_id)", "One computation stamp per company."),
    ]
