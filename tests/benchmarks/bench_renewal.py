"""Benchmark of the daily renewal scan (the dunning scan, on invoices, is in
bench_collections.py).

Run with ``./kf bench tests/benchmarks/bench_renewal.py``.

setup(env) inserts 100,000 service contracts by SQL, spread so that a
realistic share falls in the renewal window (about 12 %) or has passed its
end date (about 5 %), over 200 specialists. run(env, base_url):

0. side by side on the same SAMPLE contracts to enter the pipeline and SAMPLE
   to expire, each in a savepoint rolled back, alternating, REPETITIONS
   times (min and median): KF's batch methods, the naive ORM loop (one
   write, one ``activity_schedule`` / one chatter note per contract) and the
   raw SQL lower bound (one UPDATE and one INSERT per step, no ORM); the
   results (states, stages, activities) must be equal;
0b. the KF batch on the sample with its contracts spread over 4, then over
   N_SPECIALISTS specialists: the queries must not grow with the users;
1. the whole scan (catch-up: a batch per call, called again as the cron
   runner does while contracts remain), then again (idempotent, a constant
   number of queries), then a day and two days later.
Figures are printed, never asserted.
"""

import os
import statistics
import time
from datetime import timedelta

from _fixtures import insert_contracts
from psycopg2.extras import execute_values

from odoo import fields

N_CONTRACTS = int(os.environ.get("KF_BENCH_CONTRACTS", 100_000))
N_CUSTOMERS = 2_000
N_SPECIALISTS = 200
SAMPLE = 300
REPETITIONS = 3
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
    contract_ids = insert_contracts(env, contract_rows)

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


def _scan_until_done(env):
    """Call the scan as the cron runner does: again while contracts remain
    (a batch per call). Returns the queries of each call."""
    Contract = env["kf.service.contract"]
    today = fields.Date.context_today(Contract)
    per_call = []
    while True:
        before = env.cr.sql_log_count
        Contract._cron_renewal_scan()
        env.flush_all()
        per_call.append(env.cr.sql_log_count - before)
        if not Contract.search_count(Contract._renewal_to_enter_domain(today)) and not (
            Contract.search_count(Contract._renewal_to_expire_domain(today))
        ):
            return per_call


def _scan_day(env, label, scanned):
    from odoo.addons.kf_customer_service.models.kf_service_contract import RENEWAL_BATCH  # noqa: PLC0415

    Activity = env["mail.activity"]
    renewal_type = env.ref("kf_customer_service.mail_activity_type_kf_renewal")
    before_renewal = Activity.search_count([("activity_type_id", "=", renewal_type.id)])
    calls = []
    _timed(env, f"renewal scan, {label}", lambda: calls.extend(_scan_until_done(env)), scanned)
    renewal = Activity.search_count([("activity_type_id", "=", renewal_type.id)])
    print(f"    -> {len(calls)} call(s) of the scan (batches of {RENEWAL_BATCH}), queries per call: {calls}")
    print(
        f"    -> {renewal - before_renewal} renewal activities created; "
        f"in pipeline {_count(env, 'kf.service.contract', [('renewal_stage_id', '!=', False)])}, "
        f"expired {_count(env, 'kf.service.contract', [('state', '=', 'expired')])}"
    )


# ------------------------------------------------------------- side by side
def _sample(env, today):
    Contract = env["kf.service.contract"]
    enter = Contract.search(Contract._renewal_to_enter_domain(today), order="id", limit=SAMPLE)
    expire = Contract.search(Contract._renewal_to_expire_domain(today), order="id", limit=SAMPLE)
    return enter, expire


def _kf_way(env, enter, expire, today):
    enter._renewal_enter_pipeline(today)
    expire._renewal_expire()


def _naive_way(env, enter, expire, today):
    """What a per-record implementation would do."""
    stage = env["kf.renewal.stage"].search([("is_won", "=", False), ("is_lost", "=", False)], limit=1)
    for contract in enter:
        contract.with_context(kf_stage_sync=True).write({"renewal_stage_id": stage.id, "renewal_date_in": today})
        user = (
            contract.user_id or contract.commercial_partner_id.kf_specialist_id or contract.company_id.kf_get_manager()
        )
        contract.activity_schedule(
            "kf_customer_service.mail_activity_type_kf_renewal",
            date_deadline=today,
            summary=user.kf_lang_env()._(
                "Renew %(name)s (ends %(date)s)", name=contract.name, date=user.kf_format_date(contract.date_end)
            ),
            user_id=user.id,
        )
    for contract in expire:
        contract.write({"state": "expired"})
        reader = contract.user_id or contract.commercial_partner_id.kf_specialist_id
        contract._message_log(
            body=reader.kf_lang_env()._(
                "Status changed from Running to Expired: the end date %(date)s has passed.",
                date=reader.kf_format_date(contract.date_end),
            )
        )


