"""Benchmark of the month-end appraisal against its baselines, on an
employee-count grid.

Run with ``./kf bench tests/benchmarks/bench_appraisal.py``; set
``KF_BENCH_FULL=1`` for the issue's sizes (1,000,000 tickets instead of
100,000; ``KF_BENCH_TICKETS`` sets any other number).

setup(env) creates three companies appraising 20, 200 and 1,000 specialists
(``KF_BENCH_GRID`` changes the grid, e.g. ``20,200``) and inserts by SQL the
tickets of the latest full month (spread over the specialists, in proportion
to each company's size), then 24 months of older tickets so that the month
is a slice of a larger table.

run(env) times, for each company, alternating and in the same run, three
ways of doing the whole job — the figures of every KPI and the saved sheets
and lines, the transaction's commit-time work included (flush and precommit
hooks); each in a savepoint rolled back afterwards:

- ``kf``: ``kf.kpi.sheet.compute_month`` (a first run: it creates the sheets);
- ``naive``: the per-employee ORM loop — for each employee, each KPI
  computed for that employee alone, the sheet and its lines created one by
  one through the ORM;
- ``raw``: the lower bound — the grouped SELECTs ``kf`` sends, replayed as
  plain SQL, plus the rows ``kf`` saves (sheets, lines and the sheets'
  creation messages) inserted with one bulk INSERT per table.

It prints min and median of the repetitions, the number of queries, and the
ratios naive ÷ kf (goal ≥ 20) and kf ÷ raw (goal ≤ 2). Each repetition checks
its result: the naive loop and kf give the same figures line by line and each
sheet its one creation message, and raw inserts as many sheets and lines as kf
saved.
"""

import os
import re
import statistics
import time
from datetime import datetime

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.sql_db import Cursor
from odoo.tools import SQL

FULL = os.environ.get("KF_BENCH_FULL") == "1"
N_TICKETS = int(os.environ.get("KF_BENCH_TICKETS") or (1_000_000 if FULL else 100_000))
GRID = [int(n) for n in (os.environ.get("KF_BENCH_GRID") or "20,200,1000").split(",")]
LATEST_SHARE = 0.08  # share of the tickets in the latest full month
MONTHS = 24
REPEAT = int(os.environ.get("KF_BENCH_REPEAT") or 3)
CUSTOMERS_PER_COMPANY = 200
USER_PREFIX = "bench_appr_"


def _latest(env):
    today = fields.Date.context_today(env["kf.kpi.sheet"])
    return today + relativedelta(day=1, months=-1)


def _timer():
    start = time.perf_counter()
    return lambda: time.perf_counter() - start


# ------------------------------------------------------------------ setup
def _setup_company(env, size):
    clock = _timer()
    specialist = env.ref("kf_customer_service.group_kf_specialist")
    company = env["res.company"].create({"name": f"Bench Appraisal {size}"})
    ctx = {"no_reset_password": True, "mail_create_nolog": True, "tracking_disable": True}
    users = (
        env["res.users"]
        .with_context(**ctx)
        .create(
            [
                {
                    "name": f"Bench {size} Employee {i:04d}",
                    "login": f"{USER_PREFIX}{size}_{i:04d}",
                    "company_id": company.id,
                    "company_ids": [(6, 0, [company.id])],
                    "groups_id": [(6, 0, [specialist.id])],
                }
                for i in range(size)
            ]
        )
    )
    customers = (
        env["res.partner"]
        .with_context(**ctx)
        .create(
            [
                {"name": f"Bench {size} Customer {i:04d}", "is_company": True, "company_id": company.id}
                for i in range(CUSTOMERS_PER_COMPANY)
            ]
        )
    )
    env.flush_all()
    print(f"  company of {size} employees: users and customers (ORM) {clock():.1f} s", flush=True)
    return company, users, customers


