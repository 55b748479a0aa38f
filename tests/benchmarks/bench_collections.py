"""Benchmark of collections on Odoo Invoicing: the invoicing scan and the
dunning scan over a book of 100,000 payment schedule lines.

Run with ``./kf bench tests/benchmarks/bench_collections.py``.

setup(env) inserts 50,000 running contracts with two schedule lines each
(100,000 lines) by SQL. Most lines fall due long after the invoicing window;
N_DUE lines are due within it and N_OVERDUE lines fell due 1 to 90 days ago
(mostly in the reminder range, a few at each later step of the ladder: the
letters are real PDFs). run(env, base_url):

1. baseline: Odoo's own create-and-post of BASELINE plain customer invoices,
   timed in the same run (the cost per invoice the scan cannot beat);
2. invoicing scan until done, then again (idempotent: nothing to do);
3. dunning scan with the lines' contracts spread over 4 specialists, rolled
   back, then spread over 40 specialists: the query counts must match (they
   do not grow with the number of responsible users); then again (nothing
   to do).
The results are checked (one live invoice per line, one step per line).
"""

import time
from datetime import timedelta

from _fixtures import insert_contracts
from psycopg2.extras import execute_values

from odoo import fields

N_CONTRACTS = 50_000
N_CUSTOMERS = 1_000
N_DUE = 600  # due within the invoicing lead days
N_OVERDUE = 600  # fell due 1..90 days ago, not invoiced yet
BASELINE = 100
BATCH = 10_000
PREFIX = "BCOL-"


def _overdue_days(i):
    """Days overdue of the i-th overdue line: mostly reminders, a few calls,
    letters and escalations."""
    if i % 60 == 0:
        return 30 + i % 29  # letter range
    if i % 20 == 1:
        return 60 + i % 30  # escalation range
    if i % 10 == 2:
        return 15 + i % 15  # call range
    return 1 + i % 14  # reminder range


