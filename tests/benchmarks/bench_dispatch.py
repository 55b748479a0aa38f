"""Benchmark of the ticket SLA scan, the work-order escalation scan and the
customer portal's ticket list.

Run with ``./kf bench tests/benchmarks/bench_dispatch.py``.

setup(env) inserts by SQL 200,000 complaint / repair tickets over 2,000
customer companies and 20,000 work orders on one project, with a realistic
mix: about 80 % of the tickets closed or cancelled, about 3 % open without a
first reply (most of them past their reply deadline, 2 in 3 not yet
escalated: the SLA scan's work), the rest open, replied or resolved. The
reply deadlines are not made up: they are planned by KF's own code
(``res.company.kf_add_working_days_batch`` on the company calendar and the
SLA rules, as ``kf.ticket`` computes them) in one call; about 20 %
of the work orders open, some never dispatched at their planned start, not
acknowledged in time or past their planned end. One customer company, "Bench
Customer Big", has 2,000 tickets and a portal user (login and password
``bench_portal``).

run(env, base_url) first times the creation of 1,000 tickets in one
``create`` against one ``create`` per ticket (alternating, rolled back,
seconds and queries, the deadlines checked against the batch planning API),
then times both scans in batches until they find nothing left:
a small batch first, then full batches, so the query counts of two batch
sizes show whether a scan costs a constant number of queries; the last run
shows the scan is idempotent. Every run is committed inside the timing (the
mail tracking of the written fields runs at commit); queries are those of the
benchmark's cursor (e-mails sent after commit use their own). A run that
fails is printed and rolled back; for the escalation scan's known failure (an
order escalated twice in one run) the benchmark sidesteps the offending
orders by SQL, says so, and times the scan again. Then it logs in to the
portal over HTTP as ``bench_portal`` and times the ticket list (first and last
page) and one ticket's page; a missing portal route is reported in one line.
Figures are printed, never asserted; targets: each scan in a constant number
of queries, the portal list under 150 ms median.
"""

import os
import random
import re
import statistics
import time
from datetime import timedelta

from psycopg2.extras import execute_values

from odoo import fields

N_TICKETS = int(os.environ.get("KF_BENCH_TICKETS") or 200_000)
N_ORDERS = int(os.environ.get("KF_BENCH_ORDERS") or 20_000)
# parts run (create, sla, escalation, portal) and the baselines' settings
PARTS = set((os.environ.get("KF_BENCH_PARTS") or "create,sla,escalation,portal").split(","))
REPEAT = int(os.environ.get("KF_BENCH_REPEAT") or 3)
# records each scan handles in the timed comparison with its naive loop
N_COMPARE = int(os.environ.get("KF_BENCH_COMPARE") or 300)
N_CUSTOMERS = 2_000
N_SPECIALISTS = 200
N_TECHNICIANS = 12
BIG_EVERY = 100  # one ticket in 100 belongs to "Bench Customer Big" (2,000)
BATCH = 10_000
SEED = 20261124
PORTAL_LOGIN = "bench_portal"
PORTAL_WARMUP = 3
PORTAL_RUNS = 50
SMALL_BATCH = {"kf.ticket": 500, "kf.dispatch.order": 50}
SUBJECTS = {
    "complaint": ("Engineer arrived late", "Repair not finished", "Rude on-site staff", "Invoice disputed"),
    "repair": ("Air conditioner not cooling", "Elevator stuck", "Water leak in plant room", "Alarm panel fault"),
    "enquiry": ("Maintenance schedule", "Contract renewal terms", "Spare parts price"),
    "suggestion": ("Send the report by WeChat", "Earlier visit slots"),
}
TICKET_TYPE_WEIGHTS = {"complaint": 3, "repair": 5, "enquiry": 2, "suggestion": 1}
CHANNELS = ("phone", "phone", "wechat", "email", "portal", "visit")


def _insert(env, table, columns, rows):
    """Insert rows by batches of BATCH; returns the new ids in order."""
    ids = []
    for start in range(0, len(rows), BATCH):
        ids += [
            row[0]
            for row in execute_values(
                env.cr._obj,
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s RETURNING id",
                rows[start : start + BATCH],
                page_size=BATCH,
                fetch=True,
            )
        ]
    return ids


