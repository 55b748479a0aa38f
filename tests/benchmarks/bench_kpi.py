"""Benchmark of the month-end KPI computation and the XLSX exports.

Run with ``./kf bench tests/benchmarks/bench_kpi.py``; with
``KF_BENCH_KPI_PARTS=xlsx`` only the exports' data and timings (a short run),
with ``KF_BENCH_KPI_PARTS=compute`` only the month-end computation.

setup(env) creates 200 specialists (the appraised employees), 2,000 customer
companies and one project, then inserts by SQL (``INSERT ... SELECT ... FROM
generate_series``) the activity of the 24 full months before the current one:
1,000,000 tickets, 200,000 work orders and 100,000 visits, spread as a
growing business (the density grows linearly with time, so the first month
holds about 0.2 % of the rows and the latest full month about 8 %); about
100,000 daily and 4,800 monthly work reports; 20,000 service contracts with
two payment lines each; and 100,000 confirmed problems in the latest full
month, 10,000 of them with two evidence attachments (20,000 ``ir_attachment``
rows without file content).

run(env, base_url) times ``kf.kpi.sheet.compute_month`` for the latest full
month (first run creating the sheets, then a recompute), for the first month
of the data and for an empty month, with the number of SQL queries of each
(it should not depend on the number of records), then each KPI alone. Then it
logs in over HTTP as admin and times the XLSX exports of the latest full
month (appraisal, satisfaction, problems: 100,000 rows, the problems export
3 times: min and median), sampling the resident memory of the Odoo server
during each request, and checks the problems workbook has one row per
problem and the same cells as the workbook written from the former ORM read.
Then, in process and as admin (record rules and attachment access applied),
it reads the 100,000 problem rows with KF's ``xlsx_rows`` (one SQL query on
the access-checked ``_search`` query, streamed by a server-side cursor),
with the former ORM read (keyset pages of 5,000 records, names read per page:
the baseline) and with the bare SQL of KF's query fetched at once (the lower
bound), alternating, 3 runs each (min, median, the ratios, the queries, the
Python memory peak of one untimed pass), and checks KF's rows equal the ORM
read's. Last, it writes the problems workbook from the same rows (read once)
with KF's streaming writer (``kf_customer_service.tools.kf_xlsx``, the one the
routes use) and with xlsxwriter cell by cell, alternating, 3 runs each (min
and median, the ratio), and checks both workbooks hold the same sheets and
cell values. Figures are printed, never asserted; targets: month-end for 200
employees under 5 s in a constant number of queries, the 100,000-row XLSX
under 5 s with flat memory.
"""

import io
import os
import re
import statistics
import threading
import time
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tools import SQL

N_USERS = 200
N_CUSTOMERS = 2_000
N_TICKETS = 1_000_000
N_ORDERS = 200_000
N_VISITS = 100_000
N_PROBLEMS = 100_000
N_CONTRACTS = 20_000
EVIDENCE_EVERY = 10  # one problem in 10 has two evidence attachments
MONTHS = 24
CHUNK = 200_000  # rows per INSERT ... SELECT statement
SEED = 0.2026
USER_PREFIX = "bench_kpi_"
# the parts to run: "compute" (month-end, with the whole history: about 5
# minutes of setup) and "xlsx" (the exports: the problems of one month only)
PARTS = set(os.environ.get("KF_BENCH_KPI_PARTS", "compute,xlsx").split(","))


# ---------------------------------------------------------------- helpers
def _months(env):
    """(first day of the latest full month, first day of the data, first day
    of the current month = end of the data)."""
    today = fields.Date.context_today(env["kf.kpi.sheet"])
    latest = today + relativedelta(day=1, months=-1)
    first = latest - relativedelta(months=MONTHS - 1)
    return latest, first, latest + relativedelta(months=1)


def _part(label):
    """Context-free timer: call it before a part, call the result after."""
    start = time.perf_counter()

    def done(rows=None, what="rows"):
        elapsed = time.perf_counter() - start
        count = f"{rows:>10,} {what:<26}" if rows is not None else " " * 38
        print(f"  {label:<34}{count}{elapsed:8.1f} s", flush=True)

    return done


def _chunks(total):
    for low in range(1, total + 1, CHUNK):
        yield low, min(low + CHUNK - 1, total)


def _growth(expr_g, total):
    """SQL expression of a timestamp of the data period for row number
    ``expr_g`` of ``total``: density growing linearly with time (sqrt of the
    uniform rank), rows in chronological order of their id."""
    return f"(%(start)s::timestamp + sqrt(({expr_g} - 0.5) / {total}.0) * (%(end)s::timestamp - %(start)s::timestamp))"


# ------------------------------------------------------------------ setup
def _setup_people(env):
    done = _part("users, customers, project (ORM)")
    specialist = env.ref("kf_customer_service.group_kf_specialist")
    users = (
        env["res.users"]
        .with_context(no_reset_password=True, mail_create_nolog=True, tracking_disable=True)
        .create(
            [
                {
                    "name": f"Bench Employee {i:03d}",
                    "login": f"{USER_PREFIX}{i:03d}",
                    "groups_id": [(6, 0, [specialist.id])],
                }
                for i in range(N_USERS)
            ]
        )
    )
    customers = (
        env["res.partner"]
        .with_context(mail_create_nolog=True, tracking_disable=True)
        .create(
            [
                {"name": f"Bench Customer {i:05d}", "is_company": True, "kf_is_customer": True}
                for i in range(N_CUSTOMERS)
            ]
        )
    )
    project = env["project.project"].with_context(mail_create_nolog=True).create({"name": "Bench Project"})
    env.flush_all()
    done(N_USERS + N_CUSTOMERS + 1, "records")
    return users, customers, project


