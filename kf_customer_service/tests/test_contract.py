from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import KfCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-10")
class TestContract(KfCommon):
    kf_accounting = True

    def test_sequence_and_defaults(self):
        contract = self._create_contract(self.customer_1, "2026-01-01", "2026-12-31")
        self.assertTrue(contract.name.startswith("KF-C-2026-"), contract.name)
        self.assertEqual(contract.user_id, self.specialist_a, "defaults to the customer's specialist")
        self.assertEqual(contract.commercial_partner_id, self.customer_1)
        self.assertTrue(self.customer_1.kf_is_customer)
        other = self._create_contract(self.customer_1, "2026-01-01", "2026-12-31")
        self.assertNotEqual(contract.name, other.name)

    def test_constraint_dates(self):
        with self.assertRaisesRegex(ValidationError, "end date"):
            self._create_contract(self.customer_1, "2026-05-01", "2026-04-30")
        with self.assertRaisesRegex(ValidationError, "end date"):
            self._create_contract(self.customer_1, "2026-05-01", "2026-05-01")
        contract = self._create_contract(self.customer_1, "2026-01-01", "2026-12-31")
        with self.assertRaisesRegex(ValidationError, "end date"):
            contract.date_end = "2025-12-01"

    def test_constraint_amounts(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._create_contract(self.customer_1, "2026-01-01", "2026-12-31", amount=-1)
        contract = self._create_contract(self.customer_1, "2026-01-01", "2026-12-31")
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            contract.payment_line_ids = [Command.create({"name": "Bad", "date_due": "2026-02-01", "amount": -5})]

    def test_payment_amounts_and_states(self):
        contract = self._create_contract(
            self.customer_1,
            "2026-01-01",
            "2026-12-31",
            payment_line_ids=[
                Command.create({"name": "Q1", "date_due": "2026-01-31", "amount": 3000}),
                Command.create({"name": "Q2", "date_due": "2026-04-30", "amount": 3000}),
                Command.create({"name": "Q3", "date_due": "2026-02-28", "amount": 3000}),
                Command.create({"name": "EMC fee", "line_type": "emc_fee", "date_due": "2026-06-30", "amount": 500}),
            ],
        )
        lines = {line.name: line for line in contract.payment_line_ids}
        q1, q2, q3, fee = lines["Q1"], lines["Q2"], lines["Q3"], lines["EMC fee"]
        self.assertEqual(q1.state, "pending", "not invoiced yet")
        self._invoice(q1 | q2 | q3)
        self._pay(q2.move_id, 1000)
        self._pay(q3.move_id, on="2026-02-20")
        self.assertEqual(q1.state, "overdue")
        self.assertEqual(q2.state, "partial")
        self.assertEqual(q3.state, "paid")
        self.assertEqual(fee.state, "pending")
        self.assertEqual(contract.amount_scheduled, 9500)
        self.assertEqual(contract.amount_invoiced, 9000)
        self.assertEqual(contract.amount_received, 4000)
        self.assertEqual((q2.amount_invoiced, q2.amount_paid, q2.amount_residual), (3000, 1000, 2000))
        self.assertEqual(contract.amount_due, 5500)
        self.assertEqual(contract.amount_overdue, 3000)
        self.assertEqual(contract.payment_line_count, 4)
        self._pay(q1.move_id)
        self.assertEqual(q1.state, "paid")
        self.assertEqual(contract.amount_overdue, 0)
        self.assertEqual(contract.amount_due, 2500)

    def test_confirm_and_cancel(self):
        contract = self._create_contract(self.customer_1, "2026-01-01", "2026-12-31", state="draft")
        contract.action_confirm()
        self.assertEqual(contract.state, "running")
        with self.assertRaises(UserError):
            contract.action_confirm()
        contract.action_cancel()
        self.assertEqual(contract.state, "cancelled")
        contract.action_set_draft()
        self.assertEqual(contract.state, "draft")
        past = self._create_contract(self.customer_1, "2025-01-01", "2025-12-31", state="draft")
        past.action_confirm()
        self.assertEqual(past.state, "expired")

    def test_renew_yearly_contract(self):
        contract = self._create_contract(
            self.customer_1,
            "2025-04-01",
            "2026-03-31",
            contract_type="emc",
            payment_line_ids=[
                Command.create({"name": "H1", "date_due": "2025-04-30", "amount": 6000}),
                Command.create({"name": "Fee", "line_type": "emc_fee", "date_due": "2025-10-31", "amount": 800}),
            ],
        )
        self._pay(self._invoice(contract.payment_line_ids[0]))
        action = contract.action_renew()
        self.assertEqual(action["res_model"], "kf.service.contract.renew", "Renew opens the wizard")
        created = contract.create_successor()
        successor = contract.successor_id
        self.assertTrue(successor)
        self.assertEqual(created, successor)
        self.assertEqual(successor.predecessor_id, contract)
        self.assertEqual(str(successor.date_start), "2026-04-01")
        self.assertEqual(str(successor.date_end), "2027-03-31")
        self.assertEqual(successor.state, "draft")
        self.assertEqual(successor.contract_type, "emc")
        self.assertEqual(successor.user_id, self.specialist_a)
        self.assertNotEqual(successor.name, contract.name)
        self.assertEqual(
            sorted(str(d) for d in successor.payment_line_ids.mapped("date_due")),
            ["2026-04-30", "2026-10-31"],
        )
        self.assertFalse(successor.payment_line_ids.move_id, "the successor's schedule is not invoiced")
        self.assertEqual(sum(successor.payment_line_ids.mapped("amount_paid")), 0)
        self.assertEqual(contract.state, "renewed")
        self.assertEqual(contract.renewal_stage_id, self.env.ref("kf_customer_service.stage_renewed"))
        with self.assertRaisesRegex(UserError, "already renewed"):
            contract.create_successor()

    def test_renew_by_days(self):
        contract = self._create_contract(self.customer_1, "2026-01-10", "2026-03-20")
        successor = contract.create_successor(copy_lines=False)
        self.assertEqual(str(successor.date_start), "2026-03-21")
        # 70-day contract -> 70-day successor
        self.assertEqual((successor.date_end - successor.date_start).days, 69)

    def test_renew_refused_for_draft(self):
        contract = self._create_contract(self.customer_1, "2026-01-01", "2026-12-31", state="draft")
        with self.assertRaises(UserError):
            contract.create_successor()