def _setup_people(env):
    def _users(prefix, count, group_xmlid):
        return env["res.users"].create(
            [
                {
                    "name": f"Bench {prefix.title()} {i}",
                    "login": f"bench_{prefix}_{i}",
                    "email": f"bench_{prefix}_{i}@example.com",
                    "groups_id": [(4, env.ref(group_xmlid).id)],
                }
                for i in range(count)
            ]
        )

    manager = env["res.users"].create(
        {
            "name": "Bench Manager",
            "login": "bench_manager",
            "email": "bench_manager@example.com",
            "groups_id": [(4, env.ref("kf_customer_service.group_kf_manager").id)],
        }
    )
    env.company.kf_manager_id = manager
    specialists = _users("specialist", N_SPECIALISTS, "kf_customer_service.group_kf_specialist")
    technicians = _users("technician", N_TECHNICIANS, "base.group_user")
    teams = env["kf.dispatch.team"].create(
        [
            {
                "name": f"Bench Team {i}",
                "leader_id": technicians[i].id,
                "member_ids": [(6, 0, technicians[i::2].ids)],
            }
            for i in range(2)
        ]
    )
    # one team per specialist as leader: the escalation bench spreads orders
    # over 8 or 200 of them
    env["kf.dispatch.team"].create(
        [{"name": f"Bench Leader Team {i:03d}", "leader_id": user.id} for i, user in enumerate(specialists)]
    )
    customers = env["res.partner"].create(
        [{"name": f"Bench Customer {i:05d}", "is_company": True, "kf_is_customer": True} for i in range(N_CUSTOMERS)]
    )
    big = env["res.partner"].create({"name": "Bench Customer Big", "is_company": True, "kf_is_customer": True})
    contact = env["res.partner"].create(
        {"name": "Bench Portal Contact", "parent_id": big.id, "email": "bench_portal@example.com"}
    )
    env["res.users"].with_context(no_reset_password=True).create(
        {
            "name": contact.name,
            "login": PORTAL_LOGIN,
            "password": PORTAL_LOGIN,
            "partner_id": contact.id,
            "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
        }
    )
    project = env["project.project"].create({"name": "Bench Maintenance Project", "partner_id": big.id})
    return manager, specialists, technicians, teams, customers, big, project


def _reply_days(env):
    """Reply days per ticket type of the company's SLA rules (the default
    where there is none), as ``kf.ticket`` reads them."""
    from odoo.addons.kf_dispatch.models.kf_ticket import DEFAULT_REPLY_DAYS  # noqa: PLC0415

    slas = env["kf.ticket.sla"].sudo().search([("company_id", "=", env.company.id)])
    days = {sla.ticket_type: sla.reply_days for sla in slas}
    return {ticket_type: days.get(ticket_type, DEFAULT_REPLY_DAYS) for ticket_type in TICKET_TYPE_WEIGHTS}


def _ticket_rows(env, rng, now, specialists, customers, big):
    """The tickets' rows; their reply deadlines are planned by KF's own code
    (``res.company.kf_add_working_days_batch`` on the company calendar and
    SLA rules, as ``kf.ticket`` computes them), in one call for all."""
    company_id = env.company.id
    uid = env.uid
    stage = {
        xmlid: env.ref(f"kf_dispatch.kf_ticket_stage_{xmlid}")
        for xmlid in ("new", "in_progress", "resolved", "closed", "cancelled")
    }
    drafts = []
    counts = dict.fromkeys(("closed", "cancelled", "late", "late_escalated", "new", "in_progress", "resolved"), 0)
    for i in range(N_TICKETS):
        customer = big if i % BIG_EVERY == 0 else customers[i % N_CUSTOMERS]
        ticket_type = rng.choices(list(TICKET_TYPE_WEIGHTS), list(TICKET_TYPE_WEIGHTS.values()))[0]
        draw = rng.random()
        first_reply = date_resolved = date_closed = None
        escalated = False
        score = 0
        if draw < 0.76:
            kind = "closed"
            received = now - timedelta(days=rng.uniform(5, 1095))
            first_reply = received + timedelta(hours=rng.uniform(0.5, 36))
            date_resolved = first_reply + timedelta(days=rng.uniform(0.2, 6))
            date_closed = date_resolved + timedelta(days=rng.uniform(1, 4))
            score = rng.choice((3, 4, 4, 5, 5, 5))
        elif draw < 0.80:
            kind = "cancelled"
            received = now - timedelta(days=rng.uniform(5, 1095))
            date_closed = received + timedelta(hours=rng.uniform(1, 48))
        elif draw < 0.83:
            # no reply yet: 2 in 3 not escalated yet (the scan's work once
            # past their deadline)
            kind = "late" if rng.random() < 2 / 3 else "late_escalated"
            received = now - timedelta(days=rng.uniform(1.5, 20))
            escalated = kind == "late_escalated"
        elif draw < 0.86:
            kind = "new"
            received = now - timedelta(hours=rng.uniform(0, 20))
        elif draw < 0.95:
            kind = "in_progress"
            received = now - timedelta(days=rng.uniform(1, 60))
            first_reply = received + timedelta(hours=rng.uniform(0.5, 36))
        else:
            kind = "resolved"
            received = now - timedelta(days=rng.uniform(3, 30))
            first_reply = received + timedelta(hours=rng.uniform(0.5, 36))
            date_resolved = first_reply + timedelta(days=rng.uniform(0.2, 2))
        counts[kind] += 1
        drafts.append(
            (i, customer, ticket_type, kind, received, first_reply, escalated, date_resolved, date_closed, score)
        )
    reply_days = _reply_days(env)
    start = time.perf_counter()
    deadlines = env.company.kf_add_working_days_batch([(reply_days[d[2]], d[4]) for d in drafts])
    print(
        f"setup: {len(deadlines):,} reply deadlines planned by res.company.kf_add_working_days_batch "
        f"(reply days {reply_days}) in {time.perf_counter() - start:.2f} s"
    )
    rows = []
    for draft, deadline in zip(drafts, deadlines, strict=True):
        i, customer, ticket_type, kind, received, first_reply, escalated, date_resolved, date_closed, score = draft
        breached = escalated or bool(first_reply and first_reply > deadline)
        stage_key = {"late": "new", "late_escalated": "new"}.get(kind, kind)
        rows.append(
            (
                f"BENCH-T-{i:06d}",
                f"{rng.choice(SUBJECTS[ticket_type])} #{i}",
                ticket_type,
                rng.choice(CHANNELS),
                customer.id,
                customer.id,
                specialists[i % N_SPECIALISTS].id,
                company_id,
                stage[stage_key].id,
                kind in ("closed", "cancelled"),
                kind == "resolved",
                "2" if i % 25 == 0 else ("0" if i % 10 == 3 else "1"),
                received,
                deadline,
                first_reply,
                breached,
                escalated,
                date_resolved,
                date_closed,
                score,
                True,
                uid,
                uid,
                received,
                date_closed or date_resolved or first_reply or received,
            )
        )
    return rows, counts