def _insert_tickets(env, company, users, customers, count, start, end):
    """``count`` tickets of ``company`` received between ``start`` and
    ``end``, on a quarter of them no SLA reply in time, a third complaints."""
    stages = {
        key: env.ref(f"kf_dispatch.kf_ticket_stage_{key}").id for key in ("new", "closed", "cancelled", "in_progress")
    }
    env.cr.execute(
        SQL(
            """
            INSERT INTO kf_ticket (
                name, subject, ticket_type, channel, date_received, partner_id, commercial_partner_id,
                user_id, company_id, stage_id, is_closed, is_resolved, priority, active, sla_deadline,
                first_reply_date, sla_breached, sla_escalated, satisfaction_score, manager_reviewed, color,
                create_uid, write_uid, create_date, write_date)
            SELECT 'BA-' || %(company)s || '-' || g, 'Bench ticket', a.ticket_type, 'phone', a.dr,
                   a.partner_id, a.partner_id, a.user_id, %(company)s, st.id, st.is_closed, st.is_resolved,
                   '1', TRUE, a.dr + interval '1 day', a.dr + a.reply_hours * interval '1 hour',
                   a.reply_hours > 24, FALSE, 0, FALSE, 0, %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM (SELECT g,
                           %(start)s::timestamp + random() * (%(end)s::timestamp - %(start)s::timestamp) AS dr,
                           (%(partners)s::int[])[1 + mod(g * 13, %(n_partners)s)] AS partner_id,
                           CASE WHEN mod(g, 40) = 0 THEN NULL
                                ELSE (%(users)s::int[])[1 + mod(g * 7, %(n_users)s)] END AS user_id,
                           CASE WHEN mod(g, 3) = 0 THEN 'complaint' ELSE 'repair' END AS ticket_type,
                           CASE WHEN mod(g, 4) = 0 THEN 30 ELSE 2 END AS reply_hours,
                           CASE WHEN mod(g, 25) = 0 THEN %(cancelled)s WHEN mod(g, 5) = 0 THEN %(progress)s
                                WHEN mod(g, 7) = 0 THEN %(new)s ELSE %(closed)s END AS stage_id
                      FROM generate_series(1, %(count)s) AS g) a
              JOIN kf_ticket_stage st ON st.id = a.stage_id
            """,
            company=company.id,
            uid=env.uid,
            now=fields.Datetime.now(),
            start=start,
            end=end,
            partners=customers.ids,
            n_partners=len(customers),
            users=users.ids,
            n_users=len(users),
            count=count,
            cancelled=stages["cancelled"],
            progress=stages["in_progress"],
            new=stages["new"],
            closed=stages["closed"],
        )
    )


def setup(env):
    latest = _latest(env)
    first = latest - relativedelta(months=MONTHS - 1)
    end = latest + relativedelta(months=1)
    total = sum(GRID)
    print(f"setup: grid {GRID} employees, {N_TICKETS:,} tickets, latest full month {latest:%Y-%m}")
    clock = _timer()
    for size in GRID:
        company, users, customers = _setup_company(env, size)
        share = N_TICKETS * size // total
        in_month = int(share * LATEST_SHARE)
        _insert_tickets(env, company, users, customers, in_month, latest, end)
        _insert_tickets(env, company, users, customers, share - in_month, first, latest)
    env.cr.execute("ANALYZE kf_ticket")
    print(f"  tickets (SQL) and ANALYZE {clock():.1f} s", flush=True)


# -------------------------------------------------------------------- run
class QueryLog:
    """Count (and optionally keep) the queries sent through Odoo's cursors."""

    def __init__(self, keep=False):
        self.keep = keep
        self.queries = []
        self.count = 0

    def __enter__(self):
        self.orig = Cursor.execute
        log = self

        def execute(cr, query, params=None, log_exceptions=True):
            log.count += 1
            if log.keep:
                log.queries.append((query, params))
            return log.orig(cr, query, params, log_exceptions)

        Cursor.execute = execute
        return self

    def __exit__(self, *exc):
        Cursor.execute = self.orig


def _commit_work(env):
    """What a commit would do before COMMIT: flush, then the precommit hooks
    (tracking values, followers' notifications)."""
    env.flush_all()
    env.cr.precommit.run()
    env.flush_all()


def _lines_of(env, company, month):
    env.flush_all()
    env.cr.execute(
        SQL(
            """SELECT s.scope, COALESCE(s.user_id, 0), l.code, l.numerator::float8, l.denominator::float8,
                      l.actual::float8, l.has_data, l.met, l.score::float8
                 FROM kf_kpi_sheet_line l JOIN kf_kpi_sheet s ON s.id = l.sheet_id
                WHERE s.company_id = %s AND s.date_from = %s""",
            company.id,
            month,
        )
    )
    return sorted(env.cr.fetchall())


