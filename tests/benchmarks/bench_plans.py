"""Benchmark of the daily maintenance-plan scan.

Run with ``./kf bench tests/benchmarks/bench_plans.py``.

setup(env) inserts by SQL 10,000 running maintenance contracts, each with five
pieces of equipment and a plan whose monthly check covers them (50,000
equipment, 10,000 plan checks); the check anchors are spread over the month,
so that a daily run finds the occurrences of about a week (the company's lead
time of five working days) due. The initialisation tests are already done; the
manager's check visits fall every three months, spread over the quarter.

run(env, base_url) times, in the same run:
- a naive ORM baseline (per plan check: search the existing order, create the
  order and its checks one by one) and KF's scan
  (``kf.maintenance.plan.line._cron_generate``, called again while it reports
  remaining work, as the cron runner does) over the same due checks,
  alternating, REPETITIONS times each, rolled back (min, median, ratio; both
  must make the same orders: customer, checks);
- KF's scan, committed;
- KF's scan again (idempotent: nothing created, a constant number of queries).
It then checks the results: one order per due occurrence, five checks each,
no duplicate key.
"""

import statistics
import time
from datetime import timedelta

from psycopg2.extras import execute_values

from odoo import fields

N_CONTRACTS = 10_000
N_EQUIPMENT = 5
N_CUSTOMERS = 2_000
BATCH = 10_000
REPETITIONS = 2  # each way, alternating (the naive loop takes a while)


def _insert(env, sql, rows, fetch=False):
    out = []
    for start in range(0, len(rows), BATCH):
        res = execute_values(env.cr._obj, sql, rows[start : start + BATCH], page_size=BATCH, fetch=fetch)
        if fetch:
            out += [row[0] for row in res]
    return out