TICKET_COLUMNS = (
    "name subject ticket_type channel partner_id commercial_partner_id user_id company_id stage_id "
    "is_closed is_resolved priority date_received sla_deadline first_reply_date sla_breached "
    "sla_escalated date_resolved date_closed satisfaction_score active create_uid write_uid create_date "
    "write_date"
).split()


def _order_rows(env, rng, now, manager, technicians, teams, customers, big, project):
    company_id = env.company.id
    uid = env.uid
    rows = []
    counts = {}
    hour = timedelta(hours=1)
    for i in range(N_ORDERS):
        customer = big if i % BIG_EVERY == 0 else customers[(i * 7) % N_CUSTOMERS]
        team = teams[i % 2] if i % 4 < 2 else None
        user = team.member_ids[i % len(team.member_ids)] if team else technicians[i % N_TECHNICIANS]
        draw = rng.random()
        dispatched = acknowledged = started = done = closed = None
        esc_dispatch = esc_ack = esc_overdue = False
        if draw < 0.70:
            state = rng.choice(("closed",) * 6 + ("done",))
            start = now - timedelta(days=rng.uniform(10, 1000))
            end = start + hour * rng.uniform(2, 48)
            dispatched = start - timedelta(days=rng.uniform(0.5, 3))
            acknowledged = dispatched + hour * rng.uniform(0.2, 3)
            started, done = start, end
            closed = end + timedelta(days=rng.uniform(1, 10)) if state == "closed" else None
        elif draw < 0.78:
            state = "cancelled"
            start = now - timedelta(days=rng.uniform(-10, 1000))
            end = start + hour * rng.uniform(2, 48)
        elif draw < 0.80:
            state = "draft"
            start = now + timedelta(days=rng.uniform(-5, 10))  # about 1 in 3 late
            end = start + hour * rng.uniform(2, 48)
        else:
            state = rng.choice(("dispatched",) * 2 + ("accepted",) * 2 + ("in_progress",) * 4)
            # planned end in the past for about 3 open orders in 10
            end = now + timedelta(days=rng.uniform(-6, 14))
            start = end - hour * rng.uniform(2, 48)
            if state == "dispatched" and rng.random() < 0.4:
                dispatched = now - hour * rng.uniform(0, 0.5)  # fresh: not late yet
            else:
                dispatched = min(start, now) - timedelta(days=rng.uniform(1, 10))
            if state != "dispatched":
                acknowledged = dispatched + hour * rng.uniform(0.2, 3)
            if state == "in_progress":
                started = max(min(start, now - hour), acknowledged)
        # escalations a previous scan already made (2 in 3 open late ones)
        if state == "draft" and start < now:
            esc_dispatch = rng.random() < 0.5
        if state == "dispatched" and dispatched < now - timedelta(days=1):
            esc_ack = rng.random() < 0.5
        if state in ("dispatched", "accepted", "in_progress") and end < now:
            esc_overdue = rng.random() < 0.5
        counts[state] = counts.get(state, 0) + 1
        rows.append(
            (
                f"BENCH-WO-{i:06d}",
                customer.id,
                customer.id,
                project.id,
                team.id if team else None,
                user.id,
                manager.id,
                company_id,
                state,
                "1" if i % 20 == 0 else "0",
                start,
                end,
                dispatched,
                acknowledged,
                started,
                done,
                closed,
                f"Site {i % 500}, Industrial Road {i % 97}",
                "Quarterly maintenance of the HVAC units",
                esc_dispatch,
                esc_ack,
                esc_overdue,
                False,
                False,
                "service",
                "draft",
                True,
                uid,
                uid,
                (dispatched or start) - hour,
                closed or done or started or acknowledged or dispatched or start,
            )
        )
    return rows, counts


ORDER_COLUMNS = (
    "name partner_id commercial_partner_id project_id team_id user_id dispatcher_id company_id state "
    "priority date_planned_start date_planned_end date_dispatched date_acknowledged date_start date_done "
    "date_closed address work_content dispatch_escalated ack_escalated overdue_escalated "
    "certificate_complete certificate_paper_archived kf_order_type kf_quote_state active create_uid write_uid "
    "create_date write_date"
).split()


