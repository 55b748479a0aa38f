"""Benchmark of the daily renewal scan (the dunning scan, on invoices, is in
bench_collections.py).

Run with ``./kf bench tests/benchmarks/bench_renewal.py``.

setup(env) inserts 100,000 service contracts by SQL, spread so that a
realistic share falls in the renewal window (about 12 %) or has passed its
end date (about 5 %). run(env, base_url) times the scan twice: the
first run does the work, the second shows the scans are idempotent and cost a
constant number of queries. Figures are printed, never asserted.
"""

import time
from datetime import timedelta

from psycopg2.extras import execute_values

from odoo import fields

N_CONTRACTS = 100_000
N_CUSTOMERS = 2_000
N_SPECIALISTS = 8
BATCH = 10_000
PREFIX = "BENCH-"


def setup(env):
    today = fields.Date.context_today(env["kf.service.contract"])
    company = env.company
    currency = company.currency_id
    uid = env.uid

    manager = env["res.users"].create(
        {
            "name": "Bench Manager",
            "login": "bench_manager",
            "groups_id": [(4, env.ref("kf_customer_service.group_kf_manager").id)],
        }
    )
    specialists = env["res.users"].create(
        [
            {
                "name": f"Bench Specialist {i}",
                "login": f"bench_specialist_{i}",
                "groups_id": [(4, env.ref("kf_customer_service.group_kf_specialist").id)],
            }
            for i in range(N_SPECIALISTS)
        ]
    )
    env.company.kf_manager_id = manager
    customers = env["res.partner"].create(
        [{"name": f"Bench Customer {i:05d}", "is_company": True, "kf_is_customer": True} for i in range(N_CUSTOMERS)]
    )
    # assign specialists by SQL (the ORM would schedule one contact activity
    # per customer); every 100th customer stays an orphan without specialist
    env.flush_all()
    rows = [(customer.id, specialists[i % N_SPECIALISTS].id) for i, customer in enumerate(customers) if i % 100]
    execute_values(
        env.cr._obj,
        "UPDATE res_partner p SET kf_specialist_id = v.uid FROM (VALUES %s) AS v(pid, uid) WHERE p.id = v.pid",
        rows,
    )
    specialist_of = dict(rows)

    contract_rows = []
    for i in range(N_CONTRACTS):
        customer = customers[i % N_CUSTOMERS]
        date_end = today + timedelta(days=(i * 7) % 400 - 20)
        date_start = date_end - timedelta(days=364)
        state = "running"
        if i % 50 == 0:
            state = "draft"
        elif i % 50 == 1:
            state = "cancelled"
        amount = 1000 + (i % 97) * 100
        contract_rows.append(
            (
                f"{PREFIX}{i:06d}",
                customer.id,
                customer.id,
                ("maintenance", "emc", "engineering", "service")[i % 4],
                date_start,
                date_end,
                company.id,
                currency.id,
                amount,
                specialist_of.get(customer.id),
                state,
                True,
                uid,
                uid,
            )
        )
    contract_ids = []
    for start in range(0, N_CONTRACTS, BATCH):
        contract_ids += [
            row[0]
            for row in execute_values(
                env.cr._obj,
                "INSERT INTO kf_service_contract (name, partner_id, commercial_partner_id, "
                "contract_type, date_start, date_end, company_id, currency_id, amount, "
                "user_id, state, active, create_uid, write_uid, create_date, write_date) "
                "SELECT v.*, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' "
                "FROM (VALUES %s) AS v RETURNING id",
                contract_rows[start : start + BATCH],
                page_size=BATCH,
                fetch=True,
            )
        ]

    env.cr.execute("ANALYZE kf_service_contract")
    env.invalidate_all()
    print(
        f"setup: {len(contract_ids)} contracts, "
        f"{N_CUSTOMERS} customers ({N_CUSTOMERS // 100} orphans without specialist), "
        f"{N_SPECIALISTS} specialists"
    )


def _count(env, model, domain):
    return env[model].search_count(domain)


def _timed(env, label, func, scanned):
    env.invalidate_all()
    queries_before = env.cr.sql_log_count
    start = time.perf_counter()
    func()
    env.flush_all()
    elapsed = time.perf_counter() - start
    queries = env.cr.sql_log_count - queries_before
    print(f"{label:<28} {elapsed:7.2f} s  {scanned / elapsed:10,.0f} contracts scanned/s  {queries:6d} queries")
    return elapsed, queries


def _scan_day(env, label, scanned):
    Activity = env["mail.activity"]
    renewal_type = env.ref("kf_customer_service.mail_activity_type_kf_renewal")
    before_renewal = Activity.search_count([("activity_type_id", "=", renewal_type.id)])
    _timed(env, f"renewal scan, {label}", env["kf.service.contract"]._cron_renewal_scan, scanned)
    renewal = Activity.search_count([("activity_type_id", "=", renewal_type.id)])
    print(
        f"    -> {renewal - before_renewal} renewal activities created; "
        f"in pipeline {_count(env, 'kf.service.contract', [('renewal_stage_id', '!=', False)])}, "
        f"expired {_count(env, 'kf.service.contract', [('state', '=', 'expired')])}"
    )


def run(env, base_url):
    from freezegun import freeze_time  # noqa: PLC0415 — only the benchmark needs it

    scanned = _count(env, "kf.service.contract", [])
    print(f"contracts: {scanned}")
    print("1. catch-up: first run over the whole book (every contract of the window at once)")
    _scan_day(env, "catch-up", scanned)
    print("2. same day again (idempotent: nothing to do)")
    _scan_day(env, "rerun", scanned)
    today = fields.Date.context_today(env["kf.service.contract"])
    for days in (1, 2):
        print(f"{2 + days}. daily run, day +{days}")
        with freeze_time(today + timedelta(days=days, hours=12), tick=True):
            _scan_day(env, f"day +{days}", scanned)
