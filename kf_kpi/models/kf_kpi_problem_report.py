from odoo import fields, models, tools
from odoo.tools import SQL


class KfKpiProblemReport(models.Model):
    """Confirmed and resolved problems by month, type, employee and project,
    with their evidence counts (for the monthly appraisal)."""

    _name = "kf.kpi.problem.report"
    _description = "Problem Statistics"
    _auto = False
    _rec_name = "name"
    _order = "date desc, id desc"

    name = fields.Char(string="Reference", readonly=True)
    date = fields.Date(readonly=True)
    month = fields.Date(readonly=True)
    problem_type = fields.Selection(
        [
            ("overdue", "Overdue delivery"),
            ("complaint", "Complaint"),
            ("quality", "Quality"),
            ("acceptance", "Acceptance"),
            ("warranty", "Warranty"),
        ],
        string="Type",
        readonly=True,
    )
    problem_id = fields.Many2one("kf.problem", readonly=True)
    user_id = fields.Many2one("res.users", string="Employee", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    project_id = fields.Many2one("project.project", readonly=True)
    order_id = fields.Many2one("kf.dispatch.order", string="Work Order", readonly=True)
    ticket_id = fields.Many2one("kf.ticket", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    state = fields.Selection(
        [("confirmed", "Confirmed"), ("resolved", "Resolved")],
        string="Status",
        readonly=True,
    )
    problem_count = fields.Integer(string="Problems", readonly=True, aggregator="sum")
    evidence_count = fields.Integer(string="Evidence", readonly=True, aggregator="sum")

    def _query(self):
        return SQL(
            """
            SELECT p.id, p.id AS problem_id, p.name, p.date,
                   date_trunc('month', p.date)::date AS month,
                   p.problem_type, p.user_id,
                   COALESCE(p.commercial_partner_id, p.partner_id) AS partner_id,
                   p.project_id, p.order_id, p.ticket_id, p.company_id, p.state,
                   1 AS problem_count,
                   COALESCE(p.evidence_count, 0) AS evidence_count
              FROM kf_problem p
             WHERE p.active AND p.state IN ('confirmed', 'resolved')
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