def setup(env):
    rng = random.Random(SEED)
    now = fields.Datetime.now()
    manager, specialists, technicians, teams, customers, big, project = _setup_people(env)
    env.flush_all()

    rows, ticket_counts = _ticket_rows(env, rng, now, specialists, customers, big)
    ticket_ids = _insert(env, "kf_ticket", TICKET_COLUMNS, rows)
    rows, order_counts = _order_rows(env, rng, now, manager, technicians, teams, customers, big, project)
    order_ids = _insert(env, "kf_dispatch_order", ORDER_COLUMNS, rows)
    for table in ("kf_ticket", "kf_dispatch_order"):
        env.cr.execute(f"SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table}))")
        env.cr.execute(f"ANALYZE {table}")
    env.invalidate_all()
    print(
        f"setup: {len(ticket_ids)} tickets ("
        + ", ".join(f"{kind} {count}" for kind, count in ticket_counts.items())
        + f"), {N_TICKETS // BIG_EVERY} of them for Bench Customer Big; "
        f"{len(order_ids)} work orders ("
        + ", ".join(f"{state} {count}" for state, count in sorted(order_counts.items()))
        + f"); {N_CUSTOMERS + 1} customers, {N_SPECIALISTS} specialists, {N_TECHNICIANS} technicians"
    )


# ---------------------------------------------------------------------------- scans
FAILED = object()


def _timed(env, label, func):
    """Run func, commit (tracking messages are written at commit) and print
    seconds and queries; returns what func returned, FAILED on an error."""
    env.invalidate_all()
    queries_before = env.cr.sql_log_count
    start = time.perf_counter()
    try:
        result = func()
        env.cr.commit()
    except Exception as error:
        env.cr.rollback()
        env.cr.reset()
        elapsed = time.perf_counter() - start
        message = (str(error).strip().splitlines() or [""])[0]
        print(f"  {label:<34} FAILED after {elapsed:.2f} s: {type(error).__name__}: {message}")
        return FAILED
    elapsed = time.perf_counter() - start
    queries = env.cr.sql_log_count - queries_before
    done = result or 0
    per = f"{queries / done:6.1f} queries/record" if done else ""
    print(f"  {label:<34} {elapsed:7.2f} s  {done:6d} records  {queries:7d} queries  {per}")
    return result


def _scan_until_done(env, model, method, limit_default):
    """Small batch first, then full batches until the scan finds nothing;
    False when a run failed."""
    Model = env[model]
    small = SMALL_BATCH[model]
    if _timed(env, f"run 1 (limit={small})", lambda: getattr(Model, method)(limit=small)) is FAILED:
        return False
    for run in range(2, 12):
        done = _timed(env, f"run {run} (limit={limit_default})", lambda: getattr(Model, method)())
        if done is FAILED:
            return False
        if not done:
            print(f"  -> nothing left after {run - 1} productive runs: the last run is idempotent")
            return True
    print("  -> still finding records after 10 runs: the scan is NOT idempotent")
    return True


def _activity_count(env, model):
    return env["mail.activity"].search_count([("res_model", "=", model)])


def _bench_sla_scan(env):
    Ticket = env["kf.ticket"]
    now = fields.Datetime.now()
    to_do = Ticket.search_count(
        [
            ("is_closed", "=", False),
            ("first_reply_date", "=", False),
            ("sla_deadline", "<", now),
            ("sla_escalated", "=", False),
        ]
    )
    print(
        f"1. SLA escalation scan (kf.ticket._cron_sla_scan) over {Ticket.search_count([])} tickets, {to_do} to escalate"
    )
    before = _activity_count(env, "kf.ticket")
    _scan_until_done(env, "kf.ticket", "_cron_sla_scan", 5000)
    print(
        f"  -> {_activity_count(env, 'kf.ticket') - before} activities created, "
        f"{Ticket.search_count([('sla_breached', '=', True), ('is_closed', '=', False)])} open tickets breached"
    )


def _activity_facts(env, model, record_ids):
    """(record id, assignee) of the activities on ``record_ids``."""
    activities = env["mail.activity"].sudo().search([("res_model", "=", model), ("res_id", "in", list(record_ids))])
    return sorted((activity.res_id, activity.user_id.id) for activity in activities)


def _set_handlers(env, table, ids, users, column="user_id"):
    """Spread ``ids`` of ``table`` over ``users`` (by SQL, rolled back after
    the run)."""
    env.cr.execute(
        f"UPDATE {table} SET {column} = (%s::int[])[1 + (id %% %s)] WHERE id = ANY(%s)",
        [users, len(users), list(ids)],
    )
    env.invalidate_all()


def _naive_sla(env, tickets):
    """The SLA scan written as a per-ticket ORM loop: flag, note and
    activity one ticket at a time (the manager first, else the handler)."""
    for ticket in tickets:
        # the flags without tracking message, as KF writes them
        ticket.sudo().with_context(tracking_disable=True).write({"sla_breached": True, "sla_escalated": True})
        user = ticket.company_id.kf_manager_id or ticket.user_id
        ticket.message_post(body=f"SLA breached: no first reply by {ticket.sla_deadline}.")
        ticket.activity_schedule(
            "kf_dispatch.mail_activity_type_kf_ticket_sla",
            summary=f"Ticket {ticket.name} got no reply within the SLA",
            user_id=user.id,
        )