def _setup_tickets(env, params):
    stage = {
        key: env.ref(f"kf_dispatch.kf_ticket_stage_{key}").id
        for key in ("new", "in_progress", "resolved", "closed", "cancelled")
    }
    params = dict(params, **{f"stage_{key}": value for key, value in stage.items()})
    done = _part("tickets (SQL)")
    for low, high in _chunks(N_TICKETS):
        env.cr.execute(
            f"""
            INSERT INTO kf_ticket (
                name, subject, ticket_type, channel, date_received, partner_id,
                commercial_partner_id, project_id, user_id, company_id, stage_id,
                is_closed, is_resolved, priority, active, sla_deadline,
                first_reply_date, sla_breached, sla_escalated, date_resolved,
                date_closed, satisfaction_score, manager_reviewed, color,
                create_uid, write_uid, create_date, write_date)
            SELECT 'BT-' || lpad(s.g::text, 7, '0'),
                   CASE s.ticket_type WHEN 'complaint' THEN 'Engineer arrived late'
                                      WHEN 'repair' THEN 'Air conditioner not cooling'
                                      WHEN 'enquiry' THEN 'Maintenance schedule'
                                      ELSE 'Send the report by WeChat' END,
                   s.ticket_type,
                   (ARRAY['phone', 'phone', 'wechat', 'email', 'portal', 'visit'])[1 + mod(s.g, 6)],
                   s.dr, s.partner_id, s.partner_id,
                   CASE WHEN mod(s.g, 4) = 0 THEN %(project)s END,
                   s.user_id, %(company)s, s.stage_id, st.is_closed, st.is_resolved,
                   CASE WHEN s.r4 < 0.05 THEN '2' WHEN s.r4 < 0.2 THEN '0' ELSE '1' END,
                   TRUE,
                   s.dr + interval '1 day',
                   s.dr + s.reply_hours * interval '1 hour',
                   s.reply_hours > 24, FALSE,
                   CASE WHEN s.stage_id IN (%(stage_resolved)s, %(stage_closed)s)
                        THEN s.dr + interval '2 days' END,
                   CASE WHEN s.stage_id IN (%(stage_closed)s, %(stage_cancelled)s)
                        THEN s.dr + interval '3 days' END,
                   CASE WHEN s.stage_id = %(stage_closed)s
                        THEN CASE WHEN s.r4 < 0.6 THEN 5 WHEN s.r4 < 0.85 THEN 4
                                  WHEN s.r4 < 0.95 THEN 3 ELSE 2 END
                        ELSE 0 END,
                   FALSE, 0, %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM (
                    SELECT a.*,
                           CASE WHEN a.r1 < 0.04 THEN %(stage_cancelled)s
                                WHEN a.r1 < 0.86 THEN %(stage_closed)s
                                WHEN a.r1 < 0.92 THEN %(stage_resolved)s
                                WHEN a.r1 < 0.97 THEN %(stage_in_progress)s
                                ELSE %(stage_new)s END AS stage_id,
                           CASE WHEN a.r2 < 0.30 THEN 'complaint' WHEN a.r2 < 0.75 THEN 'repair'
                                WHEN a.r2 < 0.92 THEN 'enquiry' ELSE 'suggestion' END AS ticket_type,
                           CASE WHEN a.r3 < 0.08 THEN 25 + a.r3 * 100 ELSE 0.5 + a.r3 * 20 END AS reply_hours
                      FROM (
                            SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                                   {_growth("g", N_TICKETS)} AS dr,
                                   (%(partners)s::int[])[1 + mod(g * 13, {N_CUSTOMERS})] AS partner_id,
                                   CASE WHEN mod(g, 40) = 0 THEN NULL
                                        ELSE (%(users)s::int[])[1 + mod(g * 7, {N_USERS})] END AS user_id
                              FROM generate_series(%(low)s, %(high)s) AS g
                           ) a
                   ) s
              JOIN kf_ticket_stage st ON st.id = s.stage_id
            """,
            dict(params, low=low, high=high),
        )
    done(N_TICKETS)


def _setup_orders(env, params):
    done = _part("work orders (SQL)")
    for low, high in _chunks(N_ORDERS):
        env.cr.execute(
            f"""
            INSERT INTO kf_dispatch_order (
                name, partner_id, commercial_partner_id, project_id, company_id, state,
                user_id, work_content, priority, date_planned_start, date_planned_end,
                date_dispatched, date_acknowledged, date_start, date_done, date_closed,
                kf_done_on_time, active, dispatch_escalated, ack_escalated,
                overdue_escalated, certificate_complete, certificate_paper_archived,
                color, kf_order_type, kf_quote_state, create_uid, write_uid, create_date, write_date)
            SELECT 'BWO-' || lpad(s.g::text, 6, '0'), s.partner_id, s.partner_id, %(project)s,
                   %(company)s, s.state, s.user_id, 'Bench maintenance job ' || s.g,
                   CASE WHEN s.r4 < 0.1 THEN '1' ELSE '0' END,
                   s.ps, s.pe,
                   CASE WHEN s.state <> 'draft' THEN s.ps - interval '1 day' END,
                   CASE WHEN s.state NOT IN ('draft', 'dispatched', 'cancelled')
                        THEN s.ps - interval '12 hours' END,
                   CASE WHEN s.state IN ('in_progress', 'done', 'closed') THEN s.ps END,
                   s.done,
                   CASE WHEN s.state = 'closed' THEN s.done + interval '2 days' END,
                   s.done IS NOT NULL AND s.done <= s.pe,
                   TRUE, FALSE, FALSE, FALSE, FALSE, FALSE, 0, 'service', 'draft',
                   %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM (
                    SELECT b.*,
                           CASE WHEN b.state IN ('done', 'closed') THEN
                                CASE WHEN b.r3 < 0.85 THEN b.pe - b.r4 * b.hours * 0.5 * interval '1 hour'
                                     ELSE b.pe + (1 + b.r4 * 72) * interval '1 hour' END
                           END AS done
                      FROM (
                            SELECT a.*, a.ps + a.hours * interval '1 hour' AS pe,
                                   CASE WHEN a.r1 < 0.03 THEN 'cancelled' WHEN a.r1 < 0.05 THEN 'draft'
                                        WHEN a.r1 < 0.80 THEN 'closed' WHEN a.r1 < 0.93 THEN 'done'
                                        WHEN a.r1 < 0.96 THEN 'in_progress'
                                        WHEN a.r1 < 0.98 THEN 'accepted'
                                        ELSE 'dispatched' END AS state
                              FROM (
                                    SELECT g, random() AS r1, random() AS r3, random() AS r4,
                                           2 + random() * 46 AS hours,
                                           {_growth("g", N_ORDERS)} AS ps,
                                           (%(partners)s::int[])[1 + mod(g * 17, {N_CUSTOMERS})] AS partner_id,
                                           CASE WHEN mod(g, 50) = 0 THEN NULL
                                                ELSE (%(users)s::int[])[1 + mod(g * 11, {N_USERS})] END
                                               AS user_id
                                      FROM generate_series(%(low)s, %(high)s) AS g
                                   ) a
                           ) b
                   ) s
            """,
            dict(params, low=low, high=high),
        )
    done(N_ORDERS)