def _check_messages(env, company, month):
    """Each sheet of the month has its one creation message."""
    env.cr.execute(
        SQL(
            """SELECT count(*), count(m.id), count(DISTINCT m.res_id)
                 FROM kf_kpi_sheet s
                 LEFT JOIN mail_message m ON m.model = 'kf.kpi.sheet' AND m.res_id = s.id
                WHERE s.company_id = %s AND s.date_from = %s""",
            company.id,
            month,
        )
    )
    rows, messages, sheets = env.cr.fetchone()
    assert rows == messages == sheets, f"{sheets} sheets with messages, {messages} messages, {rows} rows"


def _run_kf(env, company, month):
    with QueryLog() as log:
        clock = _timer()
        env["kf.kpi.sheet"].compute_month(month, company)
        _commit_work(env)
        elapsed = clock()
    _check_messages(env, company, month)
    return elapsed, log.count, _lines_of(env, company, month)


def _run_naive(env, company, month):
    """The per-employee loop: each KPI for one employee at a time, sheets and
    lines created record by record."""
    from odoo.addons.kf_kpi.models.kf_kpi_sheet import KpiPeriod  # noqa: PLC0415

    Sheet = env["kf.kpi.sheet"].sudo()
    Line = env["kf.kpi.sheet.line"].sudo().with_context(kf_kpi_computing=True)
    definitions = env["kf.kpi.definition"].sudo().search([("company_id", "in", [False, company.id])])
    with QueryLog() as log:
        clock = _timer()
        users = Sheet._appraised_users(company)
        department = Sheet.create(
            {
                "scope": "department",
                "date_from": month,
                "date_to": month + relativedelta(day=31),
                "company_id": company.id,
            }
        )
        whole = KpiPeriod(env, month, company, users)
        for definition in definitions.filtered(lambda d: d.applies_to != "employee"):
            result = getattr(Sheet, f"_kpi_{definition.method}")(whole, definition.method_param)
            Line.create(definition._kf_line_vals(department, *result.figures(None)))
        for user in users:
            sheet = Sheet.create(
                {
                    "scope": "employee",
                    "user_id": user.id,
                    "date_from": month,
                    "date_to": month + relativedelta(day=31),
                    "company_id": company.id,
                }
            )
            period = KpiPeriod(env, month, company, user)
            for definition in definitions.filtered(lambda d: d.applies_to != "department"):
                result = getattr(Sheet, f"_kpi_{definition.method}")(period, definition.method_param)
                Line.create(definition._kf_line_vals(sheet, *result.figures(user.id)))
        _commit_work(env)
        elapsed = clock()
    _check_messages(env, company, month)
    return elapsed, log.count, _lines_of(env, company, month)


def _capture_selects(env, company, month):
    """The grouped SELECTs kf sends for the figures, and the sheets and
    lines it saves (as JSON rows), from one run rolled back."""
    env.flush_all()
    with env.cr.savepoint(flush=False) as savepoint:
        with QueryLog(keep=True) as log:
            env["kf.kpi.sheet"].compute_month(month, company)
        env.flush_all()
        env.cr.execute(
            SQL("SELECT json_agg(s) FROM kf_kpi_sheet s WHERE company_id = %s AND date_from = %s", company.id, month)
        )
        sheets = env.cr.fetchone()[0]
        env.cr.execute(
            SQL(
                """SELECT json_agg(l) FROM kf_kpi_sheet_line l JOIN kf_kpi_sheet s ON s.id = l.sheet_id
                    WHERE s.company_id = %s AND s.date_from = %s""",
                company.id,
                month,
            )
        )
        lines = env.cr.fetchone()[0]
        # the chatter's creation messages of the sheets: saved too
        env.cr.execute(
            SQL(
                """SELECT json_agg(m) FROM mail_message m JOIN kf_kpi_sheet s ON s.id = m.res_id
                    WHERE m.model = 'kf.kpi.sheet' AND s.company_id = %s AND s.date_from = %s""",
                company.id,
                month,
            )
        )
        messages = env.cr.fetchone()[0] or []
        savepoint.rollback()
    env.cr.precommit.clear()
    env.invalidate_all()
    selects = []
    for query, params in log.queries:
        text = query.code if isinstance(query, SQL) else query
        if re.match(r"\s*SELECT\b", text) and (
            "GROUP BY" in text or "count(" in text.lower() or "sum(" in text.lower()
        ):
            selects.append((query, params))
    return selects, sheets, lines, messages


