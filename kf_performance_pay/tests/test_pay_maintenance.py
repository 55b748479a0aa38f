from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from odoo.addons.kf_customer_service.tests.common import setup_test_accounting

from .common import KfPayCommon


@tagged("post_install", "-at_install")
class TestPayMaintenance(KfPayCommon):
    """Maintenance commission: 15 % of the fees received to the signer in
    the month of the full payment, 10 % split among the executors once the
    period ended with every planned visit done and its form reviewed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_test_accounting(cls.env, cls.company)
        cls.contract = cls._maintenance_contract(cls.customer, date(2026, 1, 1), date(2026, 6, 30))
        cls.contract.sudo().payment_line_ids = [
            Command.create({"name": "First instalment", "date_due": date(2026, 1, 15), "amount": 5000.0}),
            Command.create({"name": "Second instalment", "date_due": date(2026, 3, 15), "amount": 7345.67}),
        ]

    @classmethod
    def _maintenance_contract(cls, partner, date_start, date_end, **vals):
        values = {
            "partner_id": partner.id,
            "contract_type": "maintenance",
            "date_start": date_start,
            "date_end": date_end,
            "amount": 12345.67,
            "company_id": cls.company.id,
            "project_id": cls.project.id,
            "state": "running",
            **vals,
        }
        return cls.env["kf.service.contract"].sudo().with_company(cls.company).create(values)

    @classmethod
    def _invoice_and_pay(cls, line, on, amount=None):
        with freeze_time(on):
            line._lock_for_invoicing()._create_invoices()
            wizard = (
                cls.env["account.payment.register"]
                .with_company(cls.company)
                .with_context(active_model="account.move", active_ids=line.move_id.ids)
                .create({"payment_date": on, **({"amount": amount} if amount is not None else {})})
            )
            if amount is not None:
                wizard.payment_difference_handling = "open"
            wizard._create_payments()

    def _plan_with_orders(self, executors):
        plan = self.env["kf.maintenance.plan"].sudo().create({"contract_id": self.contract.id})
        orders = self.Order.sudo().create(
            [
                {
                    "partner_id": self.customer.id,
                    "project_id": self.project.id,
                    "work_content": f"Monthly test {index}",
                    "user_id": user.id,
                    "company_id": self.company.id,
                    "kf_order_type": "maintenance",
                    "maintenance_plan_id": plan.id,
                }
                for index, user in enumerate(executors)
            ]
        )
        orders.write({"state": "done", "date_done": datetime(2026, 5, 1, 9)})
        forms = (
            self.env["kf.service.feedback"]
            .sudo()
            .create([{"order_id": order.id, "service_type": "maintenance"} for order in orders])
        )
        forms.write(
            {"state": "reviewed", "signed_on": datetime(2026, 5, 1, 12), "reviewed_on": datetime(2026, 7, 3, 9)}
        )
        return orders, forms

    def test_signer_paid_in_the_month_of_the_full_payment(self):
        first, second = self.contract.payment_line_ids.sorted("date_due")
        self.assertEqual(self.contract.kf_signer_id, self.specialist, "the signer defaults to the responsible")
        self._invoice_and_pay(first, date(2026, 3, 10))
        march = self._compute(self.month(2026, 3))
        self.assertFalse(self._lines(march[self.specialist], "maintenance_signer"), "not fully paid yet")
        self._invoice_and_pay(second, date(2026, 4, 15))
        self.assertEqual(self.contract.amount_received, 12345.67)
        april = self._compute(self.month(2026, 4))
        line = self._lines(april[self.specialist], "maintenance_signer")
        self.assertEqual(line.amount, 1851.85, "15 % of 12,345.67")
        self.assertEqual(line.date_due, date(2026, 4, 15))
        self.assertEqual(line.rule_id, self.env.ref("kf_performance_pay.kf_pay_rule_maint_signer"))
        may = self._compute(self.month(2026, 5))
        self.assertFalse(self._lines(may[self.specialist], "maintenance_signer"), "paid once")

    def test_executors_split_ten_percent_to_the_cent(self):
        for line, day in zip(
            self.contract.payment_line_ids.sorted("date_due"), (date(2026, 1, 20), date(2026, 3, 20)), strict=True
        ):
            self._invoice_and_pay(line, day)
        self._plan_with_orders([self.executor, self.executor, self.specialist2])
        self.assertIn("Due on", self.contract.with_user(self.manager).kf_maint_pay_status)
        june = self._compute(self.month(2026, 6))
        self.assertNotIn(self.executor, june, "due with the last review, in July")
        july = self._compute(self.month(2026, 7))
        mine = self._lines(july[self.executor], "maintenance_executor")
        theirs = self._lines(july[self.specialist2], "maintenance_executor")
        self.assertEqual(mine.amount, 823.05, "two of three visits of 1,234.57")
        self.assertEqual(theirs.amount, 411.52, "the last share takes the remainder")
        self.assertEqual(mine.date_due, date(2026, 7, 3))

    def test_missing_review_pays_no_executor_commission(self):
        for line, day in zip(
            self.contract.payment_line_ids.sorted("date_due"), (date(2026, 1, 20), date(2026, 3, 20)), strict=True
        ):
            self._invoice_and_pay(line, day)
        orders, forms = self._plan_with_orders([self.executor, self.specialist2])
        forms[1].write({"state": "signed", "reviewed_on": False})
        status = self.contract.with_user(self.manager).kf_maint_pay_status
        self.assertIn(orders[1].name, status)
        july = self._compute(self.month(2026, 7))
        self.assertFalse(
            self._lines(july.get(self.executor, self.Statement), "maintenance_executor")
            | self._lines(july[self.specialist2], "maintenance_executor")
        )

    def test_executor_share_of_a_leaver_goes_to_the_successor(self):
        for line, day in zip(
            self.contract.payment_line_ids.sorted("date_due"), (date(2026, 1, 20), date(2026, 3, 20)), strict=True
        ):
            self._invoice_and_pay(line, day)
        self._plan_with_orders([self.executor, self.specialist2])
        self.env["kf.pay.leaver"].create(
            {
                "user_id": self.executor.id,
                "company_id": self.company.id,
                "date_left": date(2026, 6, 1),
                "successor_id": self.specialist.id,
            }
        )
        july = self._compute(self.month(2026, 7))
        handed = self._lines(july[self.specialist], "maintenance_executor")
        self.assertEqual(handed.amount, 617.29, "the first half of 1,234.57, rounded half up")
        self.assertEqual(handed.transferred_from_id, self.executor)

    def test_signer_is_set_by_a_manager_before_the_contract_runs(self):
        draft = self._maintenance_contract(self.customer, date(2026, 7, 1), date(2027, 6, 30), state="draft")
        # precondition: the specialist is the one the commission would pay
        self.assertEqual(draft.kf_signer_id, self.specialist)
        self.assertFalse(self.specialist.has_group("kf_customer_service.group_kf_manager"))
        with self.assertRaises(AccessError):
            draft.with_user(self.specialist).write({"kf_signer_id": self.specialist2.id})
        with self.assertRaises(AccessError):
            self.env["kf.service.contract"].with_user(self.specialist).with_company(self.company).create(
                {
                    "partner_id": self.customer.id,
                    "contract_type": "maintenance",
                    "date_start": date(2026, 7, 1),
                    "date_end": date(2027, 6, 30),
                    "kf_signer_id": self.specialist2.id,
                }
            )
        draft.with_user(self.manager).write({"kf_signer_id": self.specialist2.id})
        self.assertEqual(draft.kf_signer_id, self.specialist2)
        with self.assertRaises(UserError):
            self.contract.with_user(self.manager).write({"kf_signer_id": self.specialist2.id})
        self.assertEqual(self.contract.kf_signer_id, self.specialist)