def _setup_visits(env, params):
    done = _part("visits (SQL)")
    env.cr.execute(
        f"""
        INSERT INTO kf_visit (
            name, partner_id, commercial_partner_id, user_id, company_id, visit_type,
            channel, state, date_planned, date_done, score, purpose, outcome,
            interest_contract, create_uid, write_uid, create_date, write_date)
        SELECT 'BV-' || lpad(s.g::text, 6, '0'), s.partner_id, s.partner_id, s.user_id,
               %(company)s, CASE WHEN s.r2 < 0.7 THEN 'return_visit' ELSE 'visit' END,
               CASE WHEN s.r3 < 0.6 THEN 'phone' WHEN s.r3 < 0.85 THEN 'wechat' ELSE 'onsite' END,
               s.state, s.dp::date,
               CASE WHEN s.state = 'done' THEN s.dp::date + (9 + s.r4 * 8) * interval '1 hour' END,
               CASE WHEN s.state <> 'done' OR s.r4 < 0.05 THEN 0
                    WHEN s.r4 < 0.6 THEN 5 WHEN s.r4 < 0.85 THEN 4 WHEN s.r4 < 0.95 THEN 3 ELSE 2 END,
               'Bench return visit',
               CASE WHEN s.state = 'done' THEN 'Customer satisfied with the service' END,
               FALSE, %(uid)s, %(uid)s, %(now)s, %(now)s
          FROM (
                SELECT a.*,
                       CASE WHEN a.r1 < 0.05 THEN 'cancelled' WHEN a.r1 < 0.88 THEN 'done'
                            ELSE 'planned' END AS state
                  FROM (
                        SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                               {_growth("g", N_VISITS)} AS dp,
                               (%(partners)s::int[])[1 + mod(g * 19, {N_CUSTOMERS})] AS partner_id,
                               (%(users)s::int[])[1 + mod(g * 3, {N_USERS})] AS user_id
                          FROM generate_series(1, {N_VISITS}) AS g
                       ) a
               ) s
        """,
        params,
    )
    done(N_VISITS)


def _setup_problems(env, params, latest):
    done = _part("problems of the latest month (SQL)")
    days = (latest + relativedelta(months=1) - latest).days
    env.cr.execute(
        f"""
        INSERT INTO kf_problem (
            name, problem_type, date, user_id, partner_id, commercial_partner_id,
            project_id, company_id, state, date_confirmed, date_resolved,
            evidence_count, active, description, create_uid, write_uid,
            create_date, write_date)
        SELECT 'BP-' || lpad(g::text, 6, '0'),
               (ARRAY['overdue', 'complaint', 'quality', 'quality', 'acceptance', 'warranty'])[1 + mod(g * 7, 6)],
               %(latest)s::date + mod(g, {days}),
               CASE WHEN mod(g, 20) = 0 THEN NULL
                    ELSE (%(users)s::int[])[1 + mod(g * 23, {N_USERS})] END,
               (%(partners)s::int[])[1 + mod(g * 29, {N_CUSTOMERS})],
               (%(partners)s::int[])[1 + mod(g * 29, {N_CUSTOMERS})],
               CASE WHEN mod(g, 2) = 0 THEN %(project)s END,
               %(company)s,
               CASE WHEN mod(g, 10) = 3 THEN 'resolved' ELSE 'confirmed' END,
               %(latest)s::date + mod(g, {days}),
               CASE WHEN mod(g, 10) = 3 THEN %(latest)s::date + mod(g, {days}) END,
               CASE WHEN mod(g, {EVIDENCE_EVERY}) = 0 THEN 2 ELSE 0 END,
               TRUE,
               'Bench problem ' || g || ': the engineer did not bring the spare parts '
                   || 'listed in the work order, a second visit was needed.',
               %(uid)s, %(uid)s, %(now)s, %(now)s
          FROM generate_series(1, {N_PROBLEMS}) AS g
        """,
        params,
    )
    done(N_PROBLEMS)
    done = _part("evidence attachments (SQL)")
    env.cr.execute(
        """
        WITH att AS (
            INSERT INTO ir_attachment (
                name, type, res_model, res_id, company_id, mimetype, file_size,
                public, create_uid, write_uid, create_date, write_date)
            SELECT 'photo_' || (p.rn * 2 + k) || '.jpg', 'binary', 'kf.problem', p.id,
                   %(company)s, 'image/jpeg', 0, FALSE, %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn
                      FROM kf_problem WHERE name LIKE 'BP-%%' AND evidence_count = 2) p
             CROSS JOIN generate_series(0, 1) AS k
            RETURNING id, res_id)
        INSERT INTO kf_problem_evidence_rel (problem_id, attachment_id) SELECT res_id, id FROM att
        """,
        params,
    )
    done(env.cr.rowcount)