def _compare_sla_scan(env):
    """The SLA scan on N_COMPARE late tickets: KF against the naive loop
    (same tickets flagged, same activities), then KF's queries with the
    activities going to 8 or 200 handlers."""
    Ticket = env["kf.ticket"]
    late = Ticket.search(Ticket._sla_to_escalate_domain(fields.Datetime.now()), order="sla_deadline", limit=N_COMPARE)
    print(f"1a. SLA scan against its naive ORM loop, {len(late)} late tickets (rolled back)")

    def collect():
        flagged = Ticket.sudo().search([("id", "in", late.ids), ("sla_escalated", "=", True)]).ids
        notes = (
            env["mail.message"]
            .sudo()
            .search_count([("model", "=", "kf.ticket"), ("res_id", "in", late.ids), ("body", "ilike", "SLA breached")])
        )
        return sorted(flagged), _activity_facts(env, "kf.ticket", late.ids), notes

    runs = _alternate(
        env,
        {
            "kf": (lambda: Ticket._cron_sla_scan(limit=len(late)), collect),
            "naive": (lambda: _naive_sla(env, Ticket.browse(late.ids)), collect),
        },
    )
    _print_runs(runs, len(late), "ticket")
    same = runs["kf"][0][2] == runs["naive"][0][2]
    print(
        f"  -> {len(runs['kf'][0][2][0])} tickets flagged, {len(runs['kf'][0][2][1])} activities, "
        f"{runs['kf'][0][2][2]} notes; the same as the naive loop's: {'yes' if same else 'NO'}"
    )
    specialists = env["res.users"].search([("login", "=like", "bench_specialist_%")], order="id").ids
    # the activities go to the manager (manager first): the handlers only
    # change whose tickets they are
    for count in (8, len(specialists)):
        _set_handlers(env, "kf_ticket", late.ids, specialists[:count])
        env.cr.flush()
        before = env.cr.sql_log_count
        Ticket._cron_sla_scan(limit=len(late))
        env.cr.flush()
        queries = env.cr.sql_log_count - before
        users = {user for _res_id, user in _activity_facts(env, "kf.ticket", late.ids)}
        env.cr.rollback()
        env.invalidate_all()
        print(f"  tickets of {count:3d} handlers: activities to {len(users)} user(s), {queries} queries")


def _naive_escalation(env, undispatched, late_ack, overdue):
    """The work-order escalation written as a per-order ORM loop: flag,
    activity (team leader, else the manager) and overdue problem one order at
    a time."""
    Order = env["kf.dispatch.order"]
    for field, orders in (
        ("dispatch_escalated", undispatched),
        ("ack_escalated", late_ack),
        ("overdue_escalated", overdue),
    ):
        for order in Order.browse(orders.ids):
            order.sudo().write({field: True})
    for order in Order.browse(list(dict.fromkeys(undispatched.ids + late_ack.ids + overdue.ids))):
        user = order.team_id.leader_id or order.company_id.kf_manager_id
        order.activity_schedule(
            "kf_dispatch.mail_activity_type_kf_dispatch_escalation",
            summary=f"Work order {order.name} escalated",
            user_id=user.id,
        )
    for order in Order.browse(overdue.ids):
        env["kf.problem"].sudo().with_context(tracking_disable=True).create(
            {
                "problem_type": "overdue",
                "order_id": order.id,
                "partner_id": order.partner_id.id,
                "project_id": order.project_id.id,
                "user_id": order.user_id.id,
                "company_id": order.company_id.id,
                "description": f"Work order {order.name} was not completed by its planned end.",
            }
        )


def _compare_escalation_scan(env):
    """The work-order escalation scan with ``limit`` N_COMPARE: KF against
    the naive loop on the same orders (same flags, activities and problems),
    then KF's queries with the activities going to 8 or 200 team leaders."""
    Order = env["kf.dispatch.order"]
    now = fields.Datetime.now()
    ack_hours = Order._get_ack_hours()
    limit = N_COMPARE
    undispatched = Order.search(Order._escalation_undispatched_domain(now), order="date_planned_start", limit=limit)
    late_ack = Order.browse()
    for (company,) in Order._read_group(Order._escalation_unacknowledged_domain(), ["company_id"]):
        late_ack |= Order.search(
            Order._escalation_late_ack_domain(company, ack_hours, now), order="date_dispatched", limit=limit
        )
    overdue = Order.search(Order._escalation_overdue_domain(now), order="date_planned_end", limit=limit)
    ids = set(undispatched.ids + late_ack.ids + overdue.ids)
    print(
        f"2a. work-order escalation against its naive ORM loop: {len(undispatched)} not dispatched, "
        f"{len(late_ack)} not acknowledged, {len(overdue)} overdue ({len(ids)} orders; rolled back)"
    )

    def collect():
        flags = (
            env["kf.dispatch.order"]
            .sudo()
            .search_read([("id", "in", list(ids))], ["dispatch_escalated", "ack_escalated", "overdue_escalated"])
        )
        problems = env["kf.problem"].sudo().search([("order_id", "in", list(ids)), ("problem_type", "=", "overdue")])
        return (
            sorted(tuple(sorted(row.items())) for row in flags),
            _activity_facts(env, "kf.dispatch.order", ids),
            sorted(problems.order_id.ids),
            len(set(problems.mapped("name"))) == len(problems),
        )

    runs = _alternate(
        env,
        {
            "kf": (lambda: Order._cron_escalation_scan(limit=limit), collect),
            "naive": (lambda: _naive_escalation(env, undispatched, late_ack, overdue), collect),
        },
    )
    _print_runs(runs, len(ids), "order")
    kf, naive = runs["kf"][0][2], runs["naive"][0][2]
    print(
        f"  -> {len(kf[1])} activities, {len(kf[2])} overdue problems (numbers unique: {kf[3]}); flags, "
        f"activities and problems the same as the naive loop's: {'yes' if kf[:3] == naive[:3] else 'NO'}"
    )
    teams = env["kf.dispatch.team"].search([("name", "=like", "Bench Leader Team %")], order="id").ids
    for count in (8, len(teams)):
        _set_handlers(env, "kf_dispatch_order", ids, teams[:count], column="team_id")
        env.cr.flush()
        before = env.cr.sql_log_count
        Order._cron_escalation_scan(limit=limit)
        env.cr.flush()
        queries = env.cr.sql_log_count - before
        users = {user for _res_id, user in _activity_facts(env, "kf.dispatch.order", ids)}
        env.cr.rollback()
        env.invalidate_all()
        print(f"  activities to {len(users):3d} team leaders: {queries} queries")