def _sql_way(env, enter, expire, today):
    """The lower bound: a few statements, no ORM, no access check (English
    texts, dates as the en_US format)."""
    env.flush_all()
    cr = env.cr
    stage = env["kf.renewal.stage"].search([("is_won", "=", False), ("is_lost", "=", False)], limit=1)
    activity_type = env.ref("kf_customer_service.mail_activity_type_kf_renewal")
    model_id = env["ir.model"]._get_id("kf.service.contract")
    manager = env.company.kf_get_manager()
    cr.execute(
        "UPDATE kf_service_contract SET renewal_stage_id = %s, renewal_date_in = %s, write_date = now() WHERE id IN %s",
        [stage.id, today, tuple(enter.ids)],
    )
    cr.execute(
        """
        WITH todo AS (
            SELECT c.id, c.name, c.date_end, COALESCE(c.user_id, p.kf_specialist_id, %(manager)s) AS user_id
              FROM kf_service_contract c JOIN res_partner p ON p.id = c.commercial_partner_id
             WHERE c.id IN %(ids)s),
        activities AS (
            INSERT INTO mail_activity (res_model_id, res_model, res_id, res_name, activity_type_id, summary,
                                       date_deadline, user_id, automated, active, create_uid, write_uid,
                                       create_date, write_date)
            SELECT %(model_id)s, 'kf.service.contract', t.id, t.name, %(type)s,
                   'Renew ' || t.name || ' (ends ' || to_char(t.date_end, 'MM/DD/YYYY') || ')',
                   %(today)s, t.user_id, TRUE, TRUE, %(uid)s, %(uid)s, now(), now()
              FROM todo t
            RETURNING res_id, user_id)
        INSERT INTO mail_followers (res_model, res_id, partner_id)
        SELECT DISTINCT 'kf.service.contract', a.res_id, u.partner_id
          FROM activities a JOIN res_users u ON u.id = a.user_id
        ON CONFLICT DO NOTHING
        """,
        {
            "manager": manager.id,
            "ids": tuple(enter.ids),
            "model_id": model_id,
            "type": activity_type.id,
            "today": today,
            "uid": env.uid,
        },
    )
    cr.execute(
        """
        WITH done AS (
            UPDATE kf_service_contract SET state = 'expired', write_date = now() WHERE id IN %(ids)s
            RETURNING id, date_end)
        INSERT INTO mail_message (model, res_id, message_type, subtype_id, body, author_id, date,
                                  create_uid, write_uid, create_date, write_date)
        SELECT 'kf.service.contract', d.id, 'notification', %(note)s,
               '<p>Status changed from Running to Expired: the end date ' || to_char(d.date_end, 'MM/DD/YYYY')
               || ' has passed.</p>', %(author)s, now(), %(uid)s, %(uid)s, now(), now()
          FROM done d
        """,
        {
            "ids": tuple(expire.ids),
            "note": env.ref("mail.mt_note").id,
            "author": env.user.partner_id.id,
            "uid": env.uid,
        },
    )
    env.invalidate_all()


def _outcome(env, contracts):
    """States, stages and activities of ``contracts``: what every way must
    produce alike."""
    env.flush_all()
    ids = tuple(contracts.ids)
    env.cr.execute(
        "SELECT id, state, renewal_stage_id, renewal_date_in FROM kf_service_contract WHERE id IN %s ORDER BY id",
        [ids],
    )
    contracts_state = env.cr.fetchall()
    env.cr.execute(
        "SELECT res_id, user_id, activity_type_id, date_deadline, summary FROM mail_activity "
        "WHERE res_model = 'kf.service.contract' AND res_id IN %s ORDER BY res_id, id",
        [ids],
    )
    activities = env.cr.fetchall()
    env.cr.execute(
        "SELECT count(*) FROM mail_followers f JOIN res_users u ON u.partner_id = f.partner_id "
        "JOIN mail_activity a ON a.user_id = u.id AND a.res_id = f.res_id AND a.res_model = f.res_model "
        "WHERE f.res_model = 'kf.service.contract' AND f.res_id IN %s",
        [ids],
    )
    return contracts_state, activities, env.cr.fetchone()[0]