def _setup_reports(env, params):
    done = _part("daily and monthly reports (SQL)")
    env.cr.execute(
        """
        INSERT INTO kf_work_report (
            name, report_type, user_id, company_id, date, date_due, state,
            date_submitted, on_time, reminder_sent, body, create_uid, write_uid,
            create_date, write_date)
        SELECT 'Daily Report ' || s.d::date, 'daily', s.u, %(company)s, s.d::date, s.d::date,
               CASE WHEN s.r < 0.9 THEN 'submitted' ELSE 'draft' END,
               CASE WHEN s.r < 0.9 THEN s.d + CASE WHEN s.r < 0.8 THEN 17 ELSE 30 END * interval '1 hour' END,
               s.r < 0.8, FALSE, '<p>Bench daily report</p>', %(uid)s, %(uid)s, %(now)s, %(now)s
          FROM (SELECT d, u, random() AS r
                  FROM generate_series(%(start)s::timestamp, %(end)s::timestamp - interval '1 day',
                                       interval '1 day') AS d
                 CROSS JOIN unnest(%(users)s::int[]) AS u
                 WHERE extract(isodow FROM d) < 6) s
        """,
        params,
    )
    daily = env.cr.rowcount
    env.cr.execute(
        """
        INSERT INTO kf_work_report (
            name, report_type, user_id, company_id, date, date_due, state,
            date_submitted, on_time, reminder_sent, body, plan, create_uid, write_uid,
            create_date, write_date)
        SELECT 'Monthly Review and Plan ' || to_char(s.m, 'YYYY-MM'), 'monthly', s.u, %(company)s,
               s.m::date, s.due,
               CASE WHEN s.r < 0.95 THEN 'reviewed' ELSE 'draft' END,
               CASE WHEN s.r < 0.8 THEN s.due - interval '14 hours'
                    WHEN s.r < 0.95 THEN s.due + interval '58 hours' END,
               s.r < 0.8, FALSE, '<p>Bench monthly review</p>', '<p>Plan</p>',
               %(uid)s, %(uid)s, %(now)s, %(now)s
          FROM (SELECT m, u, random() AS r, (m + interval '1 month' + interval '2 days')::date AS due
                  FROM generate_series(%(start)s::timestamp, %(end)s::timestamp - interval '1 month',
                                       interval '1 month') AS m
                 CROSS JOIN unnest(%(users)s::int[]) AS u) s
        """,
        params,
    )
    done(daily + env.cr.rowcount)


def _setup_contracts(env, params):
    done = _part("contracts and payment lines (SQL)")
    env.cr.execute(
        f"""
        INSERT INTO kf_service_contract (
            name, partner_id, commercial_partner_id, contract_type, date_start, date_end,
            company_id, currency_id, amount, user_id, state, active, create_uid,
            write_uid, create_date, write_date)
        SELECT 'BC-' || lpad(s.g::text, 6, '0'), s.partner_id, s.partner_id,
               (ARRAY['maintenance', 'emc', 'engineering', 'service'])[1 + mod(s.g, 4)],
               s.de - 364, s.de, %(company)s, %(currency)s, 1000 + mod(s.g, 97) * 100,
               (%(users)s::int[])[1 + mod(s.g * 31, {N_USERS})],
               CASE WHEN s.r < 0.02 THEN 'draft' WHEN s.r < 0.04 THEN 'cancelled'
                    WHEN s.de >= %(today)s THEN 'running'
                    WHEN s.r < 0.60 THEN 'renewed' WHEN s.r < 0.85 THEN 'expired' ELSE 'lost' END,
               TRUE, %(uid)s, %(uid)s, %(now)s, %(now)s
          FROM (SELECT g, random() AS r,
                       (%(start)s::date + ((g - 0.5) / {N_CONTRACTS}.0
                           * (%(end)s::date + 365 - %(start)s::date))::int) AS de,
                       (%(partners)s::int[])[1 + mod(g, {N_CUSTOMERS})] AS partner_id
                  FROM generate_series(1, {N_CONTRACTS}) AS g) s
        """,
        params,
    )
    env.cr.execute(
        """
        INSERT INTO kf_contract_payment_line (
            contract_id, sequence, name, partner_id, user_id, company_id, currency_id,
            line_type, date_due, amount, amount_paid, amount_residual,
            state, create_uid, write_uid, create_date, write_date)
        SELECT s.id, s.seq * 10, 'Instalment ' || s.seq, s.partner_id, s.user_id, s.company_id,
               s.currency_id, 'payment', s.due, s.half, s.received, s.half - s.received,
               CASE WHEN s.received >= s.half THEN 'paid' WHEN s.due < %(today)s THEN 'overdue'
                    ELSE 'pending' END,
               %(uid)s, %(uid)s, %(now)s, %(now)s
          FROM (SELECT c.id, k.seq, c.partner_id, c.user_id, c.company_id, c.currency_id,
                       c.amount / 2 AS half,
                       CASE WHEN k.seq = 1 THEN c.date_start + 30 ELSE c.date_end - 30 END AS due,
                       CASE WHEN k.seq = 1 AND mod(c.id, 20) <> 0 THEN c.amount / 2
                            WHEN k.seq = 2 AND mod(c.id, 10) >= 3 AND c.date_end - 30 < %(today)s
                                THEN c.amount / 2
                            ELSE 0 END AS received
                  FROM kf_service_contract c
                 CROSS JOIN (VALUES (1), (2)) AS k(seq)
                 WHERE c.name LIKE 'BC-%%') s
        """,
        params,
    )
    lines = env.cr.rowcount
    env.cr.execute(
        """
        UPDATE kf_service_contract c
           SET amount_scheduled = t.scheduled, amount_received = t.received,
               amount_due = t.due, amount_overdue = t.overdue
          FROM (SELECT contract_id, SUM(amount) AS scheduled, SUM(amount_paid) AS received,
                       SUM(amount_residual) AS due,
                       SUM(CASE WHEN state = 'overdue' THEN amount_residual ELSE 0 END) AS overdue
                  FROM kf_contract_payment_line GROUP BY contract_id) t
         WHERE t.contract_id = c.id
        """
    )
    done(N_CONTRACTS + lines)


