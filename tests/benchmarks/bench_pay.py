"""Benchmark of the monthly performance-pay computation (kf_performance_pay).

Run with ``./kf bench tests/benchmarks/bench_pay.py``.

setup(env) creates two companies: a large one with 200 department employees
(specialists, one clerk) and a small one with 20, the same data per employee
in each, over the 12 full months before the current one:
- work orders (SQL, 30 per employee and month), done in the month, with the
  commissioning fields (zone, points, acceptance date) when kf_dispatch.order
  has them;
- maintenance contracts (ORM, 2 per employee) with a signer when
  ``kf.service.contract.kf_signer_id`` exists, and two paid payment lines;
- penalties (``kf.pay.penalty``, ORM, one per employee and quarter) when the
  model exists.
Each generator is guarded by the presence of its model or fields and reports
what it skipped, so the script runs with whatever pay sources are installed.

run(env, base_url) times ``kf.pay.statement.compute_month`` for each of the 12
months of the large company (goal: under 2 s a month for 200 employees), then
counts the queries of a month with 20 and with 200 employees (they must not
grow with the employees), and times beside it a naive loop that computes the
same figures employee by employee and checks both give the same totals.
When no pay source is installed, a benchmark source (the month's done work
orders per employee, grouped) stands in for them, with its ORM
per-employee twin in the naive loop. Figures are printed; the totals check
is asserted.
"""

import contextlib
import time
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tools import SQL

N_BIG = 200
N_SMALL = 20
MONTHS = 12
ORDERS_PER_MONTH = 30  # per employee
CONTRACTS_PER_USER = 2
BENCH_RATE = 12.5  # pay per done work order of the stand-in source
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
    return company, users