def setup(env):
    today = fields.Date.context_today(env["kf.service.contract"])
    company = env.company
    currency = company.currency_id
    uid = env.uid
    group = env.ref("kf_customer_service.group_kf_specialist")
    specialists = env["res.users"].create(
        [
            {"name": f"Collections Specialist {i}", "login": f"bcol_specialist_{i}", "groups_id": [(4, group.id)]}
            for i in range(40)
        ]
    )
    manager = env["res.users"].create(
        {
            "name": "Collections Manager",
            "login": "bcol_manager",
            "groups_id": [(4, env.ref("kf_customer_service.group_kf_manager").id)],
        }
    )
    company.kf_manager_id = manager
    customers = env["res.partner"].create(
        [
            {"name": f"Collections Customer {i:04d}", "is_company": True, "kf_is_customer": True}
            for i in range(N_CUSTOMERS)
        ]
    )
    env.flush_all()
    contract_rows = [
        (
            f"{PREFIX}{i:06d}",
            customers[i % N_CUSTOMERS].id,
            customers[i % N_CUSTOMERS].id,
            "emc" if i % 4 == 1 else "maintenance",
            today - timedelta(days=200),
            today + timedelta(days=165 + i % 200),
            company.id,
            currency.id,
            2000 + (i % 97) * 100,
            specialists[i % 4].id,
            "running",
            True,
            uid,
            uid,
        )
        for i in range(N_CONTRACTS)
    ]
    contract_ids = insert_contracts(env, contract_rows)
    line_rows = []
    for i, (contract_id, row) in enumerate(zip(contract_ids, contract_rows, strict=True)):
        half = row[8] / 2
        for seq in (1, 2):
            n = 2 * i + seq - 1
            if n < N_OVERDUE:
                due = today - timedelta(days=_overdue_days(n))
            elif n < N_OVERDUE + N_DUE:
                due = today + timedelta(days=n % 15)
            else:
                due = today + timedelta(days=30 + n % 300)
            line_type = "emc_fee" if seq == 2 and i % 4 == 1 else "payment"
            line_rows.append(
                (
                    contract_id,
                    seq * 10,
                    f"Instalment {seq}",
                    row[1],
                    row[9],
                    company.id,
                    currency.id,
                    line_type,
                    due,
                    half,
                    0.0,
                    0.0,
                    half,
                    "pending",
                    uid,
                    uid,
                )
            )
    for start in range(0, len(line_rows), BATCH):
        execute_values(
            env.cr._obj,
            "INSERT INTO kf_contract_payment_line (contract_id, sequence, name, partner_id, "
            "user_id, company_id, currency_id, line_type, date_due, amount, amount_invoiced, amount_paid, "
            "amount_residual, state, create_uid, write_uid, create_date, write_date) "
            "SELECT v.contract_id, v.sequence, v.name, v.partner_id, v.user_id, v.company_id, v.currency_id, "
            "v.line_type, v.date_due::date, v.amount, v.amount_invoiced, v.amount_paid, v.amount_residual, "
            "v.state, v.create_uid, v.write_uid, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' "
            "FROM (VALUES %s) AS v(contract_id, sequence, name, partner_id, user_id, company_id, "
            "currency_id, line_type, date_due, amount, amount_invoiced, amount_paid, amount_residual, "
            "state, create_uid, write_uid)",
            line_rows[start : start + BATCH],
            page_size=BATCH,
        )
    env.cr.execute(
        """
        UPDATE kf_service_contract c
           SET amount_scheduled = t.scheduled, amount_invoiced = 0, amount_received = 0,
               amount_due = t.scheduled, amount_overdue = 0
          FROM (SELECT contract_id, SUM(amount) AS scheduled
                  FROM kf_contract_payment_line GROUP BY contract_id) t
         WHERE t.contract_id = c.id
        """
    )
    env.cr.execute("ANALYZE kf_service_contract")
    env.cr.execute("ANALYZE kf_contract_payment_line")
    env.invalidate_all()
    print(
        f"setup: {len(contract_ids)} contracts, {len(line_rows)} schedule lines "
        f"({N_DUE} due within the lead days, {N_OVERDUE} overdue, not invoiced), "
        f"{N_CUSTOMERS} customers, 40 specialists"
    )


def _timed(env, label, func, per=None):
    env.invalidate_all()
    queries_before = env.cr.sql_log_count
    start = time.perf_counter()
    result = func()
    env.flush_all()
    elapsed = time.perf_counter() - start
    queries = env.cr.sql_log_count - queries_before
    rate = f"  {per / elapsed:8,.0f} /s" if per else ""
    print(f"{label:<44} {elapsed:7.2f} s  {queries:7d} queries{rate}")
    return result, elapsed, queries


def _baseline(env):
    """Odoo's own: create and post plain customer invoices, no KF."""
    partner = env["res.partner"].search([("name", "like", "Collections Customer")], limit=1)
    product = env.ref("kf_customer_service.product_kf_service_fee")
    moves = (
        env["account.move"]
        .with_context(default_move_type="out_invoice")
        .create(
            [
                {
                    "partner_id": partner.id,
                    "invoice_line_ids": [(0, 0, {"product_id": product.id, "price_unit": 100, "quantity": 1})],
                }
                for _i in range(BASELINE)
            ]
        )
    )
    moves.action_post()
    return moves


def _invoice_until_done(env):
    Line = env["kf.contract.payment.line"]
    calls = 0
    while Line.search_count(Line._invoice_due_domain(fields.Date.context_today(Line)), limit=1):
        Line._cron_invoice_scan()
        calls += 1
    return calls