def _bench_escalation_scan(env):
    Order = env["kf.dispatch.order"]
    now = fields.Datetime.now()
    undispatched = Order.search_count(
        [("state", "=", "draft"), ("dispatch_escalated", "=", False), ("date_planned_start", "<", now)]
    )
    unack = Order.search_count([("state", "=", "dispatched"), ("ack_escalated", "=", False)])
    overdue = Order.search_count(
        [
            ("state", "in", ("dispatched", "accepted", "in_progress")),
            ("overdue_escalated", "=", False),
            ("date_planned_end", "<", now),
        ]
    )
    print(
        f"2. work-order escalation scan (kf.dispatch.order._cron_escalation_scan) over {Order.search_count([])} "
        f"orders: {undispatched} not dispatched at planned start, {unack} dispatched not acknowledged "
        f"(late or not), {overdue} past planned end"
    )
    before = _activity_count(env, "kf.dispatch.order")
    problems_before = env["kf.problem"].search_count([("problem_type", "=", "overdue")])
    env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_mail")
    last_mail_id = env.cr.fetchone()[0]
    if not _scan_until_done(env, "kf.dispatch.order", "_cron_escalation_scan", 500):
        # an order both not acknowledged in time and past its planned end gets
        # two activities in one mail.activity.create(), which subscribes the
        # escalation user twice to it (unique violation on mail_followers)
        env.cr.execute(
            """
            UPDATE kf_dispatch_order SET ack_escalated = TRUE
             WHERE state = 'dispatched' AND ack_escalated IS NOT TRUE
               AND overdue_escalated IS NOT TRUE AND date_planned_end < %s
            """,
            [now],
        )
        print(
            "  THE SCAN FAILS on an order escalated twice in one run (not acknowledged in time AND past its "
            "planned end): its two activities subscribe the same follower twice. Benchmark workaround: "
            f"{env.cr.rowcount} such orders marked ack_escalated by SQL, then the scan again"
        )
        env.cr.commit()
        _scan_until_done(env, "kf.dispatch.order", "_cron_escalation_scan", 500)
    env.invalidate_all()
    mails = env["mail.mail"].sudo()._read_group([("id", ">", last_mail_id)], ["state"], ["__count"])
    print(
        f"  -> {_activity_count(env, 'kf.dispatch.order') - before} activities, "
        f"{env['kf.problem'].search_count([('problem_type', '=', 'overdue')]) - problems_before} overdue problems, "
        f"notification e-mails by state: {dict(mails) or 'none'} (no SMTP server: sending fails at once)"
    )


# ------------------------------------------------------------------ ticket creation
N_CREATE = int(os.environ.get("KF_BENCH_CREATE") or 1_000)


def _alternate(env, runners, repetitions=REPEAT):
    """Time each of ``runners`` ({label: (work, collect)}) ``repetitions``
    times, alternating their order, every run rolled back: ``work()`` is timed
    with the commit-time work (flush and precommit hooks: tracking, follower
    notifications), ``collect()`` then reads its result (untimed). Returns
    {label: [(seconds, queries, result), ...]}."""
    runs = {label: [] for label in runners}
    labels = list(runners)
    for repetition in range(repetitions):
        for label in labels if repetition % 2 == 0 else labels[::-1]:
            work, collect = runners[label]
            env.invalidate_all()
            before = env.cr.sql_log_count
            start = time.perf_counter()
            work()
            env.cr.flush()
            env.flush_all()
            elapsed = time.perf_counter() - start
            queries = env.cr.sql_log_count - before
            result = collect()
            env.cr.rollback()
            env.invalidate_all()
            runs[label].append((elapsed, queries, result))
    return runs