def setup(env):
    latest, start, end = _months(env)
    print(f"setup: data from {start} to {end - timedelta(days=1)}, latest full month {latest:%Y-%m}")
    env.cr.execute("SELECT setseed(%s)", [SEED])
    users, customers, project = _setup_people(env)
    company = env.company
    params = {
        "start": datetime.combine(start, datetime.min.time()),
        "end": datetime.combine(end, datetime.min.time()),
        "latest": latest,
        "today": fields.Date.context_today(env["kf.kpi.sheet"]),
        "users": users.ids,
        "partners": customers.ids,
        "project": project.id,
        "company": company.id,
        "currency": company.currency_id.id,
        "uid": env.uid,
        "now": fields.Datetime.now(),
    }
    if "compute" in PARTS:
        _setup_tickets(env, params)
        _setup_orders(env, params)
        _setup_visits(env, params)
    _setup_problems(env, params, latest)
    if "compute" in PARTS:
        _setup_reports(env, params)
        _setup_contracts(env, params)
    done = _part("ANALYZE")
    for table in (
        "kf_ticket",
        "kf_dispatch_order",
        "kf_visit",
        "kf_problem",
        "kf_problem_evidence_rel",
        "ir_attachment",
        "kf_work_report",
        "kf_service_contract",
        "kf_contract_payment_line",
        "res_users",
        "res_partner",
        "res_groups_users_rel",
    ):
        env.cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    done()
    env.invalidate_all()


# -------------------------------------------------------------------- run
def _month_counts(env, month):
    """Records of the month read by the KPIs."""
    dt_from = datetime.combine(month, datetime.min.time())
    dt_to = datetime.combine(month + relativedelta(months=1), datetime.min.time())
    queries = {
        "tickets": ("SELECT count(*) FROM kf_ticket WHERE date_received >= %s AND date_received < %s", dt_from, dt_to),
        "orders": (
            "SELECT count(*) FROM kf_dispatch_order WHERE date_planned_end >= %s AND date_planned_end < %s",
            dt_from,
            dt_to,
        ),
        "visits": ("SELECT count(*) FROM kf_visit WHERE date_planned >= %s AND date_planned < %s", month, dt_to.date()),
        "problems": ("SELECT count(*) FROM kf_problem WHERE date >= %s AND date < %s", month, dt_to.date()),
        "reports": ("SELECT count(*) FROM kf_work_report WHERE date >= %s AND date < %s", month, dt_to.date()),
    }
    counts = {}
    for key, (query, *args) in queries.items():
        env.cr.execute(query, args)
        counts[key] = env.cr.fetchone()[0]
    return counts


def _compute(env, label, month):
    Sheet = env["kf.kpi.sheet"]
    env.invalidate_all()
    before = env.cr.sql_log_count
    start = time.perf_counter()
    sheets = Sheet.compute_month(month, env.company)
    env.flush_all()
    computed = time.perf_counter() - start
    env.cr.commit()
    elapsed = time.perf_counter() - start
    queries = env.cr.sql_log_count - before
    lines = env["kf.kpi.sheet.line"].search_count([("sheet_id", "in", sheets.ids)])
    print(
        f"  {label:<34}{elapsed:7.2f} s (compute {computed:.2f} s + commit {elapsed - computed:.2f} s)"
        f"  {len(sheets):4d} sheets {lines:6d} lines {queries:6d} queries",
        flush=True,
    )
    return elapsed, queries


def _kpi_breakdown(env, month):
    """Each KPI alone on the month: seconds and queries; the plan of the
    slowest one's queries."""
    from odoo.addons.kf_kpi.models.kf_kpi_sheet import KpiPeriod  # noqa: PLC0415

    Sheet = env["kf.kpi.sheet"].sudo()
    period = KpiPeriod(env, month, env.company, Sheet._appraised_users(env.company))
    definitions = env["kf.kpi.definition"].sudo().search([("company_id", "in", [False, env.company.id])])
    timings = []
    for definition in definitions:
        env.invalidate_all()
        before = env.cr.sql_log_count
        start = time.perf_counter()
        getattr(Sheet, f"_kpi_{definition.method}")(period, definition.method_param)
        elapsed = time.perf_counter() - start
        timings.append((elapsed, env.cr.sql_log_count - before, definition))
        label = definition.method + (f"({definition.method_param})" if definition.method_param else "")
        print(f"    {label:<32}{elapsed * 1000:9.1f} ms {env.cr.sql_log_count - before:4d} queries")
    elapsed, _queries, slowest = max(timings, key=lambda t: t[0])
    print(f"  slowest KPI: {slowest.method} {slowest.method_param or ''} ({elapsed * 1000:.0f} ms); its queries:")
    captured = []
    cr = env.cr
    original = cr.execute

    def capture(query, params=None, log_exceptions=True):
        if isinstance(query, SQL):
            captured.append(query)
        elif params is None or isinstance(params, (tuple, list)):
            captured.append(SQL(query, *(params or ())))
        return original(query, params, log_exceptions)

    cr.execute = capture
    try:
        env.invalidate_all()
        getattr(Sheet, f"_kpi_{slowest.method}")(period, slowest.method_param)
    finally:
        del cr.execute
    for query in captured:
        if "GROUP BY" not in query.code:
            continue  # the KPI's grouped queries, not the reads of its definition
        cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", query))
        print("    " + cr.mogrify(query.code, query.params).decode()[:600].replace("\n", " "))
        for (line,) in cr.fetchall():
            print("      " + line)


def _server_process(base_url):
    import psutil  # noqa: PLC0415 — installed with Odoo

    port = base_url.rsplit(":", 1)[1]
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if "kf_bench" in cmdline and "--http-port" in cmdline:
            index = cmdline.index("--http-port")
            if index + 1 < len(cmdline) and cmdline[index + 1] == port:
                return proc
    return None


