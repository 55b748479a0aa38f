"""Benchmark of the monthly spare-part statement (kf_spare_parts).

Run with ``./kf bench tests/benchmarks/bench_spare_parts.py``.

setup(env) creates 50 serial-tracked parts and 20 borrowers (each with an
on-loan location) in the main company, then inserts by SQL (``INSERT ...
SELECT ... FROM generate_series``) 100,000 done stock moves over the 12 full
months before the current one: receipts into the store, issues to the
borrowers, returns, consumption at customers and losses, plus moves of other
locations that the statement must leave alone.

run(env, base_url) times ``kf.spare.statement.statement_rows`` for the latest
full month (cold, then the best of three warm runs) with its query count, and
a naive ORM baseline reading every move of the company up to the month end.
Figures are printed, never asserted; target: the statement under 5 s.
"""

import time

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tools import SQL

N_MOVES = 100_000
N_PRODUCTS = 50
N_BORROWERS = 20
MONTHS = 12


def _months(env):
    today = fields.Date.context_today(env["kf.spare.statement"])
    latest = today + relativedelta(day=1, months=-1)
    return latest, latest - relativedelta(months=MONTHS - 1), latest + relativedelta(months=1)


def setup(env):
    t0 = time.perf_counter()
    company = env.ref("base.main_company").kf_spare_locations()
    products = env["product.product"].create(
        [
            {"name": f"Bench part {i:02d}", "is_storable": True, "tracking": "serial", "list_price": 100.0 + i}
            for i in range(N_PRODUCTS)
        ]
    )
    specialist = env.ref("kf_customer_service.group_kf_specialist")
    users = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            [
                {
                    "name": f"Bench Borrower {i:02d}",
                    "login": f"bench_sp_{i:02d}",
                    "groups_id": [(6, 0, [specialist.id])],
                }
                for i in range(N_BORROWERS)
            ]
        )
    )
    loans = [env["stock.location"].kf_loan_location(user, company).id for user in users]
    env.flush_all()
    _latest, first, end = _months(env)
    store = company.kf_spare_store_location_id.id
    supplier = env.ref("stock.stock_location_suppliers").id
    customer = env.ref("stock.stock_location_customers").id
    loss = products[0].with_company(company).property_stock_inventory.id
    other = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1).lot_stock_id.id
    # kind of move by mod(g, 10): 0 receipt, 1-4 issue, 5-6 return, 7 consumption, 8 loss, 9 unrelated
    env.cr.execute(
        SQL(
            """
            INSERT INTO stock_move (name, product_id, product_uom, product_uom_qty, product_qty, quantity,
                                    location_id, location_dest_id, company_id, state, date, procure_method,
                                    create_date, write_date, create_uid, write_uid)
            SELECT 'bench', (%(products)s::int[])[1 + mod(g, %(np)s)], p.uom, 1, 1, 1,
                   CASE mod(g, 10) WHEN 0 THEN %(supplier)s WHEN 1 THEN %(store)s WHEN 2 THEN %(store)s
                        WHEN 3 THEN %(store)s WHEN 4 THEN %(store)s WHEN 9 THEN %(supplier)s
                        ELSE (%(loans)s::int[])[1 + mod(g, %(nl)s)] END,
                   CASE mod(g, 10) WHEN 0 THEN %(store)s WHEN 5 THEN %(store)s WHEN 6 THEN %(store)s
                        WHEN 7 THEN %(customer)s WHEN 8 THEN %(loss)s WHEN 9 THEN %(other)s
                        ELSE (%(loans)s::int[])[1 + mod(g, %(nl)s)] END,
                   %(company)s, 'done',
                   %(start)s::timestamp + (g::float / %(n)s) * (%(end)s::timestamp - %(start)s::timestamp),
                   'make_to_stock', now(), now(), 1, 1
              FROM generate_series(1, %(n)s) AS g,
                   (SELECT uom_id AS uom FROM product_template WHERE id = %(tmpl)s) p
            """,
            products=products.ids,
            np=N_PRODUCTS,
            loans=loans,
            nl=N_BORROWERS,
            store=store,
            supplier=supplier,
            customer=customer,
            loss=loss,
            other=other,
            company=company.id,
            start=fields.Datetime.to_datetime(first),
            end=fields.Datetime.to_datetime(end),
            n=N_MOVES,
            tmpl=products[0].product_tmpl_id.id,
        )
    )
    env.cr.execute("ANALYZE stock_move")
    print(f"  setup: {N_MOVES:,} done stock moves inserted in {time.perf_counter() - t0:.1f} s", flush=True)


def _naive(env, month_start, month_end, company):
    """The statement move by move through the ORM (the baseline)."""
    store = company.kf_spare_store_location_id
    loan = env["stock.location"].search([("id", "child_of", company.kf_spare_loan_location_id.id)])
    held = store | loan
    rows = {}
    for move in env["stock.move"].search(
        [("state", "=", "done"), ("company_id", "=", company.id), ("date", "<", month_end)]
    ):
        src, dst, qty = move.location_id, move.location_dest_id, move.quantity
        if src not in held and dst not in held:
            continue
        row = rows.setdefault(move.product_id.id, dict.fromkeys(("opening", "in_month", "closing"), 0.0))
        sign = (dst in held) - (src in held)
        row["closing"] += sign * qty
        if move.date < month_start:
            row["opening"] += sign * qty
    return rows


def run(env, _base_url):
    latest, _first, end = _months(env)
    company = env.ref("base.main_company").kf_spare_locations()
    Statement = env["kf.spare.statement"]
    env.invalidate_all()
    queries = env.cr.sql_log_count
    t0 = time.perf_counter()
    rows = Statement.statement_rows(latest, company)
    cold = time.perf_counter() - t0
    queries = env.cr.sql_log_count - queries
    warm = []
    for _i in range(3):
        env.invalidate_all()
        t0 = time.perf_counter()
        Statement.statement_rows(latest, company)
        warm.append(time.perf_counter() - t0)
    total = env.execute_query(SQL("SELECT count(*) FROM stock_move WHERE state = 'done'"))[0][0]
    print(f"  monthly statement {latest:%Y-%m}: {len(rows)} products over {total:,} done moves", flush=True)
    print(f"  statement (one grouped SQL query): cold {cold:6.2f} s, warm best {min(warm):6.2f} s, {queries} queries")
    env.invalidate_all()
    t0 = time.perf_counter()
    naive = _naive(env, fields.Datetime.to_datetime(latest), fields.Datetime.to_datetime(end), company)
    baseline = time.perf_counter() - t0
    print(f"  naive ORM baseline (move by move):  {baseline:6.2f} s", flush=True)
    mismatched = [
        row["product"].id
        for row in rows
        if abs(naive.get(row["product"].id, {}).get("closing", 0) - row["closing"]) > 1e-6
        or abs(naive.get(row["product"].id, {}).get("opening", 0) - row["opening"]) > 1e-6
    ]
    print(f"  opening/closing equal to the baseline: {'yes' if not mismatched else mismatched}")
    print(f"  target: statement under 5 s -> {'met' if cold < 5 else 'MISSED'}", flush=True)