def _print_runs(runs, count, unit, reference="kf"):
    """Min / median seconds and queries of each label, the ratios to
    ``reference``."""
    best = {label: min(t for t, _q, _r in label_runs) for label, label_runs in runs.items()}
    for label, label_runs in runs.items():
        times = [t for t, _q, _r in label_runs]
        queries = [q for _t, q, _r in label_runs]
        ratio = "" if label == reference else f"  {best[label] / best[reference]:6.1f}x {reference}'s time"
        print(
            f"  {label:<8} min {min(times):7.2f} s  median {statistics.median(times):7.2f} s  "
            f"{min(queries):7d} queries ({min(queries) / max(count, 1):5.1f} per {unit}){ratio}  "
            f"{len(times)} runs"
        )


def _create_vals(env, count):
    rng = random.Random(SEED + 1)
    customers = env["res.partner"].search([("name", "=like", "Bench Customer 0%")], limit=200)
    contacts = env["res.partner"].create(
        [
            {"name": f"Bench Contact {i}", "parent_id": c.id, "email": f"contact{i}@customer.example"}
            for i, c in enumerate(customers)
        ]
    )
    specialists = env["res.users"].search([("login", "=like", "bench_specialist_%")])
    now = fields.Datetime.now().replace(microsecond=0)
    vals_list = []
    for i in range(count):
        ticket_type = rng.choices(list(TICKET_TYPE_WEIGHTS), list(TICKET_TYPE_WEIGHTS.values()))[0]
        vals_list.append(
            {
                "subject": f"{rng.choice(SUBJECTS[ticket_type])} (created {i})",
                "ticket_type": ticket_type,
                "channel": rng.choice(CHANNELS),
                "partner_id": customers[i % len(customers)].id,
                # one customer in 3 has no contact nor e-mail: no acknowledgement
                "contact_id": contacts[i % len(contacts)].id if i % 3 else False,
                "user_id": specialists[i % len(specialists)].id,
                "date_received": (now - timedelta(hours=rng.uniform(0, 96))).replace(microsecond=0),
            }
        )
    return vals_list


def _create_facts(env, tickets):
    """What a creation leaves, per ticket (in creation order): its deadline,
    followers (partner and subtypes), messages (type, subtype, author,
    partners notified) and e-mails (recipients)."""
    index = {ticket.id: i for i, ticket in enumerate(tickets)}
    facts = {i: {"deadline": ticket.sla_deadline} for i, ticket in enumerate(tickets)}
    for follower in (
        env["mail.followers"].sudo().search([("res_model", "=", "kf.ticket"), ("res_id", "in", tickets.ids)])
    ):
        facts[index[follower.res_id]].setdefault("followers", set()).add(
            (follower.partner_id.id, tuple(sorted(follower.subtype_ids.ids)))
        )
    messages = env["mail.message"].sudo().search([("model", "=", "kf.ticket"), ("res_id", "in", tickets.ids)])
    for message in messages:
        facts[index[message.res_id]].setdefault("messages", []).append(
            (
                message.message_type,
                message.subtype_id.id,
                message.author_id.id,
                tuple(sorted(message.notification_ids.res_partner_id.ids)),
            )
        )
    for mail in env["mail.mail"].sudo().search([("mail_message_id", "in", messages.ids)]):
        facts[index[mail.mail_message_id.res_id]].setdefault("mails", []).append(
            (*sorted(mail.recipient_ids.ids), mail.email_to or "")
        )
    for fact in facts.values():
        for key in ("messages", "mails"):
            fact[key] = sorted(fact.get(key, []))
    return facts


def _bench_create(env):
    """1,000 tickets in one ``create`` against the naive loop of one
    ``create`` per ticket, alternating, both rolled back; commit-time work
    included. Both must leave the same deadlines (those KF's batch planning
    gives), followers, messages and e-mails."""
    vals_list = _create_vals(env, N_CREATE)
    env.cr.commit()
    print(
        f"0. ticket creation: {N_CREATE} tickets in one create() vs one create() per ticket "
        f"({len({v['user_id'] for v in vals_list})} handlers; rolled back)"
    )
    reply_days = _reply_days(env)
    expected = env.company.kf_add_working_days_batch(
        [(reply_days[v["ticket_type"]], v["date_received"]) for v in vals_list]
    )
    env.cr.rollback()
    Ticket = env["kf.ticket"]
    # the calls of the batch planning, counted for each way of creating
    Company = type(env["res.company"])
    planning = Company.kf_add_working_days_batch
    calls = []

    def counted(company, requests):
        calls.append(len(requests))
        return planning(company, requests)

    created = {}

    def work(batch):
        def run():
            calls.clear()
            Company.kf_add_working_days_batch = counted
            try:
                if batch:
                    created["tickets"] = Ticket.create(vals_list)
                else:
                    created["tickets"] = Ticket.browse([Ticket.create(vals).id for vals in vals_list])
            finally:
                Company.kf_add_working_days_batch = planning

        return run

    def collect():
        return len(calls), _create_facts(env, created["tickets"])

    runs = _alternate(env, {"batch": (work(True), collect), "loop": (work(False), collect)})
    _print_runs(runs, N_CREATE, "ticket", reference="batch")
    batch_calls, batch_facts = runs["batch"][0][2]
    _loop_calls, loop_facts = runs["loop"][0][2]
    wrong = sum(1 for i, fact in batch_facts.items() if fact["deadline"] != expected[i])
    differ = [i for i in batch_facts if batch_facts[i] != loop_facts[i]]
    totals = {
        label: (
            sum(len(f.get("followers", ())) for f in facts.values()),
            sum(len(f["messages"]) for f in facts.values()),
            sum(len(f["mails"]) for f in facts.values()),
        )
        for label, facts in (("batch", batch_facts), ("loop", loop_facts))
    }
    print(
        f"  -> deadlines planned in {batch_calls} call(s) of kf_add_working_days_batch for the batch "
        f"(one per company), {wrong} differ from the API; followers / messages / e-mails: "
        f"batch {totals['batch']}, loop {totals['loop']}; tickets whose followers, messages or e-mails "
        f"differ between the two: {len(differ)}"
    )
    for i in differ[:3]:
        print(f"     ticket {i}: batch {batch_facts[i]}\n               loop  {loop_facts[i]}")


