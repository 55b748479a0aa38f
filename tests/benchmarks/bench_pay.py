"""Benchmark of the monthly performance-pay computation (kf_performance_pay).

Run with ``./kf bench tests/benchmarks/bench_pay.py``.

setup(env) creates two companies: a large one with 200 department employees
(specialists, one clerk who gets the clerk's share) and a small one with 20,
the same data per employee in each, over the 12 full months before the
current one, feeding the real pay sources:
- commissioning orders (SQL, 30 per employee and month) dispatched, done and
  closed in the month in four zones, with their counted and paid points, the
  three documents handed in a day later (a tenth of them too late), the
  call-back three days after and the acceptance day;
- reviewed feedback forms (SQL, 4 per employee and month) on those orders:
  the engineers' year-end feedback bonus;
- maintenance contracts (ORM, one per CONTRACT_EVERY employees) invoiced and
  paid in full through Odoo Invoicing (Chinese chart of accounts): the
  signer's 15 %;
- confirmed penalties (ORM, one per employee and quarter, with evidence).

run(env, base_url) times ``kf.pay.statement.compute_month`` for each of the 12
months of the large company (goal: under 2 s a month for 200 employees), then
counts the queries of a recompute with 20 and with 200 employees (in total and
by source: they grow only with the ORM's prefetch batches of 1,000 rows read or
written, not with the employees), and times beside the engine, on the 20 employees, a
naive loop that computes the same figures employee by employee (every source
run and filtered for one employee at a time) and checks both give the same
totals. Figures are
printed; the totals check is asserted.
"""

import time

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command, fields
from odoo.tools import SQL

N_BIG = 200
N_SMALL = 20
MONTHS = 12
ORDERS_PER_MONTH = 30  # per employee
FORMS_PER_MONTH = 4  # reviewed feedback forms per employee
CONTRACT_EVERY = 10  # one paid maintenance contract per this many employees
PREFIX = "bench_pay_"


def _months(env):
    today = fields.Date.context_today(env["kf.pay.statement"])
    latest = today + relativedelta(day=1, months=-1)
    return [latest - relativedelta(months=n) for n in range(MONTHS - 1, -1, -1)]


def _part(label):
    start = time.perf_counter()

    def done(what=""):
        print(f"  {label:<46}{what:<24}{time.perf_counter() - start:8.2f} s", flush=True)

    return done


# ------------------------------------------------------------------ setup
def _company(env, name, size):
    calendar = env.ref("resource.resource_calendar_std").copy({"name": f"{name} calendar", "tz": "Asia/Shanghai"})
    company = env["res.company"].create({"name": name, "resource_calendar_id": calendar.id})
    specialist = env.ref("kf_customer_service.group_kf_specialist")
    clerk = env.ref("kf_customer_service.group_kf_clerk")
    manager_group = env.ref("kf_customer_service.group_kf_manager")
    Users = env["res.users"].with_context(no_reset_password=True, mail_create_nolog=True, tracking_disable=True)
    common = {"company_id": company.id, "company_ids": [Command.set([company.id])]}
    users = Users.create(
        [
            {
                "name": f"{name} Employee {i:03d}",
                "login": f"{PREFIX}{company.id}_{i:03d}",
                "groups_id": [Command.set([(clerk if i == size - 1 else specialist).id])],
                **common,
            }
            for i in range(size)
        ]
    )
    manager = Users.create(
        {"name": f"{name} Manager", "login": f"{PREFIX}{company.id}_mgr", "groups_id": [(6, 0, [manager_group.id])]}
        | common
    )
    company.kf_manager_id = manager
    company.kf_pay_clerk_id = users[-1]
    return company, users


def _not_null_defaults(env, model, table, listed):
    """{column: SQL value} for the NOT NULL columns without a database
    default that ``listed`` does not fill (added by other addons): their
    field's default, else 0/False."""
    Model = env[model]
    not_null = env.execute_query(
        SQL(
            """SELECT column_name FROM information_schema.columns
                WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL""",
            table,
        )
    )
    missing = [col for (col,) in not_null if col not in listed]
    defaults = Model.default_get(missing)
    return {
        col: SQL(
            "%s",
            defaults.get(col, False) or (0 if Model._fields[col].type in ("integer", "float", "monetary") else False),
        )
        for col in missing
    }


def _insert(env, table, columns, select, *params):
    """INSERT INTO table (columns) SELECT … with the extra NOT NULL columns."""
    cols = ", ".join(columns)
    env.cr.execute(SQL(f"INSERT INTO {table} ({cols}) {select}", *params))


