from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from .common import KfSparePartsCommon


def naive_statement(env, month_start, month_end, company):
    """The statement recomputed move by move with the ORM (the reference)."""
    company = company.kf_spare_locations()
    store = company.kf_spare_store_location_id
    loan = env["stock.location"].search([("id", "child_of", company.kf_spare_loan_location_id.id)])
    held = store | loan
    rows = {}
    moves = env["stock.move"].search(
        [("state", "=", "done"), ("company_id", "=", company.id), ("date", "<", month_end)]
    )
    for move in moves:
        src, dst, qty = move.location_id, move.location_dest_id, move.quantity
        if src not in held and dst not in held:
            continue
        row = rows.setdefault(
            move.product_id,
            dict.fromkeys(("opening", "received", "issued", "returned", "consumed", "lost", "closing"), 0.0),
        )
        sign = (dst in held) - (src in held)
        row["closing"] += sign * qty
        if move.date < month_start:
            row["opening"] += sign * qty
            continue
        if src == store and dst in loan:
            row["issued"] += qty
        elif src in loan and dst == store:
            row["returned"] += qty
        elif src in loan and dst.usage == "customer":
            row["consumed"] += qty
        elif src in loan and dst.usage == "inventory":
            row["lost"] += qty
        else:
            row["received"] += sign * qty
    return rows


@tagged("post_install", "-at_install")
class TestSpareStatement(KfSparePartsCommon):
    def test_monthly_statement_equals_stock_moves(self):
        module = self.env["product.product"].create(
            {"name": "I/O module", "is_storable": True, "tracking": "serial", "list_price": 260.0}
        )
        lots = self.env["stock.lot"].create(
            [{"product_id": module.id, "name": f"MOD-{n}", "company_id": self.company.id} for n in range(1, 7)]
        )
        suppliers = self.env.ref("stock.stock_location_suppliers")
        with freeze_time("2026-02-10 10:00:00"):
            self.env["stock.picking"].kf_spare_transfer(self.company, suppliers, self.store, lots[:4], kind="incoming")
        order = self._create_order()
        with freeze_time("2026-03-04 10:00:00"):
            self.env["stock.picking"].kf_spare_transfer(self.company, suppliers, self.store, lots[4:], kind="incoming")
            first = self._issued(self.specialist, [(module, 1)] * 3, order_id=order.id)
            second = self._issued(self.specialist2, [(module, 1)])
        with freeze_time("2026-03-05 10:00:00"):
            for line, outcome in zip(first.line_ids.with_user(self.keeper), ("unused", "used", "lost"), strict=True):
                line.write(
                    {"return_lot_ids": [Command.set(line.lot_ids.ids)], "outcome": outcome, "order_id": order.id}
                )
            first.with_user(self.keeper).action_return()
        with freeze_time("2026-03-06 10:00:00"):
            line = second.line_ids.with_user(self.keeper)
            line.write({"return_lot_ids": [Command.set(line.lot_ids.ids)], "outcome": "used", "order_id": order.id})
            second.with_user(self.keeper).action_return()
        with freeze_time("2026-04-02 10:00:00"):
            self._issued(self.specialist, [(module, 1)])

        Statement = self.env["kf.spare.statement"].with_user(self.keeper)
        rows = {row["product"]: row for row in Statement.statement_rows(date(2026, 3, 1), self.company)}
        expected = naive_statement(self.env, datetime(2026, 3, 1), datetime(2026, 4, 1), self.company)
        got = rows[module]
        self.assertEqual(
            {k: v for k, v in got.items() if k != "product"},
            {"opening": 4, "received": 2, "issued": 4, "returned": 1, "consumed": 2, "lost": 1, "closing": 3},
        )
        self.assertEqual({k: v for k, v in got.items() if k != "product"}, expected[module])
        for product, row in rows.items():
            self.assertEqual({k: v for k, v in row.items() if k != "product"}, expected[product])
            self.assertEqual(
                row["closing"], row["opening"] + row["received"] - row["consumed"] - row["lost"], product.name
            )
        april = {row["product"]: row for row in Statement.statement_rows(date(2026, 4, 1), self.company)}
        self.assertEqual((april[module]["opening"], april[module]["issued"]), (3, 1))

    def test_statement_needs_the_clerk(self):
        self.assertFalse(self.specialist.has_group("kf_spare_parts.group_kf_spare_keeper"))
        with self.assertRaises(AccessError):
            self.env["kf.spare.statement"].with_user(self.specialist).statement_rows(date(2026, 3, 1), self.company)

    def test_statement_pdf_and_xlsx(self):
        wizard = (
            self.env["kf.spare.statement"]
            .with_user(self.keeper)
            .create({"month": date(2026, 3, 1), "company_id": self.company.id})
        )
        html, _kind = (
            self.env["ir.actions.report"]
            .with_user(self.keeper)
            ._render_qweb_html("kf_spare_parts.report_kf_spare_statement", wizard.ids)
        )
        self.assertIn("备品统计月报表", html.decode())
        self.assertIn("/kf_spare_parts/xlsx/statement?month=2026-03", wizard.action_xlsx()["url"])
