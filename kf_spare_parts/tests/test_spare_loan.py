from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import KfSparePartsCommon

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@tagged("post_install", "-at_install")
class TestSpareLoan(KfSparePartsCommon):
    def _return(self, loan, outcome="unused", lots=None, order=None):
        for line in loan.line_ids.with_user(self.keeper):
            line.write(
                {
                    "return_lot_ids": [Command.set((lots or line.lot_ids).ids)],
                    "outcome": outcome,
                    "order_id": order.id if order else False,
                }
            )
        loan.with_user(self.keeper).action_return()

    def test_full_loan_cycle_with_serials(self):
        loan = self._request(self.specialist, [(self.detector, 2)])
        self.assertEqual(loan.state, "draft")
        loan.with_user(self.specialist).action_submit()
        loan.with_user(self.manager).action_approve()
        self.assertEqual(loan.approved_by_id, self.manager)
        with freeze_time("2026-03-05 10:00:00"):
            loan.with_user(self.keeper).action_issue()
        self.assertEqual(loan.state, "issued")
        lots = loan.line_ids.lot_ids
        self.assertEqual(len(lots), 2)
        on_loan = self.env["stock.location"].kf_loan_location(self.specialist, self.company)
        self.assertEqual(loan.issue_picking_id.state, "done")
        for lot in lots:
            self.assertEqual(self._lot_location(lot), on_loan)
        # two working days on the company calendar, Monday 9 March being a holiday
        self.assertEqual(loan.date_due, datetime(2026, 3, 10, 10, 0))
        with self.assertRaises(AccessError):
            loan.with_user(self.specialist2).action_sign()
        loan.with_user(self.specialist).write({"signature": PNG_B64})
        loan.with_user(self.specialist).action_sign()
        self.assertEqual(loan.state, "signed")
        self._return(loan)
        self.assertEqual(loan.state, "returned")
        for lot in lots:
            self.assertEqual(self._lot_location(lot), self.store)
        self.assertTrue(all(p.state == "done" for p in loan.return_picking_ids))

    def test_rotation_proposes_oldest_idle_serial(self):
        # the fixtures' receipt is dated today: the loan comes later
        with freeze_time("2099-03-02 10:00:00"):
            first = self._issued(self.specialist, [(self.detector, 2)])
        used = first.line_ids.lot_ids
        with freeze_time("2099-03-03 10:00:00"):
            self._return(first)
        second = self._request(self.specialist, [(self.detector, 2)])
        second.with_user(self.specialist).action_submit()
        second.with_user(self.manager).action_approve()
        second.with_user(self.keeper).action_propose_serials()
        self.assertEqual(second.line_ids.lot_ids, self.detector_lots - used)

    def test_mismatched_serial_refused_on_return(self):
        loan = self._issued(self.specialist, [(self.detector, 1)])
        other = self.detector_lots - loan.line_ids.lot_ids
        with self.assertRaises(ValidationError):
            self._return(loan, lots=other[:1])
        self.assertEqual(loan.state, "issued")
        # the state is a system field: not even the clerk writes it directly
        with self.assertRaises(UserError):
            loan.with_user(self.keeper).write({"state": "returned"})

    def test_overdue_reminder_once(self):
        with freeze_time("2026-03-05 10:00:00"):
            loan = self._issued(self.specialist, [(self.detector, 1)])
        Loan = self.env["kf.spare.loan"]
        self.assertFalse(Loan._kf_notify_overdue(datetime(2026, 3, 10, 9, 0)))
        self.assertTrue(Loan._kf_notify_overdue(datetime(2026, 3, 10, 11, 0)))
        activities = loan.activity_ids
        self.assertEqual(activities.user_id, self.specialist | self.keeper)
        self.assertTrue(loan.is_overdue)
        self.assertFalse(Loan._kf_notify_overdue(datetime(2026, 3, 11, 11, 0)))
        self.assertEqual(loan.activity_ids, activities)
        counts = Loan.kf_overdue_counts(datetime(2026, 3, 1), datetime(2026, 4, 1), self.company)
        self.assertEqual(counts, {self.specialist.id: 1})

    def test_consumption_reaches_the_work_order(self):
        order = self._create_order()
        loan = self._issued(self.specialist, [(self.board, 1)], order_id=order.id)
        lot = loan.line_ids.lot_ids
        self._return(loan, outcome="used", order=order)
        self.assertEqual(order.kf_part_ids.lot_id, lot)
        self.assertEqual(order.kf_part_ids.price_unit, 2800.0)
        self.assertEqual(self._lot_location(lot), self.env.ref("stock.stock_location_customers"))

    def test_lost_part_charged_to_borrower(self):
        loan = self._issued(self.specialist, [(self.board, 1)])
        self._return(loan, outcome="lost")
        charge = loan.charge_ids
        self.assertEqual((charge.user_id, charge.amount, charge.state), (self.specialist, 2800.0, "draft"))
        # the borrower reads the charge but can neither change nor create one
        self.assertFalse(self.specialist.has_group("kf_spare_parts.group_kf_spare_keeper"))
        self.assertEqual(self.env["kf.spare.part.charge"].with_user(self.specialist).search([]), charge)
        with self.assertRaises(AccessError):
            charge.with_user(self.specialist).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            self.env["kf.spare.part.charge"].with_user(self.specialist).create(
                {"user_id": self.specialist2.id, "amount": 1.0, "company_id": self.company.id}
            )
        with self.assertRaises(AccessError):
            charge.with_user(self.keeper).write({"state": "confirmed"})
        charge.with_user(self.manager).action_confirm()
        self.assertEqual(
            self.env["kf.spare.part.charge"].kf_amounts("2000-01-01", "2100-01-01", self.company),
            {self.specialist.id: 2800.0},
        )

    def test_specialist_cannot_approve_own_request(self):
        self.assertFalse(self.specialist.has_group("kf_customer_service.group_kf_manager"))
        loan = self._request(self.specialist, [(self.detector, 1)])
        loan.with_user(self.specialist).action_submit()
        with self.assertRaises(AccessError):
            loan.with_user(self.specialist).action_approve()
        with self.assertRaises(UserError):
            loan.with_user(self.specialist).write({"state": "approved"})
        with self.assertRaises(UserError):
            loan.with_user(self.specialist).write({"approved_by_id": self.specialist.id})
        with self.assertRaises(AccessError):
            loan.with_user(self.specialist).action_issue()
        # a manager borrowing cannot approve their own request either
        own = self._request(self.manager, [(self.detector, 1)])
        own.with_user(self.manager).action_submit()
        with self.assertRaises(AccessError):
            own.with_user(self.manager).action_approve()
        self.assertEqual(own.state, "to_approve")

    def test_specialist_sees_only_own_loans(self):
        mine = self._request(self.specialist, [(self.detector, 1)])
        theirs = self._request(self.specialist2, [(self.detector, 1)])
        self.assertFalse(self.specialist.has_group("kf_spare_parts.group_kf_spare_keeper"))
        Loan = self.env["kf.spare.loan"].with_user(self.specialist)
        self.assertEqual(Loan.search([]), mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.specialist).read(["name"])
        with self.assertRaises(AccessError):
            Loan.create({"user_id": self.specialist2.id, "reason": "x", "company_id": self.company.id})
        self.assertEqual(self.env["kf.spare.loan"].with_user(self.keeper).search([]), mine | theirs)

    def test_other_company_loans_invisible(self):
        other = self.env["res.company"].create({"name": "Other KF Company"})
        outsider = self.env["res.users"].create(
            {
                "name": "Other Specialist",
                "login": "sp_other",
                "company_id": other.id,
                "company_ids": [Command.set([other.id])],
                "groups_id": [Command.set([self.env.ref("kf_customer_service.group_kf_specialist").id])],
            }
        )
        loan = (
            self.env["kf.spare.loan"]
            .with_company(other)
            .create({"user_id": outsider.id, "company_id": other.id, "reason": "Other company's loan"})
        )
        self.assertNotIn(loan, self.env["kf.spare.loan"].with_user(self.keeper).search([]))
        self.assertNotIn(loan, self.env["kf.spare.loan"].with_user(self.manager).search([]))