ORDER_COLUMNS = (
    "name, partner_id, commercial_partner_id, project_id, company_id, state, kf_order_type, user_id, work_content, "
    "priority, date_planned_start, date_planned_end, date_dispatched, date_done, date_closed, kf_done_on_time, "
    "active, dispatch_escalated, ack_escalated, overdue_escalated, certificate_complete, "
    "certificate_paper_archived, color, point_count, kf_pay_counted_points, kf_pay_points, kf_pay_zone, "
    "kf_doc_settlement_on, kf_doc_archive_on, kf_doc_survey_on, kf_pay_callback_date, kf_acceptance_date, "
    "create_uid, write_uid, create_date, write_date"
)


def _orders(env, company, users, months):
    """Closed commissioning orders: points 20…265 by step of 5, four zones,
    documents a day after (every tenth order 20 days after: too late), the
    call-back three days after, accepted on the day it was done."""
    customer = env["res.partner"].create({"name": f"{company.name} customer", "is_company": True})
    project = env["project.project"].create({"name": f"{company.name} project", "company_id": company.id})
    listed = {c.strip() for c in ORDER_COLUMNS.split(",")} | {"id"}
    extra = _not_null_defaults(env, "kf.dispatch.order", "kf_dispatch_order", listed)
    cols = "".join(f", {col}" for col in extra)
    vals = SQL("").join(SQL(", %s", value) for value in extra.values())
    per_month = len(users) * ORDERS_PER_MONTH
    for month in months:
        env.cr.execute(
            SQL(
                f"""
                INSERT INTO kf_dispatch_order ({ORDER_COLUMNS}{cols})
                SELECT 'BP-' || %s || '-' || %s || '-' || g, %s, %s, %s, %s, 'closed', 'commissioning', d.user_id,
                       'Bench commissioning job', '0', d.done - interval '8 hours', d.done,
                       d.done - interval '10 hours', d.done, d.done + interval '1 day', TRUE, TRUE, FALSE, FALSE,
                       FALSE, TRUE, FALSE, 0, d.points, d.points, d.points,
                       (ARRAY['local', 'county', 'outside', 'partner'])[1 + mod(g, 4)],
                       d.docs, d.docs, d.docs, (d.done + interval '3 days')::date, (d.done)::date,
                       1, 1, now() at time zone 'UTC', now() at time zone 'UTC'%s
                  FROM (SELECT g, (%s::int[])[1 + mod(g, %s)] AS user_id, 20 + 5 * mod(g * 3, 50) AS points,
                               s.done, s.done + CASE WHEN mod(g, 10) = 0 THEN interval '20 days'
                                                     ELSE interval '1 day' END AS docs
                          FROM generate_series(1, %s) AS g,
                               LATERAL (SELECT %s::timestamp + interval '2 hours'
                                               + (mod(g * 7, 24 * 24)) * interval '1 hour' AS done) s) d
                """,
                company.id,
                f"{month:%Y%m}",
                customer.id,
                customer.id,
                project.id,
                company.id,
                vals,
                users.ids,
                len(users),
                per_month,
                month,
            )
        )
    return f"{per_month * len(months)} orders"


def _forms(env, company, users, months):
    """Reviewed feedback forms on the employees' first orders of each month."""
    listed = {"id", "order_id", "company_id", "user_id", "service_type", "state", "reviewed_on"}
    listed |= {"create_uid", "write_uid", "create_date", "write_date"}
    extra = _not_null_defaults(env, "kf.service.feedback", "kf_service_feedback", listed)
    cols = "".join(f", {col}" for col in extra)
    vals = SQL("").join(SQL(", %s", value) for value in extra.values())
    env.cr.execute(
        SQL(
            f"""
            INSERT INTO kf_service_feedback (order_id, company_id, user_id, service_type, state, reviewed_on,
                                             create_uid, write_uid, create_date, write_date{cols})
            SELECT o.id, o.company_id, o.user_id, 'commissioning', 'reviewed', o.date_done + interval '2 days',
                   1, 1, now() at time zone 'UTC', now() at time zone 'UTC'%s
              FROM (SELECT id, company_id, user_id, date_done,
                           row_number() OVER (PARTITION BY user_id, date_trunc('month', date_done) ORDER BY id) AS n
                      FROM kf_dispatch_order WHERE company_id = %s AND kf_order_type = 'commissioning') o
             WHERE o.n <= %s
            """,
            vals,
            company.id,
            FORMS_PER_MONTH,
        )
    )
    return f"{env.cr.rowcount} forms"