def _spread_users(env, n_users):
    """The responsible of the lines to dun: spread over ``n_users`` specialists."""
    env.flush_all()
    env.cr.execute(
        """
        WITH users AS (SELECT array_agg(id ORDER BY id) AS ids FROM res_users WHERE login LIKE 'bcol_specialist_%%'),
             targets AS (SELECT DISTINCT l.contract_id FROM kf_contract_payment_line l
                          WHERE l.move_id IS NOT NULL)
        UPDATE kf_service_contract c SET user_id = users.ids[1 + mod(c.id, %s)]
          FROM users, targets WHERE c.id = targets.contract_id
        """,
        (n_users,),
    )
    env.cr.execute(
        "UPDATE kf_contract_payment_line l SET user_id = c.user_id FROM kf_service_contract c "
        "WHERE c.id = l.contract_id AND l.move_id IS NOT NULL"
    )
    env.invalidate_all()


def _dun(env, label):
    Line = env["kf.contract.payment.line"]
    Activity = env["mail.activity"]
    before = Activity.search_count([("res_model", "=", "kf.service.contract")])
    _result, _elapsed, queries = _timed(env, f"dunning scan, {label}", Line._cron_dunning_scan, N_OVERDUE)
    created = Activity.search_count([("res_model", "=", "kf.service.contract")]) - before
    env.cr.execute(
        "SELECT s.action_type, count(*) FROM kf_contract_payment_line l "
        "JOIN kf_dunning_step s ON s.id = l.dunning_step_id GROUP BY s.action_type ORDER BY 1"
    )
    steps = dict(env.cr.fetchall())
    env.cr.execute(
        "SELECT count(DISTINCT user_id) FROM mail_activity WHERE res_model = 'kf.service.contract' "
        "AND activity_type_id IN %s",
        (
            tuple(
                env.ref(x).id
                for x in (
                    "kf_customer_service.mail_activity_type_kf_dunning",
                    "kf_customer_service.mail_activity_type_kf_dunning_call",
                )
            ),
        ),
    )
    users = env.cr.fetchone()[0]
    print(f"    -> {created} activities for {users} users; steps taken: {steps}")
    return queries, steps


def run(env, base_url):
    Line = env["kf.contract.payment.line"]
    total = Line.search_count([])
    print(f"schedule lines: {total}")
    _r, base_elapsed, base_queries = _timed(
        env, f"baseline: Odoo create+post {BASELINE} invoices", lambda: _baseline(env)
    )
    calls, elapsed, queries = _timed(env, "invoicing scan, catch-up", lambda: _invoice_until_done(env), total)
    invoiced = Line.search_count([("move_id", "!=", False)])
    print(
        f"    -> {invoiced} invoices in {calls} batches; {elapsed / max(invoiced, 1) * 1000:.1f} ms per invoice "
        f"vs {base_elapsed / BASELINE * 1000:.1f} ms baseline; {queries / max(invoiced, 1):.1f} queries per "
        f"invoice vs {base_queries / BASELINE:.1f} baseline"
    )
    _timed(env, "invoicing scan, rerun (nothing to do)", Line._cron_invoice_scan, total)
    assert Line.search_count([("move_id", "!=", False)]) == invoiced == N_DUE + N_OVERDUE, invoiced
    env.cr.execute(
        "SELECT count(*) FROM account_move WHERE kf_payment_line_id IS NOT NULL AND state = 'posted' "
        "GROUP BY kf_payment_line_id HAVING count(*) > 1"
    )
    assert not env.cr.fetchall(), "a line invoiced twice"

    savepoint = env.cr.savepoint()
    _spread_users(env, 4)
    queries_4, steps_4 = _dun(env, "4 responsible users")
    savepoint.close(rollback=True)
    env.invalidate_all()
    _spread_users(env, 40)
    queries_40, steps_40 = _dun(env, "40 responsible users")
    print(
        f"    -> queries with 4 users: {queries_4}, with 40 users: {queries_40} "
        f"({(queries_40 - queries_4) / 36:.1f} per extra user: res.users.kf_activity_users checks each "
        f"assignee's read access once; none per line)"
    )
    assert steps_4 == steps_40, (steps_4, steps_40)
    assert sum(steps_40.values()) == N_OVERDUE, steps_40
    _dun(env, "rerun (nothing to do)")
