from odoo import fields, models, tools
from odoo.tools import SQL


class KfKpiSatisfactionReport(models.Model):
    """One row per satisfaction response: a scored return visit or a completed
    satisfaction survey of a ticket (客户满意度汇总表)."""

    _name = "kf.kpi.satisfaction.report"
    _description = "Customer Satisfaction Summary"
    _auto = False
    _rec_name = "partner_id"
    _order = "date desc, id desc"

    date = fields.Date(readonly=True)
    month = fields.Date(readonly=True)
    source = fields.Selection(
        [("visit", "Return visit"), ("survey", "Survey")],
        readonly=True,
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Specialist", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    visit_id = fields.Many2one("kf.visit", readonly=True)
    ticket_id = fields.Many2one("kf.ticket", readonly=True)
    score = fields.Float(readonly=True, digits=(16, 2), aggregator="avg", help="Satisfaction score from 1 to 5.")
    score_pct = fields.Float(string="Score (%)", readonly=True, digits=(16, 1), aggregator="avg")
    response_count = fields.Integer(string="Responses", readonly=True, aggregator="sum")

    def _local_date_sql(self, datetime_sql, tz_sql):
        """Date of a UTC timestamp in the given time zone (UTC when unset)."""
        return SQL(
            "((%s AT TIME ZONE 'UTC') AT TIME ZONE COALESCE(NULLIF(%s, ''), 'UTC'))::date",
            datetime_sql,
            tz_sql,
        )

    def _query(self):
        visit_date = self._local_date_sql(SQL("COALESCE(v.date_done, v.write_date)"), SQL("vp.tz"))
        survey_date = self._local_date_sql(SQL("COALESCE(ui.end_datetime, ui.write_date)"), SQL("tp.tz"))
        return SQL(
            """
            SELECT r.id, r.date, date_trunc('month', r.date)::date AS month, r.source,
                   r.partner_id, r.user_id, r.company_id, r.visit_id, r.ticket_id,
                   r.score, r.score / 5.0 * 100.0 AS score_pct, 1 AS response_count
              FROM (
                    SELECT v.id * 2 AS id,
                           %(visit_date)s AS date,
                           'visit' AS source,
                           v.commercial_partner_id AS partner_id,
                           COALESCE(v.user_id, vcp.kf_specialist_id) AS user_id,
                           v.company_id,
                           v.id AS visit_id,
                           NULL::integer AS ticket_id,
                           v.score::double precision AS score
                      FROM kf_visit v
                      LEFT JOIN res_partner vcp ON vcp.id = v.commercial_partner_id
                      LEFT JOIN res_users vu ON vu.id = COALESCE(v.user_id, vcp.kf_specialist_id)
                      LEFT JOIN res_partner vp ON vp.id = vu.partner_id
                     WHERE v.state = 'done' AND v.score > 0
                 UNION ALL
                    SELECT t.id * 2 + 1 AS id,
                           %(survey_date)s AS date,
                           'survey' AS source,
                           t.commercial_partner_id AS partner_id,
                           COALESCE(t.user_id, tcp.kf_specialist_id) AS user_id,
                           t.company_id,
                           NULL::integer AS visit_id,
                           t.id AS ticket_id,
                           s.score
                      FROM kf_ticket t
                      JOIN survey_user_input ui ON ui.id = t.survey_user_input_id AND ui.state = 'done'
                      JOIN LATERAL (
                            SELECT AVG(l.answer_score)::double precision AS score
                              FROM survey_user_input_line l
                              JOIN survey_question q ON q.id = l.question_id
                             WHERE l.user_input_id = ui.id
                               AND q.question_type = 'simple_choice'
                               AND l.suggested_answer_id IS NOT NULL
                               AND NOT COALESCE(l.skipped, FALSE)
                           ) s ON s.score > 0
                      LEFT JOIN res_partner tcp ON tcp.id = t.commercial_partner_id
                      LEFT JOIN res_users tu ON tu.id = COALESCE(t.user_id, tcp.kf_specialist_id)
                      LEFT JOIN res_partner tp ON tp.id = tu.partner_id
                     WHERE t.active
                   ) r
            """,
            visit_date=visit_date,
            survey_date=survey_date,
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