def _contracts(env, company, users, months):
    """One maintenance contract per CONTRACT_EVERY employees, signed by them,
    invoiced and paid in full (one instalment) in one of the months."""
    env["account.chart.template"].try_loading("cn", company, install_demo=False)
    Contract = env["kf.service.contract"].with_company(company)
    customer = env["res.partner"].create({"name": f"{company.name} maintenance customer", "is_company": True})
    signers = users[::CONTRACT_EVERY]
    contracts = Contract.create(
        [
            {
                "name": f"BPC-{company.id}-{index}",
                "partner_id": customer.id,
                "company_id": company.id,
                "contract_type": "maintenance",
                "date_start": months[index % len(months)],
                "date_end": months[index % len(months)] + relativedelta(years=1, days=-1),
                "amount": 24000.0 + 100 * index,
                "user_id": user.id,
                "kf_signer_id": user.id,
                "state": "running",
                "payment_line_ids": [
                    Command.create(
                        {
                            "name": "Annual fee",
                            "date_due": months[index % len(months)] + relativedelta(days=9),
                            "amount": 24000.0 + 100 * index,
                        }
                    )
                ],
            }
            for index, user in enumerate(signers)
        ]
    )
    for contract in contracts:
        line = contract.payment_line_ids
        with freeze_time(line.date_due):
            line._lock_for_invoicing()._create_invoices()
            env["account.payment.register"].with_company(company).with_context(
                active_model="account.move", active_ids=line.move_id.ids
            ).create({"payment_date": line.date_due})._create_payments()
    return f"{len(contracts)} paid contracts"


def _penalties(env, company, users, months):
    """A confirmed penalty (with evidence) per employee and quarter."""
    evidence = env["ir.attachment"].create({"name": "bench-evidence.pdf", "raw": b"%PDF-1.4"})
    penalty_type = env.ref("kf_performance_pay.kf_pay_penalty_type_complaint")
    vals_list = [
        {
            "user_id": user.id,
            "company_id": company.id,
            "type_id": penalty_type.id,
            "date": month + relativedelta(days=9),
            "description": "Bench penalty",
            "amount": 50.0,
            "occurrence": 1,
            "state": "confirmed",
            "evidence_attachment_ids": [Command.set(evidence.ids)],
        }
        for month in months[::3]
        for user in users
    ]
    penalties = env["kf.pay.penalty"].sudo().create(vals_list)
    return f"{len(penalties)} penalties"


def setup(env):
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
    months = _months(env)
    for name, size in (("Bench Pay Big", N_BIG), ("Bench Pay Small", N_SMALL)):
        done = _part(f"{name}: company and {size} employees")
        company, users = _company(env, name, size)
        done()
        for label, generator in (
            ("commissioning orders (SQL)", _orders),
            ("reviewed feedback forms (SQL)", _forms),
            ("maintenance contracts paid (ORM)", _contracts),
            ("confirmed penalties (ORM)", _penalties),
        ):
            done = _part(f"{name}: {label}")
            result = generator(env, company, users, months)
            env.flush_all()
            done(result)
    # Odoo queued, for the commit, loading a chart of accounts guessed from the
    # companies' country over the one loaded above (refused: they have
    # invoices); everything else is flushed
    env.flush_all()
    env.cr.precommit.clear()
    env.invalidate_all()
    env.cr.execute("ANALYZE")


# ------------------------------------------------------------------ run
def _naive_totals(env, company, month):
    """The month's totals computed employee by employee: every source run
    and filtered for one employee at a time, the post-processing (shares)
    applied to that employee's items."""
    from odoo.addons.kf_performance_pay.models.kf_pay_statement import KfPayPeriod  # noqa: PLC0415

    Statement = env["kf.pay.statement"].sudo()
    period = KfPayPeriod(env, month, company)
    currency = company.currency_id
    everybody = Statement._kf_collect_items(period)  # the clerk's share needs everybody's fees
    totals = {}
    for user in Statement._kf_pay_users(company):
        items = []
        for source in Statement._kf_pay_sources():
            items += [i for i in getattr(Statement, source)(period) if i["user_id"] == user.id]
        items = [i for i in items if period.window_from <= i["date_due"] <= period.date_to]
        items = Statement._kf_apply_leavers(period, items)
        paid = Statement._kf_paid_keys(period, [i["source_key"] for i in items])
        items = [i for i in items if i["source_key"] not in paid]
        shares = [i for i in everybody if i["user_id"] == user.id and i["category"] == "clerk_share"]
        totals[user.id] = sum(Statement.kf_round(i["amount"], currency) for i in items + shares)
    return totals


