from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models, tools
from odoo.tools import SQL


class KfKpiSatisfactionReport(models.Model):
    """One row per satisfaction response: a scored return visit or a completed
    satisfaction survey of a ticket (客户满意度汇总表).

    This view is the one definition of customer satisfaction: the summary, its
    XLSX export and the satisfaction KPI of the appraisal sheets all read it
    through ``responses_domain()``, so the same month gives the same figure on
    every screen."""

    _name = "kf.kpi.satisfaction.report"
    _description = "Customer Satisfaction Summary"
    _auto = False
    _rec_name = "partner_id"
    _order = "date desc, id desc"

    date = fields.Date(readonly=True)
    month = fields.Date(readonly=True)
    # the response's UTC timestamp: a month filter bounds it first, so that
    # the indexes below serve it, before the time zone gives the local day
    recorded_at = fields.Datetime(string="Recorded On", readonly=True)
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
            SELECT r.id, r.date, date_trunc('month', r.date)::date AS month, r.recorded_at, r.source,
                   r.partner_id, r.user_id, r.company_id, r.visit_id, r.ticket_id,
                   r.score, r.score / 5.0 * 100.0 AS score_pct, 1 AS response_count
              FROM (
                    SELECT v.id * 2 AS id,
                           %(visit_date)s AS date,
                           COALESCE(v.date_done, v.write_date) AS recorded_at,
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
                           COALESCE(ui.end_datetime, ui.write_date) AS recorded_at,
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
        cr = self.env.cr
        # the responses' timestamps, for the month filter of responses_domain
        cr.execute(
            """CREATE INDEX IF NOT EXISTS kf_visit_kf_response_recorded_at_index
               ON kf_visit ((COALESCE(date_done, write_date))) WHERE state = 'done' AND score > 0"""
        )
        cr.execute(
            """CREATE INDEX IF NOT EXISTS survey_user_input_kf_response_recorded_at_index
               ON survey_user_input ((COALESCE(end_datetime, write_date))) WHERE state = 'done'"""
        )
        tools.drop_view_if_exists(cr, self._table)
        cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))

    @api.model
    def responses_domain(self, month, company=None):
        """Domain of the satisfaction responses of a month (``month``: its first
        day), of one company when given.

        A response is a done visit of any type scored 1 to 5, or a completed
        satisfaction survey of an active ticket (the average of its scored
        single-choice answers). It is dated on the local day, in the time zone of
        the specialist it counts for: the visit's or ticket's responsible, else
        the customer's specialist. The UTC timestamp is bounded first (a
        local day is at most 14 hours away from UTC): it reads the month's
        rows by index, not the whole history."""
        month = fields.Date.to_date(month)
        domain = [
            ("recorded_at", ">=", month - timedelta(days=1)),
            ("recorded_at", "<", month + relativedelta(months=1, days=1)),
            ("month", "=", month),
        ]
        if company:
            domain.append(("company_id", "=", company.id))
        return domain

    @api.model
    def xlsx_rows(self, month, groupby="partner_id"):
        """Yield the responses of a month the current user may read (record
        rules apply: a specialist gets their own), one row per customer
        (``groupby="partner_id"``) or per specialist (``groupby="user_id"``) in
        the order of their names, the rows without one last; then a total row
        when there is any response.

        Each row is a dict: ``label`` (the name, or "No customer" /
        "Unassigned"), ``responses``, ``visits``, ``surveys``,
        ``average_score`` (1 to 5), ``average_pct`` (a fraction: 0.6 for 60 %) and
        ``is_total``."""
        if groupby not in ("partner_id", "user_id"):
            raise ValueError(f"Satisfaction rows are grouped by partner_id or user_id, not {groupby!r}")
        groups = {}  # record id or False -> [responses, visits, surveys, score sum, % sum]
        for key, source, count, score_sum, pct_sum in self._read_group(
            self.responses_domain(month), [groupby, "source"], ["__count", "score:sum", "score_pct:sum"]
        ):
            group = groups.setdefault(key.id, [0, 0, 0, 0.0, 0.0])
            group[0] += count
            group[1 if source == "visit" else 2] += count
            group[3] += score_sum or 0.0
            group[4] += pct_sum or 0.0
        comodel = self.env[self._fields[groupby].comodel_name].sudo().with_context(active_test=False)
        named = comodel.search_fetch([("id", "in", [key for key in groups if key])], ["name"], order="name, id")
        empty = self.env._("No customer") if groupby == "partner_id" else self.env._("Unassigned")
        total = [0, 0, 0, 0.0]
        for record in [*named, comodel.browse()]:
            group = groups.get(record.id)
            if not group:
                continue
            responses, visits, surveys, score_sum, pct_sum = group
            average = score_sum / responses
            yield {
                "label": record.name or empty,
                "responses": responses,
                "visits": visits,
                "surveys": surveys,
                "average_score": average,
                "average_pct": pct_sum / responses / 100.0,
                "is_total": False,
            }
            total = [total[0] + responses, total[1] + visits, total[2] + surveys, total[3] + average * responses]
        if total[0]:
            average = total[3] / total[0]
            yield {
                "label": self.env._("Total"),
                "responses": total[0],
                "visits": total[1],
                "surveys": total[2],
                "average_score": average,
                "average_pct": average / 5.0,
                "is_total": True,
            }