def _side_by_side(env):
    today = fields.Date.context_today(env["kf.service.contract"])
    enter, expire = _sample(env, today)
    print(
        f"0. side by side on {len(enter)} contracts entering the pipeline and {len(expire)} expiring "
        f"(savepoints rolled back, {REPETITIONS} runs each, alternating)"
    )
    ways = {"KF batch": _kf_way, "naive ORM loop": _naive_way, "raw SQL": _sql_way}
    timings = {label: [] for label in ways}
    queries = {}
    outcomes = {}
    for repetition in range(REPETITIONS):
        order = list(ways) if repetition % 2 == 0 else list(ways)[::-1]
        for label in order:
            savepoint = env.cr.savepoint()
            env.invalidate_all()
            before = env.cr.sql_log_count
            start = time.perf_counter()
            ways[label](env, enter, expire, today)
            env.flush_all()
            timings[label].append(time.perf_counter() - start)
            queries[label] = env.cr.sql_log_count - before
            outcomes[label] = _outcome(env, enter | expire)
            savepoint.close(rollback=True)
            env.invalidate_all()
    best = {label: min(values) for label, values in timings.items()}
    for label, values in timings.items():
        print(
            f"  {label:<16} min {best[label]:7.3f} s  median {statistics.median(values):7.3f} s  "
            f"{queries[label]:6d} queries  {best[label] / (len(enter) + len(expire)) * 1000:6.2f} ms/contract"
        )
    print(
        f"  -> KF is {best['naive ORM loop'] / best['KF batch']:.1f}x the naive loop's speed and "
        f"{best['KF batch'] / best['raw SQL']:.1f}x the raw SQL's time"
    )
    for label in ("naive ORM loop", "raw SQL"):
        same = outcomes[label] == outcomes["KF batch"]
        detail = "" if same else f" (KF {outcomes['KF batch'][2]} followers, {label} {outcomes[label][2]})"
        print(f"  same states, stages, activities and followers as KF: {label}: {same}{detail}")


def _queries_by_assignees(env):
    """The KF batch on the same sample with its contracts spread over 4, then
    over N_SPECIALISTS specialists (savepoints rolled back): the queries must
    not grow with the number of responsible users."""
    today = fields.Date.context_today(env["kf.service.contract"])
    enter, expire = _sample(env, today)
    specialists = env["res.users"].search([("login", "like", "bench_specialist_")], order="id")
    figures = {}
    for n_users in (4, N_SPECIALISTS):
        savepoint = env.cr.savepoint()
        env.flush_all()
        rows = [(contract_id, specialists[i % n_users].id) for i, contract_id in enumerate((enter | expire).ids)]
        execute_values(
            env.cr._obj,
            "UPDATE kf_service_contract c SET user_id = v.uid FROM (VALUES %s) AS v(cid, uid) WHERE c.id = v.cid",
            rows,
        )
        env.invalidate_all()
        before = env.cr.sql_log_count
        _kf_way(env, enter, expire, today)
        env.flush_all()
        figures[n_users] = env.cr.sql_log_count - before
        savepoint.close(rollback=True)
        env.invalidate_all()
    print(
        f"  KF batch on the sample, queries with 4 responsible users: {figures[4]}, "
        f"with {N_SPECIALISTS}: {figures[N_SPECIALISTS]}"
    )


def run(env, base_url):
    from freezegun import freeze_time  # noqa: PLC0415 — only the benchmark needs it

    scanned = _count(env, "kf.service.contract", [])
    print(f"contracts: {scanned}")
    _side_by_side(env)
    _queries_by_assignees(env)
    print("1. catch-up: first run over the whole book (a batch per call, called again while contracts remain)")
    _scan_day(env, "catch-up", scanned)
    print("2. same day again (idempotent: nothing to do)")
    _scan_day(env, "rerun", scanned)
    today = fields.Date.context_today(env["kf.service.contract"])
    for days in (1, 2):
        print(f"{2 + days}. daily run, day +{days}")
        with freeze_time(today + timedelta(days=days, hours=12), tick=True):
            _scan_day(env, f"day +{days}", scanned)