def _analyze(env):
    """The statistics autovacuum keeps up to date between two nightly runs:
    the benchmark computes a year in one transaction, which autovacuum cannot
    see. Without them the planner takes the statements' and lines' tables for
    empty (a month's 5,600-line insert took 0.8 s, 0.6 s of it in the check
    of the lines' statement key, and the months grew slower through the
    year)."""
    env.cr.execute(SQL("ANALYZE kf_pay_statement, kf_pay_statement_line"))


def run(env, base_url):
    Statement = env["kf.pay.statement"].sudo()
    big = env["res.company"].search([("name", "=", "Bench Pay Big")])
    small = env["res.company"].search([("name", "=", "Bench Pay Small")])
    months = _months(env)
    print(f"pay sources: {Statement._kf_pay_sources()}")
    print(f"compute_month, {N_BIG} employees, each of the {MONTHS} months:")
    worst = 0.0
    by_category = {}
    for month in months:
        _analyze(env)
        env.invalidate_all()
        before = env.cr.sql_log_count
        start = time.perf_counter()
        statements = Statement.compute_month(month, big)
        env.flush_all()
        elapsed = time.perf_counter() - start
        worst = max(worst, elapsed)
        lines = sum(statements.mapped("line_count"))
        print(
            f"  {month:%Y-%m} {len(statements):4d} statements {lines:6d} lines "
            f"{elapsed:7.2f} s {env.cr.sql_log_count - before:5d} queries"
        )
        for category, count in env["kf.pay.statement.line"]._read_group(
            [("statement_id", "in", statements.ids)], ["category"], ["__count"]
        ):
            by_category[category] = by_category.get(category, 0) + count
    print(f"  worst month: {worst:.2f} s (goal < 2 s)")
    print(f"  lines by category over the year: {dict(sorted(by_category.items()))}")
    latest = months[-1]
    counts = {}
    start = time.perf_counter()
    for month in months:  # the small company's year, as the big one's
        _analyze(env)
        Statement.compute_month(month, small)
    env.flush_all()
    print(f"compute_month, {N_SMALL} employees, the {MONTHS} months: {time.perf_counter() - start:.2f} s")
    for company, size in ((small, N_SMALL), (big, N_BIG)):
        env.invalidate_all()
        before = env.cr.sql_log_count
        Statement.compute_month(latest, company)
        env.flush_all()
        counts[size] = env.cr.sql_log_count - before
    print(
        f"queries of a recompute of {latest:%Y-%m}: {counts[N_SMALL]} with {N_SMALL} employees, "
        f"{counts[N_BIG]} with {N_BIG} employees"
    )
    # where the queries go: each source alone, then the saving of the lines
    from odoo.addons.kf_performance_pay.models.kf_pay_statement import KfPayPeriod  # noqa: PLC0415

    for company, size in ((small, N_SMALL), (big, N_BIG)):
        period = KfPayPeriod(env, latest, company)
        figures = []
        for source in Statement._kf_pay_sources():
            env.invalidate_all()
            before = env.cr.sql_log_count
            items = getattr(Statement, source)(period)
            figures.append(f"{source.removeprefix('_kf_pay_items_')} {env.cr.sql_log_count - before}q/{len(items)}")
        print(f"  {size} employees, queries/items by source: {', '.join(figures)}")
    # the naive loop runs every source once per employee: on the small company
    # (a minute per 200 employees would not fit the run)
    _analyze(env)
    env.invalidate_all()
    before = env.cr.sql_log_count
    start = time.perf_counter()
    naive = _naive_totals(env, small, latest)
    naive_time = time.perf_counter() - start
    naive_queries = env.cr.sql_log_count - before
    env.invalidate_all()
    before = env.cr.sql_log_count
    start = time.perf_counter()
    Statement.compute_month(latest, small)
    env.flush_all()
    engine_time = time.perf_counter() - start
    engine_queries = env.cr.sql_log_count - before
    engine = {
        s.user_id.id: s.amount_total
        for s in Statement.search([("company_id", "=", small.id), ("date_from", "=", latest)])
    }
    print(
        f"{N_SMALL} employees, {latest:%Y-%m}: naive per-employee loop {naive_time:.2f} s, {naive_queries} queries; "
        f"engine {engine_time:.2f} s, {engine_queries} queries"
    )
    mismatches = {
        uid: (engine.get(uid, 0.0), total) for uid, total in naive.items() if abs(engine.get(uid, 0.0) - total) > 0.005
    }
    print(
        f"totals: engine {sum(engine.values()):,.2f}, naive {sum(naive.values()):,.2f}, "
        f"{len(mismatches)} employees differ"
    )
    assert not mismatches, f"the engine and the naive loop differ: {list(mismatches.items())[:5]}"
    env.cr.rollback()
