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
3. dunning side by side, the lines' contracts spread over N_SPECIALISTS
   specialists: KF's scan and a naive per-line ORM loop (each line refreshed,
   its step found, its responsible chosen, its activity scheduled or letter
   posted one at a time), alternated in savepoints rolled back, REPETITIONS
   times (min, median, ratio); both must give the same activities (the
   expected number), steps and letters;
4. dunning scan with the contracts spread over 4 specialists, rolled back,
   then over N_SPECIALISTS: the query counts must match (they do not grow
   with the number of responsible users); then again (nothing to do).
The results are checked (one live invoice per line, one step per line).
"""

import statistics
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
N_SPECIALISTS = 200
REPETITIONS = 3
DUNNING_TYPES = (
    "kf_customer_service.mail_activity_type_kf_dunning",
    "kf_customer_service.mail_activity_type_kf_dunning_call",
)


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
            for i in range(N_SPECIALISTS)
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
        f"{N_CUSTOMERS} customers, {N_SPECIALISTS} specialists"
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


def _naive_dun(env):
    """What a per-record implementation of the dunning scan would do: each
    line refreshed, its step found, its responsible chosen (the same rules:
    somebody who can read the contract) and its activity scheduled or its
    letter posted, one line at a time."""
    Line = env["kf.contract.payment.line"]
    Users = env["res.users"]
    today = fields.Date.context_today(Line)
    for line in Line.search(Line._dunning_fell_due_domain(today)):
        line._refresh_due_state()
    for line in Line.search(Line._dunning_ended_domain()):
        line._end_dunning_episode()
    for line in Line.search(Line._dunning_to_dun_domain()):
        step = line._next_dunning_steps(today).get(line)
        if not step:
            continue
        contract = line.contract_id
        if step.action_type == "escalation":
            user = Users.kf_activity_user(contract, manager_first=True)
        else:
            user = Users.kf_activity_user(contract, contract.user_id | contract.commercial_partner_id.kf_specialist_id)
        if step.action_type == "letter":
            line._post_dunning_letter(step)
        elif user:
            line.dunning_activity_id = contract.with_context(mail_activity_quick_update=True).activity_schedule(
                DUNNING_TYPES[1] if step.action_type == "call" else DUNNING_TYPES[0],
                date_deadline=today,
                summary=line._dunning_summary(step, user),
                user_id=user.id,
            )
        else:
            continue
        line.write({"dunning_episode_date": today, "dunning_step_id": step.id})


def _kf_dun(env):
    env["kf.contract.payment.line"]._cron_dunning_scan()


def _dunning_outcome(env):
    """The activities, steps and letters of the dunning: what both ways must
    produce alike."""
    env.flush_all()
    type_ids = tuple(env.ref(xmlid).id for xmlid in DUNNING_TYPES)
    env.cr.execute(
        "SELECT a.res_id, a.user_id, a.activity_type_id, a.date_deadline, a.summary, l.id FROM mail_activity a "
        "JOIN kf_contract_payment_line l ON l.dunning_activity_id = a.id "
        "WHERE a.res_model = 'kf.service.contract' AND a.activity_type_id IN %s ORDER BY l.id",
        [type_ids],
    )
    activities = env.cr.fetchall()
    env.cr.execute(
        "SELECT id, dunning_step_id, dunning_episode_date, state FROM kf_contract_payment_line "
        "WHERE dunning_step_id IS NOT NULL ORDER BY id"
    )
    steps = env.cr.fetchall()
    env.cr.execute(
        "SELECT count(*) FROM mail_message m JOIN message_attachment_rel r ON r.message_id = m.id "
        "WHERE m.model = 'kf.service.contract'"
    )
    return activities, steps, env.cr.fetchone()[0]


def _expected_activities():
    """Reminders, calls and escalations are activities; letters are not."""
    return sum(1 for i in range(N_OVERDUE) if not i % 60 == 0)


def _dunning_side_by_side(env):
    ways = {"KF scan": _kf_dun, "naive ORM loop": _naive_dun}
    timings = {label: [] for label in ways}
    queries, outcomes = {}, {}
    for repetition in range(REPETITIONS):
        order = list(ways) if repetition % 2 == 0 else list(ways)[::-1]
        for label in order:
            savepoint = env.cr.savepoint()
            env.invalidate_all()
            before = env.cr.sql_log_count
            start = time.perf_counter()
            ways[label](env)
            env.flush_all()
            timings[label].append(time.perf_counter() - start)
            queries[label] = env.cr.sql_log_count - before
            outcomes[label] = _dunning_outcome(env)
            savepoint.close(rollback=True)
            env.invalidate_all()
    print(
        f"dunning side by side, {N_OVERDUE} overdue lines, {N_SPECIALISTS} specialists "
        f"({REPETITIONS} runs each, alternated, rolled back):"
    )
    for label, values in timings.items():
        print(
            f"  {label:<16} min {min(values):7.2f} s  median {statistics.median(values):7.2f} s  "
            f"{queries[label]:6d} queries"
        )
    print(
        f"  -> naive/KF {min(timings['naive ORM loop']) / min(timings['KF scan']):.1f}x (min), "
        f"{statistics.median(timings['naive ORM loop']) / statistics.median(timings['KF scan']):.1f}x (median); "
        f"queries {queries['naive ORM loop'] / max(queries['KF scan'], 1):.1f}x"
    )
    activities, steps, letters = outcomes["KF scan"]
    same = outcomes["naive ORM loop"] == outcomes["KF scan"]
    print(
        f"  KF: {len(activities)} activities (expected {_expected_activities()}), {len(steps)} steps, "
        f"{letters} letters; same as the naive loop: {same}"
    )
    assert same, "the KF scan and the naive loop differ"
    assert len(activities) == _expected_activities(), len(activities)
    assert len(steps) == N_OVERDUE, len(steps)


def run(env, base_url):
    # the letters' PDF fetches its stylesheets from the benchmark's server
    env["ir.config_parameter"].sudo().set_param("report.url", base_url)
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

    _spread_users(env, N_SPECIALISTS)
    _dunning_side_by_side(env)
    savepoint = env.cr.savepoint()
    _spread_users(env, 4)
    queries_4, steps_4 = _dun(env, "4 responsible users")
    savepoint.close(rollback=True)
    env.invalidate_all()
    queries_n, steps_n = _dun(env, f"{N_SPECIALISTS} responsible users")
    print(
        f"    -> queries with 4 users: {queries_4}, with {N_SPECIALISTS} users: {queries_n} "
        f"({(queries_n - queries_4) / (N_SPECIALISTS - 4):.2f} per extra user; none per line)"
    )
    assert steps_4 == steps_n, (steps_4, steps_n)
    assert sum(steps_n.values()) == N_OVERDUE, steps_n
    _dun(env, "rerun (nothing to do)")