def _orders(env, company, users, months):
    Order = env["kf.dispatch.order"]
    customer = env["res.partner"].create({"name": f"{company.name} customer", "is_company": True})
    project = env["project.project"].create({"name": f"{company.name} project", "company_id": company.id})
    listed = {
        "id",
        "name",
        "partner_id",
        "commercial_partner_id",
        "project_id",
        "company_id",
        "state",
        "kf_order_type",
        "user_id",
        "work_content",
        "priority",
        "date_planned_start",
        "date_planned_end",
        "date_done",
        "date_closed",
        "kf_done_on_time",
        "active",
        "dispatch_escalated",
        "ack_escalated",
        "overdue_escalated",
        "certificate_complete",
        "certificate_paper_archived",
        "color",
        "create_uid",
        "write_uid",
        "create_date",
        "write_date",
    }
    extra = {}
    if "kf_pay_points" in Order._fields and Order._fields["kf_pay_points"].store:
        extra["kf_pay_points"] = SQL("1 + mod(g, 5)")
    if "kf_acceptance_date" in Order._fields and Order._fields["kf_acceptance_date"].store:
        extra["kf_acceptance_date"] = SQL("(d.done)::date")
    if "kf_pay_zone" in Order._fields and Order._fields["kf_pay_zone"].store:
        extra["kf_pay_zone"] = SQL("(ARRAY['local', 'county', 'outside', 'partner'])[1 + mod(g, 4)]")
    # other NOT NULL columns (added by other addons) get their field's default
    not_null = env.execute_query(
        SQL(
            """SELECT column_name FROM information_schema.columns
                WHERE table_name = 'kf_dispatch_order' AND is_nullable = 'NO' AND column_default IS NULL"""
        )
    )
    missing = [col for (col,) in not_null if col not in listed and col not in extra]
    defaults = Order.default_get(missing)
    for col in missing:
        extra[col] = SQL(
            "%s",
            defaults.get(col, False) or (0 if Order._fields[col].type in ("integer", "float", "monetary") else False),
        )
    cols = "".join(f", {col}" for col in extra)
    vals = SQL("").join(SQL(", %s", value) for value in extra.values())
    per_month = len(users) * ORDERS_PER_MONTH
    for month in months:
        env.cr.execute(
            SQL(
                f"""
                INSERT INTO kf_dispatch_order (
                    name, partner_id, commercial_partner_id, project_id, company_id, state, kf_order_type, user_id,
                    work_content, priority, date_planned_start, date_planned_end, date_done, date_closed,
                    kf_done_on_time, active, dispatch_escalated, ack_escalated, overdue_escalated,
                    certificate_complete, certificate_paper_archived, color,
                    create_uid, write_uid, create_date, write_date{cols})
                SELECT 'BP-' || %s || '-' || %s || '-' || g, %s, %s, %s, %s, 'closed', 'commissioning', d.user_id,
                       'Bench commissioning job', '0', d.done - interval '8 hours', d.done, d.done,
                       d.done + interval '1 day', TRUE, TRUE, FALSE, FALSE, FALSE, TRUE, FALSE, 0,
                       1, 1, now() at time zone 'UTC', now() at time zone 'UTC'%s
                  FROM (SELECT g, (%s::int[])[1 + mod(g, %s)] AS user_id,
                               %s::timestamp + interval '2 hours'
                               + (mod(g * 7, 26 * 24)) * interval '1 hour' AS done
                          FROM generate_series(1, %s) AS g) d
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
                month,
                per_month,
            )
        )
    return per_month * len(months)


def _contracts(env, company, users, months):
    Contract = env["kf.service.contract"]
    if "kf_signer_id" not in Contract._fields:
        return "skipped (no kf_signer_id)"
    customer = env["res.partner"].create({"name": f"{company.name} maintenance customer", "is_company": True})
    vals_list = []
    for index, user in enumerate(users):
        for n in range(CONTRACTS_PER_USER):
            start = months[(index + n) % len(months)]
            vals_list.append(
                {
                    "name": f"BPC-{company.id}-{index}-{n}",
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "contract_type": "maintenance",
                    "date_start": start,
                    "date_end": start + relativedelta(years=1, days=-1),
                    "amount": 24000.0 + 1000 * n,
                    "user_id": user.id,
                    "kf_signer_id": user.id,
                }
            )
    contracts = Contract.with_context(tracking_disable=True, mail_create_nolog=True).create(vals_list)
    Line = env["kf.contract.payment.line"] if "kf.contract.payment.line" in env else None
    if Line is not None:
        lines = []
        for contract in contracts:
            for share in (0.5, 0.5):
                lines.append(
                    {
                        "contract_id": contract.id,
                        "date_due": contract.date_start + relativedelta(months=1),
                        "amount": contract.amount * share,
                    }
                )
        Line.create(lines)
        paid = Line.search([("contract_id", "in", contracts.ids)])
        if "amount_received" in Line._fields:
            paid.write({"amount_received": contracts[:1].amount * 0.5})
    return f"{len(contracts)} contracts"


def _penalties(env, company, users, months):
    if "kf.pay.penalty" not in env:
        return "skipped (no kf.pay.penalty)"
    Penalty = env["kf.pay.penalty"]
    vals_list = []
    for month in months[::3]:
        for user in users:
            vals = {"user_id": user.id, "company_id": company.id}
            if "date" in Penalty._fields:
                vals["date"] = month + relativedelta(days=9)
            if "amount" in Penalty._fields:
                vals["amount"] = 50.0
            if "name" in Penalty._fields:
                vals["name"] = "Late feedback form"
            vals_list.append(vals)
    penalties = Penalty.create(vals_list)
    for method in ("action_confirm", "action_approve", "action_validate"):
        if hasattr(penalties, method):
            getattr(penalties, method)()
            break
    return f"{len(penalties)} penalties"


def _guarded(env, label, generator, *args):
    """Run one generator in a savepoint; a generator whose guesses about a
    model fail is reported and left out."""
    done = _part(label)
    try:
        with env.cr.savepoint():
            result = generator(env, *args)
            env.flush_all()
    except Exception as error:  # a source's data is optional
        env.invalidate_all()
        result = f"skipped ({type(error).__name__})"
    done(str(result))


def setup(env):
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
    months = _months(env)
    for name, size in (("Bench Pay Big", N_BIG), ("Bench Pay Small", N_SMALL)):
        done = _part(f"{name}: company and {size} employees")
        company, users = _company(env, name, size)
        done()
        _guarded(env, f"{name}: work orders (SQL)", _orders, company, users, months)
        _guarded(env, f"{name}: maintenance contracts", _contracts, company, users, months)
        _guarded(env, f"{name}: penalties", _penalties, company, users, months)
    env.cr.execute("ANALYZE")


# ------------------------------------------------------------------ stand-in source
def _bench_source(model, period):
    """Done work orders of the month per employee, one grouped query."""
    groups = (
        model.env["kf.dispatch.order"]
        .sudo()
        ._read_group(
            [
                ("company_id", "=", period.company.id),
                ("state", "=", "closed"),
                ("date_done", ">=", period.dt_from),
                ("date_done", "<", period.dt_to),
                ("user_id", "!=", False),
            ],
            ["user_id"],
            ["__count"],
        )
    )
    return [_bench_item(user.id, count, period) for user, count in groups]


def _bench_item(user_id, count, period):
    return {
        "user_id": user_id,
        "category": "reward",
        "name": "Bench: done work orders",
        "amount": count * BENCH_RATE,
        "quantity": count,
        "rate": BENCH_RATE,
        "res_model": False,
        "source_key": f"bench:{user_id}:{period.date_from:%Y-%m}",
        "date_due": period.date_to,
    }


def _naive_bench_item(env, user, period):
    count = (
        env["kf.dispatch.order"]
        .sudo()
        .search_count(
            [
                ("company_id", "=", period.company.id),
                ("state", "=", "closed"),
                ("date_done", ">=", period.dt_from),
                ("date_done", "<", period.dt_to),
                ("user_id", "=", user.id),
            ]
        )
    )
    return [_bench_item(user.id, count, period)] if count else []


# ------------------------------------------------------------------ run
def _naive_totals(env, company, month, stand_in):
    """The month's totals computed employee by employee: every source run
    and filtered for one employee at a time (the stand-in source by an ORM
    search per employee)."""
    from odoo.addons.kf_performance_pay.models.kf_pay_statement import KfPayPeriod  # noqa: PLC0415

    Statement = env["kf.pay.statement"].sudo()
    period = KfPayPeriod(env, month, company)
    currency = company.currency_id
    paid = set()
    totals = {}
    for user in Statement._kf_pay_users(company):
        items = []
        if stand_in:
            items += _naive_bench_item(env, user, period)
        else:
            for source in Statement._kf_pay_sources():
                items += [i for i in getattr(Statement, source)(period) if i["user_id"] == user.id]
        items = [i for i in items if period.window_from <= i["date_due"] <= period.date_to]
        elsewhere = Statement._kf_paid_keys(period, [i["source_key"] for i in items])
        items = [i for i in items if i["source_key"] not in paid and i["source_key"] not in elsewhere]
        paid |= {i["source_key"] for i in items}
        totals[user.id] = sum(Statement.kf_round(i["amount"], currency) for i in items)
    return totals


def run(env, base_url):
    Statement = env["kf.pay.statement"].sudo()
    Registry = type(Statement)
    stand_in = not Statement._kf_pay_sources()
    patches = (
        patch.multiple(
            Registry, _kf_pay_sources=lambda model: ["_kf_bench_source"], _kf_bench_source=_bench_source, create=True
        )
        if stand_in
        else contextlib.nullcontext()
    )
    big = env["res.company"].search([("name", "=", "Bench Pay Big")])
    small = env["res.company"].search([("name", "=", "Bench Pay Small")])
    months = _months(env)
    print(f"pay sources: {'stand-in (no pay source installed)' if stand_in else Statement._kf_pay_sources()}")
    with patches:
        print(f"compute_month, {N_BIG} employees, each of the {MONTHS} months:")
        worst = 0.0
        for month in months:
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
        print(f"  worst month: {worst:.2f} s (goal < 2 s)")
        latest = months[-1]
        counts = {}
        Statement.compute_month(latest, small)  # its statements exist, as the big company's do
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
        env.invalidate_all()
        before = env.cr.sql_log_count
        start = time.perf_counter()
        naive = _naive_totals(env, big, latest, stand_in)
        naive_time = time.perf_counter() - start
        naive_queries = env.cr.sql_log_count - before
        engine = {
            s.user_id.id: s.amount_total
            for s in Statement.search([("company_id", "=", big.id), ("date_from", "=", latest)])
        }
        print(f"naive per-employee loop for {latest:%Y-%m}: {naive_time:.2f} s, {naive_queries} queries")
        mismatches = {
            uid: (engine.get(uid, 0.0), total)
            for uid, total in naive.items()
            if abs(engine.get(uid, 0.0) - total) > 0.005
        }
        print(
            f"totals: engine {sum(engine.values()):,.2f}, naive {sum(naive.values()):,.2f}, "
            f"{len(mismatches)} employees differ"
        )
        assert not mismatches, f"the engine and the naive loop differ: {list(mismatches.items())[:5]}"
    env.cr.rollback()
