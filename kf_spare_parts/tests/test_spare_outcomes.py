from datetime import datetime

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import KfSparePartsCommon

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@tagged("post_install", "-at_install")
class TestSpareOutcomes(KfSparePartsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.board.with_company(cls.company).standard_price = 2000.0
        cls.labour = cls.env["kf.service.price"].create(
            {"name": "Repair labour", "list_price": 500.0, "floor_price": 300.0, "company_id": cls.company.id}
        )
        cls.equipment = cls.env["kf.equipment"].create(
            {
                "name": "Fire alarm panel",
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "category_id": cls.env.ref("kf_dispatch.kf_equipment_category_controller").id,
            }
        )

    def _return(self, loan, outcome="unused", order=None, **vals):
        for line in loan.line_ids.with_user(self.keeper):
            line.write(
                {
                    "return_lot_ids": [Command.set(line.lot_ids.ids)],
                    "outcome": outcome,
                    "order_id": order.id if order else False,
                    **vals,
                }
            )
        loan.with_user(self.keeper).action_return()

    def _repair_order(self):
        order = self._create_order(
            kf_order_type="repair", equipment_id=self.equipment.id, kf_fault_category="controller"
        )
        order.with_user(self.specialist).write(
            {
                "kf_fault_cause": "Board burnt",
                "kf_repair_plan": "Replace the controller board",
                "kf_quote_line_ids": [Command.create({"price_id": self.labour.id})],
            }
        )
        return order

    def _consent(self, order):
        order.action_dispatch()
        order.with_user(self.specialist).action_kf_quote_submit()
        order.with_user(self.manager).action_kf_quote_approve()
        order.with_user(self.executor).kf_quote_consent("Zhang Wei", PNG_B64)

    # ------------------------------------------------------------ quote
    def test_part_added_to_draft_quote(self):
        order = self._repair_order()
        loan = self._issued(self.specialist, [(self.board, 1)], order_id=order.id)
        self._return(loan, outcome="used", order=order)
        line = order.kf_quote_line_ids.filtered("kf_part_id")
        self.assertEqual(line.price_id.kf_product_id, self.board)
        self.assertEqual((line.price_unit, line.price_id.floor_price), (2800.0, 2000.0))
        self.assertFalse(line.kf_part_quote_id)
        self.assertEqual(order.kf_quote_amount, 3300.0)
        # the part stays on the quote: the specialist cannot remove it nor price it below cost
        with self.assertRaises(UserError):
            line.with_user(self.specialist).unlink()
        with self.assertRaises(ValidationError):
            line.with_user(self.specialist).write({"price_unit": 100.0})
        # a second use of the product reuses the price item
        prices = self.env["kf.service.price"].kf_price_for_products(self.board, self.company)
        self.assertEqual(prices[self.board.id], line.price_id)

    def test_part_after_consent_is_a_supplementary_quote(self):
        order = self._repair_order()
        self._consent(order)
        signed = order.kf_quote_amount
        self.assertEqual(signed, 500.0)
        loan = self._issued(self.specialist, [(self.board, 1)], order_id=order.id)
        self._return(loan, outcome="used", order=order)
        # the signed quote is unchanged; the part waits on a supplementary quote
        self.assertEqual(order.kf_quote_amount, signed)
        quote = order.kf_part_quote_ids
        self.assertEqual((quote.state, quote.amount), ("to_approve", 2800.0))
        self.assertEqual(order.kf_billable_amount, 500.0)
        self.assertIn(self.manager, order.activity_ids.user_id)
        # nobody writes or creates a supplementary quote directly
        with self.assertRaises(AccessError):
            quote.with_user(self.manager).write({"state": "consented"})
        with self.assertRaises(AccessError):
            self.env["kf.part.quote"].with_user(self.manager).create({"order_id": order.id, "name": "X"})
        with self.assertRaises(UserError):
            quote.line_ids.with_user(self.specialist).write({"price_unit": 3000.0})
        with self.assertRaises(AccessError):
            quote.line_ids.with_user(self.manager).write({"kf_part_quote_id": False})
        # the specialist cannot approve; the customer signs only an approved one
        self.assertFalse(self.specialist.has_group("kf_customer_service.group_kf_manager"))
        with self.assertRaises(AccessError):
            quote.with_user(self.specialist).action_approve()
        with self.assertRaises(UserError):
            quote.with_user(self.executor).kf_consent("Zhang Wei", PNG_B64)
        quote.with_user(self.manager).action_approve()
        with self.assertRaises(AccessError):
            quote.with_user(self.specialist).kf_consent("Zhang Wei", PNG_B64)
        with self.assertRaises(UserError):
            quote.with_user(self.executor).kf_consent("Zhang Wei", False)
        quote.with_user(self.executor).kf_consent("Zhang Wei", PNG_B64)
        self.assertEqual(quote.state, "consented")
        # what the customer signed (quote + supplement) is what is invoiced
        self.assertEqual(order.kf_billable_amount, signed + quote.amount)
        self.assertEqual(order.kf_billable_amount, sum(order.kf_quote_line_ids.mapped("price_subtotal")))

    def test_reset_quote_takes_in_pending_parts(self):
        order = self._repair_order()
        order.action_dispatch()
        order.with_user(self.specialist).action_kf_quote_submit()
        loan = self._issued(self.specialist, [(self.board, 1)], order_id=order.id)
        self._return(loan, outcome="used", order=order)
        quote = order.kf_part_quote_ids
        self.assertEqual(quote.state, "to_approve")
        order.with_user(self.specialist).action_kf_quote_reset()
        self.assertEqual(quote.state, "merged")
        self.assertEqual(order.kf_quote_amount, 3300.0)

    def test_non_repair_order_lists_parts_only(self):
        order = self._create_order()
        loan = self._issued(self.specialist, [(self.board, 1)], order_id=order.id)
        self._return(loan, outcome="used", order=order)
        self.assertEqual(len(order.kf_part_ids), 1)
        self.assertFalse(order.kf_quote_line_ids)
        self.assertFalse(order.kf_part_quote_ids)

    # ------------------------------------------------------------ signature
    def test_borrower_draws_signature(self):
        loan = self._issued(self.specialist, [(self.detector, 1)])
        self.assertEqual(loan.user_id, self.specialist)
        with self.assertRaises(UserError):
            loan.with_user(self.specialist).action_sign()
        with self.assertRaises(AccessError):
            loan.with_user(self.keeper).write({"signature": PNG_B64})
        with self.assertRaises(AccessError):
            loan.with_user(self.keeper).kf_sign(PNG_B64)
        with self.assertRaises(UserError):
            loan.with_user(self.specialist).write({"signed_by_id": self.specialist.id})
        loan.with_user(self.specialist).write({"signature": PNG_B64})
        loan.with_user(self.specialist).action_sign()
        self.assertEqual((loan.state, loan.signed_by_id), ("signed", self.specialist))
        self.assertTrue(loan.signature and loan.date_signed)
        # a signed loan's signature never changes
        with self.assertRaises(UserError):
            loan.with_user(self.specialist).write({"signature": False})

    def test_kf_sign(self):
        loan = self._issued(self.specialist, [(self.detector, 1)])
        with self.assertRaises(UserError):
            loan.with_user(self.specialist).kf_sign(False)
        loan.with_user(self.specialist).kf_sign(PNG_B64)
        self.assertEqual(loan.state, "signed")

    # ------------------------------------------------------------ reminders
    def test_due_reminder_once_in_borrower_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.specialist.lang = "zh_CN"
        with freeze_time("2026-03-05 10:00:00"):
            loan = self._issued(self.specialist, [(self.detector, 1)])
        self.assertEqual(loan.date_due, datetime(2026, 3, 10, 10, 0))
        Loan = self.env["kf.spare.loan"]
        self.assertFalse(Loan._kf_remind_due(datetime(2026, 3, 9, 9, 0)))
        self.assertEqual(Loan._kf_remind_due(datetime(2026, 3, 9, 11, 0)), loan)
        activity = loan.activity_ids
        self.assertEqual(activity.user_id, self.specialist)
        self.assertEqual(activity.activity_type_id, self.env.ref("kf_spare_parts.mail_activity_type_kf_spare_due"))
        # a second worker (or a second run) finds nothing left to remind
        self.assertFalse(Loan._kf_remind_due(datetime(2026, 3, 9, 11, 0)))
        self.assertFalse(Loan._kf_remind_due(datetime(2026, 3, 9, 12, 0)))
        self.assertEqual(loan.activity_ids, activity)
        with self.assertRaises(UserError):
            loan.with_user(self.keeper).write({"due_reminded": False})

    def test_overdue_scan_queries_do_not_grow_with_borrowers(self):
        def borrowers(count, tag):
            return [
                new_test_user(
                    self.env,
                    f"sp_qc_{tag}_{i}",
                    groups="kf_customer_service.group_kf_specialist",
                    company_id=self.company.id,
                    company_ids=[Command.set([self.company.id])],
                    lang="zh_CN",
                    tz="Asia/Shanghai",
                )
                for i in range(count)
            ]

        self.env["res.lang"]._activate_lang("zh_CN")
        lots = self.env["stock.lot"].create(
            [{"product_id": self.detector.id, "name": f"QC-{n}", "company_id": self.company.id} for n in range(9)]
        )
        self.env["stock.picking"].kf_spare_transfer(
            self.company, self.env.ref("stock.stock_location_suppliers"), self.store, lots, kind="incoming"
        )
        Loan = self.env["kf.spare.loan"]

        def count_queries(users, now):
            with freeze_time("2026-03-05 10:00:00"):
                for user in users:
                    self._issued(user, [(self.detector, 1)])
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            done = Loan._kf_notify_overdue(now)
            self.env.flush_all()
            self.assertEqual(len(done), len(users))
            return self.env.cr.sql_log_count - before

        count_queries(borrowers(1, "w"), datetime(2026, 3, 10, 11, 0))  # warm the caches
        small = count_queries(borrowers(2, "a"), datetime(2026, 3, 11, 11, 0))
        large = count_queries(borrowers(6, "b"), datetime(2026, 3, 12, 11, 0))
        self.assertEqual(small, large)

    # ------------------------------------------------------------ per-serial outcome
    def test_outcome_per_serial(self):
        order = self._create_order()
        loan = self._issued(self.specialist, [(self.detector, 3)], order_id=order.id)
        line = loan.line_ids
        used, lost, unused = line.lot_ids[0], line.lot_ids[1], line.lot_ids[2]
        # only the clerk records it, and only serials of the line
        with self.assertRaises(UserError):
            line.with_user(self.specialist).write({"lost_lot_ids": [Command.set(lost.ids)]})
        with self.assertRaises(ValidationError):
            line.with_user(self.keeper).write({"lost_lot_ids": [Command.set((self.board_lots[:1]).ids)]})
        with self.assertRaises(ValidationError):
            line.with_user(self.keeper).write(
                {"used_lot_ids": [Command.set(used.ids)], "lost_lot_ids": [Command.set(used.ids)]}
            )
        self._return(
            loan,
            outcome="unused",
            order=order,
            used_lot_ids=[Command.set(used.ids)],
            lost_lot_ids=[Command.set(lost.ids)],
        )
        self.assertEqual(loan.state, "returned")
        by_outcome = {ln.outcome: ln for ln in loan.line_ids}
        self.assertEqual(set(by_outcome), {"unused", "used", "lost"})
        self.assertEqual(by_outcome["unused"].lot_ids, unused)
        self.assertEqual(by_outcome["used"].lot_ids, used)
        self.assertEqual(by_outcome["lost"].lot_ids, lost)
        self.assertEqual(sum(loan.line_ids.mapped("quantity")), 3)
        self.assertEqual(self._lot_location(unused), self.store)
        self.assertEqual(self._lot_location(used), self.env.ref("stock.stock_location_customers"))
        self.assertEqual(order.kf_part_ids.lot_id, used)
        self.assertEqual((loan.charge_ids.lot_id, loan.charge_ids.amount), (lost, 180.0))
        # the monthly statement counts each serial under its own outcome
        rows = self.env["kf.spare.statement"].with_user(self.keeper).statement_rows(fields.Date.today(), self.company)
        row = next(row for row in rows if row["product"] == self.detector)
        self.assertEqual((row["issued"], row["returned"], row["consumed"], row["lost"]), (3, 1, 1, 1))

    def test_supplementary_quote_hidden_from_other_company(self):
        order = self._repair_order()
        self._consent(order)
        loan = self._issued(self.specialist, [(self.board, 1)], order_id=order.id)
        self._return(loan, outcome="used", order=order)
        quote = order.kf_part_quote_ids
        self.assertTrue(quote)
        other = self.env["res.company"].create({"name": "Other KF Company"})
        outsider = new_test_user(
            self.env,
            "sp_other_manager",
            groups="kf_customer_service.group_kf_manager",
            company_id=other.id,
            company_ids=[Command.set([other.id])],
        )
        self.assertFalse(self.env["kf.part.quote"].with_user(outsider).search([]))
        with self.assertRaises(AccessError):
            quote.with_user(outsider).action_approve()
        self.assertEqual(quote.state, "to_approve")