def setup(env):
    today = fields.Date.context_today(env["kf.service.contract"])
    company = env.company
    uid = env.uid
    manager = env["res.users"].create(
        {
            "name": "Bench Manager",
            "login": "bench_plan_manager",
            "groups_id": [(4, env.ref("kf_customer_service.group_kf_manager").id)],
        }
    )
    company.kf_manager_id = manager
    executor = env["res.users"].create({"name": "Bench Engineer", "login": "bench_plan_engineer"})
    project = env["project.project"].create({"name": "Bench maintenance"})
    customers = env["res.partner"].create(
        [{"name": f"Bench Customer {i:05d}", "is_company": True, "kf_is_customer": True} for i in range(N_CUSTOMERS)]
    )
    env.flush_all()
    contract_rows = [
        (
            f"BENCH-PLAN-{i:06d}",
            customers[i % N_CUSTOMERS].id,
            customers[i % N_CUSTOMERS].id,
            "maintenance",
            today - timedelta(days=200),
            today + timedelta(days=500),
            company.id,
            company.currency_id.id,
            project.id,
            "running",
            True,
            uid,
            uid,
        )
        for i in range(N_CONTRACTS)
    ]
    contract_ids = _insert(
        env,
        "INSERT INTO kf_service_contract (name, partner_id, commercial_partner_id, contract_type, date_start, "
        "date_end, company_id, currency_id, project_id, state, active, create_uid, write_uid, create_date, "
        "write_date) SELECT v.*, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' FROM (VALUES %s) AS v "
        "RETURNING id",
        contract_rows,
        fetch=True,
    )
    category = env.ref("kf_dispatch.kf_equipment_category_controller")
    equipment_rows = [
        (
            f"Controller {i}-{k}",
            contract_rows[i][1],
            contract_rows[i][1],
            category.id,
            127,
            company.id,
            "in_service",
            True,
            f"bench-token-{i}-{k}",
            uid,
            uid,
        )
        for i in range(N_CONTRACTS)
        for k in range(N_EQUIPMENT)
    ]
    equipment_ids = _insert(
        env,
        "INSERT INTO kf_equipment (name, partner_id, commercial_partner_id, category_id, point_count, company_id, "
        "state, active, access_token, create_uid, write_uid, create_date, write_date) "
        "SELECT v.*, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' FROM (VALUES %s) AS v RETURNING id",
        equipment_rows,
        fetch=True,
    )
    # the initialisation tests are done: one old order stands for them
    init_order = (
        env["kf.dispatch.order"]
        .sudo()
        .create({"partner_id": customers[0].id, "project_id": project.id, "kf_order_type": "initialisation"})
    )
    env.flush_all()
    plan_rows = [
        (
            contract_id,
            contract_rows[i][0],
            contract_rows[i][1],
            contract_rows[i][1],
            company.id,
            project.id,
            executor.id,
            "active",
            init_order.id,
            True,
            today + timedelta(days=i % 91),
            uid,
            uid,
        )
        for i, contract_id in enumerate(contract_ids)
    ]
    plan_ids = _insert(
        env,
        "INSERT INTO kf_maintenance_plan (contract_id, name, partner_id, commercial_partner_id, company_id, "
        "project_id, user_id, state, init_order_id, manager_check, manager_check_date_next, create_uid, write_uid, "
        "create_date, write_date) SELECT v.contract_id, v.name, v.partner_id, v.commercial_partner_id, "
        "v.company_id, v.project_id, v.user_id, v.state, v.init_order_id, v.manager_check, v.d::date, "
        "v.create_uid, v.write_uid, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' FROM (VALUES %s) AS "
        "v(contract_id, name, partner_id, commercial_partner_id, company_id, project_id, user_id, state, "
        "init_order_id, manager_check, d, create_uid, write_uid) RETURNING id",
        plan_rows,
        fetch=True,
    )
    # monthly checks anchored on every day of the month ahead: next occurrence = anchor
    line_rows = [
        (
            plan_id,
            company.id,
            10,
            "monthly",
            today + timedelta(days=i % 30),
            0,
            today + timedelta(days=i % 30),
            uid,
            uid,
        )
        for i, plan_id in enumerate(plan_ids)
    ]
    line_ids = _insert(
        env,
        "INSERT INTO kf_maintenance_plan_line (plan_id, company_id, sequence, check_type, date_start, occurrence, "
        "date_next, create_uid, write_uid, create_date, write_date) SELECT v.plan_id, v.company_id, v.sequence, "
        "v.check_type, v.ds::date, v.occurrence, v.dn::date, v.create_uid, v.write_uid, now() AT TIME ZONE 'UTC', "
        "now() AT TIME ZONE 'UTC' FROM (VALUES %s) AS v(plan_id, company_id, sequence, check_type, ds, occurrence, "
        "dn, create_uid, write_uid) RETURNING id",
        line_rows,
        fetch=True,
    )
    rel_rows = [
        (line_ids[i], equipment_ids[i * N_EQUIPMENT + k]) for i in range(N_CONTRACTS) for k in range(N_EQUIPMENT)
    ]
    _insert(env, "INSERT INTO kf_maintenance_plan_line_equipment_rel (line_id, equipment_id) VALUES %s", rel_rows)
    for table in ("kf_service_contract", "kf_equipment", "kf_maintenance_plan", "kf_maintenance_plan_line"):
        env.cr.execute(f"ANALYZE {table}")
    env.invalidate_all()
    print(
        f"setup: {len(contract_ids)} maintenance contracts, {len(equipment_ids)} equipment, "
        f"{len(line_ids)} monthly plan checks"
    )


def _timed(env, label, func):
    env.invalidate_all()
    queries_before = env.cr.sql_log_count
    start = time.perf_counter()
    result = func()
    env.flush_all()
    elapsed = time.perf_counter() - start
    queries = env.cr.sql_log_count - queries_before
    print(f"{label:<44} {elapsed:7.2f} s  {queries:7d} queries")
    return result, elapsed, queries


def _naive(env, horizon):
    """Per plan check, the obvious ORM code: look for the order, create it
    and its checks, move the check on."""
    Line = env["kf.maintenance.plan.line"]
    Order = env["kf.dispatch.order"]
    created = 0
    for line in Line.search([("date_next", "<=", horizon), ("plan_id.state", "=", "active")]):
        key = f"naive:{line.id}:{line.date_next}"
        if Order.search_count([("plan_key", "=", key)]):
            continue
        order = Order.create(
            {
                "partner_id": line.plan_id.partner_id.id,
                "project_id": line.plan_id.project_id.id,
                "contract_id": line.plan_id.contract_id.id,
                "plan_key": key,
                "kf_order_type": "maintenance",
                "date_planned_start": fields.Datetime.to_datetime(line.date_next),
            }
        )
        for equipment in line.equipment_ids:
            env["kf.dispatch.order.check"].create(
                {"order_id": order.id, "equipment_id": equipment.id, "name": "Monthly test", "point_count": 127}
            )
        line.occurrence += 1
        created += 1
    return created