class RssSampler(threading.Thread):
    """Sample the resident memory of a process (and its children) every 0.1 s."""

    def __init__(self, proc):
        super().__init__(daemon=True)
        self.proc = proc
        self.peak = self.rss()
        self.stop = threading.Event()

    def rss(self):
        if not self.proc:
            return 0
        total = self.proc.memory_info().rss
        for child in self.proc.children(recursive=True):
            total += child.memory_info().rss
        return total

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.1)


def _login(base_url):
    import requests  # noqa: PLC0415

    session = requests.Session()
    page = session.get(f"{base_url}/web/login", timeout=60)
    match = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
    response = session.post(
        f"{base_url}/web/login",
        data={"login": "admin", "password": "admin", "csrf_token": match and match.group(1), "redirect": "/odoo"},
        timeout=60,
    )
    info = session.post(f"{base_url}/web/session/get_session_info", json={}, timeout=60)
    uid = (info.json().get("result") or {}).get("uid") if info.ok else None
    print(f"  login as admin: HTTP {response.status_code}, uid {uid}")
    return session if uid else None


def _export(session, base_url, proc, label, route, month, count_rows=True, keep=None):
    import openpyxl  # noqa: PLC0415

    MB = 1024 * 1024
    sampler = RssSampler(proc)
    rss_before = sampler.peak
    sampler.start()
    start = time.perf_counter()
    response = session.get(f"{base_url}{route}", params={"month": f"{month:%Y-%m}"}, timeout=900)
    elapsed = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    if response.status_code == 404:
        print(f"  {label}: {route} answers 404 — the XLSX controller is not there (yet); export not measured")
        return
    if response.status_code != 200 or not response.content.startswith(b"PK"):
        print(
            f"  {label}: HTTP {response.status_code}, {response.headers.get('Content-Type')}: {response.text[:300]!r}"
        )
        return
    if keep is not None:
        keep.append((elapsed, sampler.peak - rss_before, response.content))
    rows = ""
    if count_rows:
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        sheets = {ws.title: sum(1 for _row in ws.iter_rows(values_only=True)) for ws in book.worksheets}
        book.close()
        rows = ", ".join(f"{name}: {count:,} rows" for name, count in sheets.items())
    print(
        f"  {label:<22}{elapsed:7.2f} s {len(response.content) / MB:7.1f} MB; server RSS before "
        f"{rss_before / MB:6.0f} MB, peak {sampler.peak / MB:6.0f} MB (+{(sampler.peak - rss_before) / MB:.0f} MB)"
        + (f"; {rows}" if rows else ""),
        flush=True,
    )


# ------------------------------------------------------------ XLSX writers
class _XlsxwriterTable:
    """The baseline: one worksheet written cell by cell by xlsxwriter in
    ``constant_memory`` mode, with the interface of the controller's table."""

    def __init__(self, book, name, columns):
        self.book = book
        self.sheet = book.workbook.add_worksheet(name[:31])
        self.formats = [book.formats[fmt] for _label, _width, fmt in columns]
        for col, (label, width, _fmt) in enumerate(columns):
            self.sheet.set_column(col, col, width)
            self.sheet.write_string(0, col, label, book.formats["header"])
        self.sheet.set_row(0, 22)
        self.sheet.freeze_panes(1, 0)
        self.ncols = len(columns)
        self.row = 0

    def append(self, values, bold=False, formats=None):
        self.row += 1
        row, sheet, book = self.row, self.sheet, self.book
        for col, value in enumerate(values):
            fmt = self.formats[col]
            if formats and col in formats:
                fmt = book.formats[formats[col]]
            if bold:
                fmt = book.bold_format(fmt)
            kind = type(value)
            if kind is str:
                if value:
                    sheet.write_string(row, col, value, fmt)
                elif fmt is not book.plain:
                    sheet.write_blank(row, col, None, fmt)
            elif kind is float or kind is int:
                sheet.write_number(row, col, value, fmt)
            elif value is None or value is False:
                if fmt is not book.plain:
                    sheet.write_blank(row, col, None, fmt)
            else:
                sheet.write_number(row, col, book.date_serial(value), fmt)

    def close(self):
        if self.row:
            self.sheet.autofilter(0, 0, self.row, self.ncols - 1)