# --------------------------------------------------------------------------- portal
def _stats(label, timings, size):
    timings = sorted(timings)
    p90 = timings[min(len(timings) - 1, round(0.9 * len(timings)) - 1)]
    print(
        f"  {label:<34} median {statistics.median(timings):7.1f} ms  p90 {p90:7.1f} ms  "
        f"max {timings[-1]:7.1f} ms  ({len(timings)} requests, {size:,} bytes)"
    )
    return statistics.median(timings)


def _time_get(session, url, runs):
    """GET url PORTAL_WARMUP + runs times; None (with a line) when the route fails."""
    response = None
    for _i in range(PORTAL_WARMUP):
        response = session.get(url, allow_redirects=False, timeout=120)
    if response.status_code != 200:
        if response.status_code == 404:
            reason = "PORTAL ROUTE MISSING"
        elif response.status_code in (301, 302, 303):
            reason = f"redirected to {response.headers.get('Location')}"
        else:
            reason = "the page FAILED (server error)"
        print(f"  GET {url}: HTTP {response.status_code} -- {reason}; not timed")
        return None
    timings = []
    for _i in range(runs):
        start = time.perf_counter()
        response = session.get(url, allow_redirects=False, timeout=120)
        timings.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return timings, len(response.content), response.text


def _portal_login(base_url):
    import requests  # noqa: PLC0415 — only the benchmark needs it

    session = requests.Session()
    page = session.get(f"{base_url}/web/login", timeout=120)
    match = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text)
    if not match:
        print(f"  login page without csrf_token (HTTP {page.status_code}); portal not timed")
        return None
    response = session.post(
        f"{base_url}/web/login",
        data={"login": PORTAL_LOGIN, "password": PORTAL_LOGIN, "csrf_token": match.group(1), "redirect": ""},
        timeout=120,
    )
    if "/web/login" in response.url or "session_id" not in session.cookies:
        print(f"  login as {PORTAL_LOGIN} failed (HTTP {response.status_code} at {response.url}); portal not timed")
        return None
    print(f"  logged in as {PORTAL_LOGIN}, landed on {response.url.removeprefix(base_url)}")
    return session


def _bench_portal(env, base_url):
    big = env["res.partner"].search([("name", "=", "Bench Customer Big")], limit=1)
    tickets = env["kf.ticket"].search([("partner_id", "=", big.id)])
    print(f"3. customer portal as {PORTAL_LOGIN} (Bench Customer Big, {len(tickets)} tickets)")
    session = _portal_login(base_url)
    if not session:
        return
    listed = _time_get(session, f"{base_url}/my/kf-tickets", PORTAL_RUNS)
    if not listed:
        print("  portal ticket list and ticket page not timed")
        return
    timings, size, html = listed
    median = _stats("list /my/kf-tickets", timings, size)
    per_page = len(set(re.findall(r"/my/kf-tickets/(\d+)", html)))
    print(f"    {per_page} tickets listed per page; target < 150 ms median: {'met' if median < 150 else 'NOT met'}")
    last_page = -(-len(tickets) // max(per_page, 1))
    paged = _time_get(session, f"{base_url}/my/kf-tickets/page/{last_page}", PORTAL_RUNS // 2)
    if paged:
        _stats(f"list, last page ({last_page})", paged[0], paged[1])
    # detail of the ticket listed first (else the newest of the company)
    first = re.search(r"/my/kf-tickets/(\d+)", html)
    ticket_id = int(first.group(1)) if first else tickets[:1].id
    detail = _time_get(session, f"{base_url}/my/kf-tickets/{ticket_id}", PORTAL_RUNS // 2)
    if detail:
        _stats(f"detail /my/kf-tickets/{ticket_id}", detail[0], detail[1])


def run(env, base_url):
    if "create" in PARTS:
        _bench_create(env)
    if "sla" in PARTS:
        _compare_sla_scan(env)
        _bench_sla_scan(env)
    if "escalation" in PARTS:
        _compare_escalation_scan(env)
        _bench_escalation_scan(env)
    if "portal" in PARTS:
        _bench_portal(env, base_url)