def _run_raw(env, company, month, selects, sheets, lines, messages):
    cr = env.cr
    clock = _timer()
    with QueryLog() as log:
        for query, params in selects:
            cr.execute(query, params)
            cr.fetchall()
        cr.execute(
            SQL(
                "INSERT INTO kf_kpi_sheet SELECT * FROM json_populate_recordset(NULL::kf_kpi_sheet, %s::json)",
                sheets,
            )
        )
        cr.execute(
            SQL(
                """INSERT INTO kf_kpi_sheet_line
                   SELECT * FROM json_populate_recordset(NULL::kf_kpi_sheet_line, %s::json)""",
                lines,
            )
        )
        cr.execute(
            SQL(
                "INSERT INTO mail_message SELECT * FROM json_populate_recordset(NULL::mail_message, %s::json)",
                messages,
            )
        )
    elapsed = clock()
    return elapsed, log.count, None


def _in_savepoint(env, func, *args):
    env.flush_all()
    env.invalidate_all()
    with env.cr.savepoint(flush=False) as savepoint:
        result = func(env, *args)
        savepoint.rollback()
    env.cr.precommit.clear()
    env.invalidate_all()
    return result


def _stats(values):
    return min(values), statistics.median(values)


def run(env, base_url=None):
    import json  # noqa: PLC0415

    month = _latest(env)
    env.cr.execute("SELECT count(*) FROM kf_ticket")
    print(f"data: {env.cr.fetchone()[0]:,} tickets; month {month:%Y-%m}; {REPEAT} repetitions, alternated")
    print(f"{'employees':>10} {'way':<6} {'min s':>8} {'median s':>9} {'queries':>8}   ratios (median)")
    for size in GRID:
        company = env["res.company"].search([("name", "=", f"Bench Appraisal {size}")])
        selects, sheets, lines, messages = _capture_selects(env, company, month)
        sheets, lines, messages = json.dumps(sheets), json.dumps(lines), json.dumps(messages)
        times = {"kf": [], "naive": [], "raw": []}
        queries = {}
        reference = None
        for _rep in range(REPEAT):
            elapsed, count, result = _in_savepoint(env, _run_kf, company, month)
            times["kf"].append(elapsed)
            queries["kf"] = count
            reference = reference or result
            assert result == reference, "kf gave different figures from one run to the next"
            elapsed, count, result = _in_savepoint(env, _run_naive, company, month)
            times["naive"].append(elapsed)
            queries["naive"] = count
            assert result == reference, "the naive loop and kf disagree on the figures"
            elapsed, count, _result = _in_savepoint(env, _run_raw, company, month, selects, sheets, lines, messages)
            times["raw"].append(elapsed)
            queries["raw"] = count
        employees = sum(1 for row in reference if row[0] == "employee" and row[1]) and size
        assert len(reference) == len(json.loads(lines)), "raw inserts another number of lines than kf saves"
        med = {way: statistics.median(values) for way, values in times.items()}
        for way in ("kf", "naive", "raw"):
            low, mid = _stats(times[way])
            ratio = ""
            if way == "kf":
                ratio = f"naive/kf {med['naive'] / med['kf']:.1f}x, kf/raw {med['kf'] / med['raw']:.2f}x"
            print(f"{employees:>10} {way:<6} {low:8.3f} {mid:9.3f} {queries[way]:>8}   {ratio}", flush=True)
        print(f"{'':>10} {len(reference):,} lines checked equal (kf = naive)", flush=True)
    env.cr.rollback()
    print(f"sizes run: {N_TICKETS:,} tickets, grid {GRID}; finished at {datetime.now():%H:%M:%S}")