class _XlsxwriterBook:
    def __init__(self):
        import tempfile  # noqa: PLC0415

        import xlsxwriter  # noqa: PLC0415

        from odoo.addons.kf_kpi.controllers.xlsx import FORMAT_SPECS  # noqa: PLC0415

        self.xlsxwriter = xlsxwriter
        self.file = tempfile.TemporaryFile(suffix=".xlsx")
        self.workbook = xlsxwriter.Workbook(
            self.file, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        self.spec = FORMAT_SPECS
        self.formats = {key: self.workbook.add_format(spec) for key, spec in FORMAT_SPECS.items()}
        self.plain = self.formats["text"]
        self._bold = {}
        self._serials = {}

    def date_serial(self, value):
        serial = self._serials.get(value)
        if serial is None:
            serial = self._serials[value] = self.xlsxwriter.utility.datetime_to_excel_datetime(value, False, False)
        return serial

    def bold_format(self, fmt):
        if id(fmt) not in self._bold:
            spec = next((s for k, s in self.spec.items() if self.formats[k] is fmt), {})
            self._bold[id(fmt)] = self.workbook.add_format(dict(spec, bold=True, top=1))
        return self._bold[id(fmt)]

    def table(self, name, columns):
        return _XlsxwriterTable(self, name, columns)


def _sheet_values(data):
    import openpyxl  # noqa: PLC0415

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    values = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    book.close()
    return values


def _orm_problem_rows(Report, month, batch_size=5000):
    """The former ``kf.kpi.problem.report.xlsx_rows``: keyset pages of
    ``batch_size`` report rows through the ORM, the names on a page read per
    related model, the evidence names through ``ir.attachment`` searches, the
    cache emptied after each page (the baseline of the SQL stream)."""
    env = Report.env
    types = dict(Report.problem_types())
    states = dict(Report._fields["state"]._description_selection(env))
    fnames = ["id", "name", "date", "problem_type", "state", "evidence_count"]
    relations = [("partner_id", "name"), ("project_id", "name"), ("user_id", "name"), ("problem_id", "description")]

    def related(model, ids, fname):
        records = env[model].sudo().browse(sorted(i for i in ids if i))
        records.fetch([fname])
        return {record.id: record[fname] for record in records}

    def evidence_names(problems):
        problems = problems.sudo()
        problems.fetch(["evidence_attachment_ids"])
        links = {problem.id: problem.evidence_attachment_ids.ids for problem in problems}
        attachment_ids = {attachment_id for ids in links.values() for attachment_id in ids}
        readable = env["ir.attachment"].search_fetch([("id", "in", list(attachment_ids))], ["name"], order="name, id")
        rank = {attachment.id: index for index, attachment in enumerate(readable)}
        names = {attachment.id: attachment.name for attachment in readable}
        result = {}
        for problem_id, ids in links.items():
            ordered = sorted((i for i in ids if i in rank), key=rank.get)
            if ordered:
                result[problem_id] = ", ".join(names[i] for i in ordered)
        return result

    domain = Report.month_domain(month)
    while True:
        query = Report._search(domain, order="date, id", limit=batch_size)
        columns = [*fnames, *(fname for fname, _target in relations)]
        page = env.execute_query(query.select(*(Report._field_to_sql(Report._table, f, query) for f in columns)))
        values = [
            related(Report._fields[fname].comodel_name, {row[index] for row in page}, target)
            for index, (fname, target) in enumerate(relations, start=len(fnames))
        ]
        files = evidence_names(env["kf.problem"].browse({row[-1] for row in page if row[-1]}))
        partners, projects, users, descriptions = values
        for _id, name, day, ptype, state, count, partner, project, user, problem in page:
            yield {
                "name": name or False,
                "date": day,
                "type": types.get(ptype, ptype),
                "customer": partners.get(partner, False),
                "project": projects.get(project, False),
                "employee": users.get(user, False),
                "state": states.get(state, state),
                "description": descriptions.get(problem, False),
                "evidence_count": count,
                "evidence_files": files.get(problem),
            }
        if len(page) < batch_size:
            return
        last_date, last_id = page[-1][2], page[-1][0]
        domain = [
            *Report.month_domain(month),
            "|",
            ("date", ">", last_date),
            "&",
            ("date", "=", last_date),
            ("id", ">", last_id),
        ]
        env.invalidate_all()


def _admin_env(env):
    """The benchmark's environment as admin, not superuser: record rules and
    attachment access apply as they do over HTTP."""
    return env(user=env.ref("base.user_admin").id, su=False)


def _compare_reads(env, month, repetitions=3):
    """The problem rows of ``month`` read by KF's SQL stream, by the former ORM
    read and by the bare SQL of KF's query, alternating; KF's rows checked
    equal to the ORM read's."""
    import tracemalloc  # noqa: PLC0415

    Report = _admin_env(env)["kf.kpi.problem.report"]
    cr = Report.env.cr

    def raw():
        # KF's SELECT, fetched at once by a client-side cursor, no row built
        Report.env.flush_all()
        sql = Report._kf_xlsx_query(month)
        cr.execute(sql)
        return cr.fetchall()

    readers = {
        "kf (SQL stream)": lambda: list(Report.xlsx_rows(month)),
        "former ORM read": lambda: list(_orm_problem_rows(Report, month)),
        "bare SQL": raw,
    }
    timings = {name: [] for name in readers}
    queries = {}
    results = {}
    for repetition in range(repetitions):
        order = list(readers) if repetition % 2 == 0 else list(readers)[::-1]
        for name in order:
            Report.env.invalidate_all()
            count = cr.sql_log_count
            start = time.perf_counter()
            results[name] = readers[name]()
            timings[name].append(time.perf_counter() - start)
            queries[name] = cr.sql_log_count - count
    peaks = {}
    for name, generator in (
        ("kf (SQL stream)", lambda: Report.xlsx_rows(month)),
        ("former ORM read", lambda: _orm_problem_rows(Report, month)),
    ):
        Report.env.invalidate_all()
        tracemalloc.start()
        rows = sum(1 for _row in generator())
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    kf = timings["kf (SQL stream)"]
    for name, values in timings.items():
        peak = f", Python memory peak {peaks[name] / 1024 / 1024:5.1f} MB" if name in peaks else ""
        print(
            f"  {name:<18} min {min(values):6.2f} s  median {statistics.median(values):6.2f} s"
            f"  {len(results[name]):>8,} rows, {queries[name]:>4} queries{peak}  ({repetitions} runs)"
        )
    print(
        f"  ratios (min against min): former ORM read / kf {min(timings['former ORM read']) / min(kf):.1f}x, "
        f"kf / bare SQL {min(kf) / min(timings['bare SQL']):.2f}x "
        f"(the ORM counts kf's query of the evidence documents' models; its SELECT runs on a server-side "
        f"cursor, not counted: 1 DECLARE and {rows // 5000 + 1} FETCHes of 5,000 rows)"
    )
    same = results["kf (SQL stream)"] == results["former ORM read"]
    print(f"  kf's rows equal to the former ORM read's: {same} ({len(results['kf (SQL stream)']):,} rows)")
    return results["former ORM read"]


def _orm_workbook(env, month, rows):
    """The problems workbook written in process from the rows of the former
    ORM read (the reference of the HTTP export's cells)."""
    from unittest.mock import patch  # noqa: PLC0415

    from odoo.addons.kf_kpi.controllers.xlsx import KfKpiXlsxController, XlsxBook  # noqa: PLC0415

    Report = _admin_env(env)["kf.kpi.problem.report"]
    book = XlsxBook()
    with patch.object(type(Report), "xlsx_rows", lambda self, month, batch_size=0: iter(rows)):
        KfKpiXlsxController()._kf_write_problems(Report.env, book, month)
    book.workbook.close()
    book.file.seek(0)
    data = book.file.read()
    book.file.close()
    return data


def _compare_writers(env, month, repetitions=3):
    """The problems workbook of ``month`` written in process by KF's writer
    and by xlsxwriter from the same rows (read once), alternating; the cell
    values of both workbooks compared."""
    from unittest.mock import patch  # noqa: PLC0415

    from odoo.addons.kf_kpi.controllers.xlsx import KfKpiXlsxController, XlsxBook  # noqa: PLC0415

    Report = _admin_env(env)["kf.kpi.problem.report"]
    env = Report.env
    start = time.perf_counter()
    rows = list(Report.xlsx_rows(month))
    read = time.perf_counter() - start
    print(f"  reading {len(rows):,} problem rows (xlsx_rows, once): {read:.2f} s")
    controller = KfKpiXlsxController()
    writers = {"xlsxwriter": _XlsxwriterBook, "kf_xlsx": XlsxBook}
    timings = {name: [] for name in writers}
    outputs = {}
    with patch.object(type(Report), "xlsx_rows", lambda self, month, batch_size=0: iter(rows)):
        for repetition in range(repetitions):
            order = list(writers) if repetition % 2 == 0 else list(writers)[::-1]
            for name in order:
                start = time.perf_counter()
                book = writers[name]()
                controller._kf_write_problems(env, book, month)
                book.workbook.close()
                timings[name].append(time.perf_counter() - start)
                book.file.seek(0)
                outputs[name] = book.file.read()
                book.file.close()
    for name, values in timings.items():
        print(
            f"  {name:<12} min {min(values):6.2f} s  median {statistics.median(values):6.2f} s"
            f"  {len(outputs[name]) / 1024 / 1024:5.1f} MB  ({repetitions} runs)"
        )
    ratio = min(timings["xlsxwriter"]) / min(timings["kf_xlsx"])
    print(f"  kf_xlsx is {ratio:.1f}x faster than xlsxwriter (min against min)")
    start = time.perf_counter()
    same = _sheet_values(outputs["kf_xlsx"]) == _sheet_values(outputs["xlsxwriter"])
    print(f"  same sheets and cell values in both workbooks: {same} (checked in {time.perf_counter() - start:.1f} s)")


def run(env, base_url):
    latest, first, _end = _months(env)
    # with a density growing linearly, the middle month holds about 1/24 of the rows
    middle = first + relativedelta(months=MONTHS // 2 - 1)
    empty = first - relativedelta(months=1)
    env.cr.execute(
        "SELECT (SELECT count(*) FROM kf_ticket), (SELECT count(*) FROM kf_dispatch_order), "
        "(SELECT count(*) FROM kf_visit), (SELECT count(*) FROM kf_problem), "
        "(SELECT count(*) FROM kf_problem_evidence_rel), (SELECT count(*) FROM kf_work_report), "
        "(SELECT count(*) FROM kf_service_contract), (SELECT count(*) FROM kf_contract_payment_line)"
    )
    tickets, orders, visits, problems, evidence, reports, contracts, lines = env.cr.fetchone()
    appraised = env["kf.kpi.sheet"]._appraised_users(env.company)
    print(
        f"data: {tickets:,} tickets, {orders:,} work orders, {visits:,} visits, {problems:,} problems "
        f"({evidence:,} evidence links), {reports:,} work reports, {contracts:,} contracts, "
        f"{lines:,} payment lines; {len(appraised)} appraised employees"
    )
    months = (
        ("latest full month", latest),
        ("middle month", middle),
        ("first month", first),
        ("month before the data", empty),
    )
    for label, month in months:
        counts = _month_counts(env, month)
        print(f"  {label + ' ' + format(month, '%Y-%m'):<30}" + ", ".join(f"{v:,} {k}" for k, v in counts.items()))

    if "compute" in PARTS:
        print("1. month-end computation of all appraisal sheets (kf.kpi.sheet.compute_month)")
        print("   (the first call of the session also fills the ORM's caches)")
        for _label, month in months:
            _compute(env, f"{month:%Y-%m} first run (creates)", month)
            _compute(env, f"{month:%Y-%m} recompute", month)
        print(f"  each KPI alone on {latest:%Y-%m}:")
        _kpi_breakdown(env, latest)
        env.cr.rollback()
    if "xlsx" not in PARTS:
        return

    print(f"2. XLSX exports of {latest:%Y-%m} over HTTP")
    proc = _server_process(base_url)
    if proc is None:
        print("  (Odoo server process not found: RSS not measured)")
    else:
        print(f"  Odoo server pid {proc.pid}")
    session = _login(base_url)
    if session is None:
        print("  login failed: exports not measured")
        return
    _export(session, base_url, proc, "appraisal", "/kf_kpi/xlsx/appraisal", latest)
    _export(session, base_url, proc, "satisfaction", "/kf_kpi/xlsx/satisfaction", latest)
    exports = []
    for run in range(3):
        _export(
            session, base_url, proc, f"problems (run {run + 1})", "/kf_kpi/xlsx/problems", latest, run == 0, exports
        )
    times = [elapsed for elapsed, _memory, _content in exports]
    if times:
        print(
            f"  problems export: min {min(times):.2f} s, median {statistics.median(times):.2f} s, "
            f"server memory +{max(memory for _elapsed, memory, _content in exports) / 1024 / 1024:.0f} MB at most"
        )
    _export(session, base_url, proc, f"problems {first:%Y-%m}", "/kf_kpi/xlsx/problems", first)
    print(f"3. reading the problem rows of {latest:%Y-%m} in process, as admin")
    orm_rows = _compare_reads(env, latest)
    if exports:
        http_values = _sheet_values(exports[0][2])
        orm_values = _sheet_values(_orm_workbook(env, latest, orm_rows))
        print(
            f"  the HTTP workbook: {len(http_values.get('Problems', [])) - 1:,} problem rows "
            f"(the ORM read: {len(orm_rows):,}); same sheets and cells as the workbook of the former ORM read: "
            f"{http_values == orm_values}"
        )
    print(f"4. XLSX writers side by side, in process: the problems workbook of {latest:%Y-%m}")
    _compare_writers(env, latest)