def _orders_made(env, last_id):
    """The maintenance orders created after ``last_id``: (customer, number of
    checks), sorted. Not the planned day: KF moves a start falling on a day
    off to the next working day, the naive loop does not."""
    env.flush_all()
    env.cr.execute(
        """
        SELECT o.partner_id, (SELECT count(*) FROM kf_dispatch_order_check c WHERE c.order_id = o.id)
          FROM kf_dispatch_order o
         WHERE o.id > %s AND o.kf_order_type = 'maintenance'
         ORDER BY 1, 2
        """,
        [last_id],
    )
    return env.cr.fetchall()


def _kf_scan(env):
    """The cron's entry point, re-called while it reports remaining work."""
    Line = env["kf.maintenance.plan.line"]
    Cron = env["ir.cron"]
    progress = {}
    original = type(Cron)._notify_progress

    def notify(self, *, done, remaining, deactivate=False):
        progress["remaining"] = remaining

    type(Cron)._notify_progress = notify
    calls = 0
    try:
        while True:
            progress.clear()
            Line._cron_generate()
            calls += 1
            if not progress.get("remaining") or calls > 50:
                break
    finally:
        type(Cron)._notify_progress = original
    return calls


def run(env, base_url):
    today = fields.Date.context_today(env["kf.maintenance.plan.line"])
    Line = env["kf.maintenance.plan.line"]
    horizon = Line._kf_horizon(env.company, today)
    due = Line.search_count([("date_next", "<=", horizon)])
    print(f"today {today}, horizon {horizon}: {due} plan checks due of {Line.search_count([])}")

    env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM kf_dispatch_order")
    last_id = env.cr.fetchone()[0]
    ways = {
        "naive ORM baseline": lambda: _naive(env, horizon),
        "KF scan (cron, batches of 1000)": lambda: _kf_scan(env),
    }
    timings = {label: [] for label in ways}
    queries = {}
    outcomes = {}
    for repetition in range(REPETITIONS):
        for label in list(ways) if repetition % 2 == 0 else list(ways)[::-1]:
            env.cr.execute("SAVEPOINT side_by_side")
            _result, elapsed, queries[label] = _timed(env, f"{label} (rolled back)", ways[label])
            timings[label].append(elapsed)
            outcomes[label] = _orders_made(env, last_id)
            env.cr.execute("ROLLBACK TO SAVEPOINT side_by_side")
            env.invalidate_all()
    naive_label, kf_label = list(ways)
    for label, values in timings.items():
        print(
            f"  {label:<32} min {min(values):7.2f} s  median {statistics.median(values):7.2f} s  "
            f"{queries[label]:7d} queries  ({len(outcomes[label])} orders)"
        )
    same = outcomes[naive_label] == outcomes[kf_label]
    print(
        f"  -> KF is {min(timings[naive_label]) / min(timings[kf_label]):.1f}x the naive loop's speed (min against "
        f"min); same orders (customer, checks) in both: {same}"
    )

    Order = env["kf.dispatch.order"]
    before = Order.search_count([])
    calls, kf_s, kf_q = _timed(env, "KF scan (cron, batches of 1000), committed", lambda: _kf_scan(env))
    orders = Order.search([("kf_order_type", "=", "maintenance")])
    visits = env["kf.visit"].search_count([("kf_purpose", "=", "manager_check")])
    print(f"    -> {Order.search_count([]) - before} orders in {calls} cron calls, {visits} manager check visits")
    naive_s, naive_q = min(timings[naive_label]), queries[naive_label]
    _calls, again_s, again_q = _timed(env, "KF scan again (idempotent)", lambda: _kf_scan(env))
    print(
        f"KF {kf_s:.2f} s, {kf_q} queries vs naive {naive_s:.2f} s, {naive_q} queries ({naive_s / kf_s:.1f}x); "
        f"rerun {again_s:.2f} s, {again_q} queries"
    )

    # checks
    env.cr.execute("SELECT plan_key FROM kf_dispatch_order WHERE plan_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1")
    duplicates = env.cr.fetchall()
    env.cr.execute(
        "SELECT count(*) FROM kf_dispatch_order o WHERE o.kf_order_type = 'maintenance' AND "
        "(SELECT count(*) FROM kf_dispatch_order_check c WHERE c.order_id = o.id) != %s",
        [N_EQUIPMENT],
    )
    bad_checks = env.cr.fetchone()[0]
    ok = len(orders) == due and not duplicates and not bad_checks and Order.search_count([]) - before == len(orders) + 0
    print(
        f"check: {len(orders)} orders for {due} due checks, {len(duplicates)} duplicate keys, "
        f"{bad_checks} orders without 5 checks -> {'OK' if ok else 'FAILED'}"
    )
    print(f"target: under 10 s -> {'OK' if kf_s < 10 else 'MISSED'}")
