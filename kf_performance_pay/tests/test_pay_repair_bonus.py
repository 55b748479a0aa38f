from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.kf_customer_service.tests.common import setup_test_accounting

from ..models.kf_pay_statement import KfPayPeriod
from .common import KfPayCommon


@tagged("post_install", "-at_install")
class TestPayRepairBonus(KfPayCommon):
    """Repair labour above the floor prices, year-end bonuses at their tier
    boundaries, product-defect rewards and spare-part charges."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Price = cls.env["kf.service.price"].sudo()
        cls.labour = Price.create(
            {"name": "Controller repair", "item_type": "labour", "list_price": 800.0, "floor_price": 500.0}
        )
        cls.part = Price.create({"name": "Detector", "item_type": "part", "list_price": 300.0, "floor_price": 200.0})
        cls.travel = Price.create({"name": "Travel", "item_type": "travel", "list_price": 150.0, "floor_price": 0.0})

    # ------------------------------------------------------------------ helpers
    def _repair_order(self, reviewed_on, rework=False, review=True):
        order = self._create_order(kf_order_type="repair").sudo()
        order.kf_quote_line_ids = [
            Command.create({"price_id": self.labour.id, "quantity": 3.0, "price_unit": 733.33}),
            Command.create({"price_id": self.part.id, "quantity": 1.0, "price_unit": 300.0}),
            Command.create({"price_id": self.travel.id, "quantity": 2.0, "price_unit": 150.0}),
        ]
        order.write({"kf_quote_state": "consented", "kf_is_rework": rework, "state": "done"})
        form = self.env["kf.service.feedback"].sudo().create({"order_id": order.id})
        vals = {"state": "reviewed", "reviewed_on": reviewed_on} if review else {"state": "signed"}
        form.write({"signed_on": reviewed_on, **vals})
        return order

    def _reviewed_forms(self, user, count, reviewed_on):
        orders = self.Order.sudo().create(
            [
                {
                    "partner_id": self.customer.id,
                    "project_id": self.project.id,
                    "work_content": "Return visit",
                    "user_id": user.id,
                    "company_id": self.company.id,
                }
                for _index in range(count)
            ]
        )
        forms = self.env["kf.service.feedback"].sudo().create([{"order_id": order.id} for order in orders])
        forms.write({"state": "reviewed", "reviewed_on": reviewed_on})
        return forms

    # ------------------------------------------------------------------ repair labour
    def test_repair_labour_above_floor_less_tax(self):
        order = self._repair_order(datetime(2026, 5, 6, 9))
        self._repair_order(datetime(2026, 5, 6, 9), rework=True)
        self._repair_order(datetime(2026, 5, 6, 9), review=False)
        may = self._compute(self.month(2026, 5))
        line = self._lines(may[self.executor], "repair_labour")
        # (733.33 - 500) * 3 + (300 - 200) * 1 = 799.99; travel left out; less 6 % tax
        self.assertEqual(line.amount, 751.99)
        self.assertAlmostEqual(line.quantity, 799.99)
        self.assertEqual(line.res_ids, str(order.id), "reworks and unreviewed forms pay nothing")
        self.assertEqual(line.date_due, date(2026, 5, 6))
        june = self._compute(self.month(2026, 6))
        self.assertNotIn(self.executor, june, "paid once, by May")

    def test_sources_query_count_does_not_grow_with_employees(self):
        """Each source is a fixed number of grouped queries for the company."""
        Statement = self.env["kf.pay.statement"].sudo()
        sources = [
            "_kf_pay_items_maintenance",
            "_kf_pay_items_repair",
            "_kf_pay_items_year_feedback",
            "_kf_pay_items_year_new_customers",
            "_kf_pay_items_defect",
            "_kf_pay_items_spare_charges",
        ]

        def count_queries():
            period = KfPayPeriod(self.env, self.month(2026, 12), self.company)
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            items = [item for source in sources for item in getattr(Statement, source)(period)]
            return self.env.cr.sql_log_count - before, items

        self._repair_order(datetime(2026, 12, 2, 9))
        few, items = count_queries()
        self.assertEqual(len(items), 1)
        for login in ("pay_q1", "pay_q2", "pay_q3"):
            engineer = new_test_user(
                self.env,
                login,
                company_id=self.company.id,
                company_ids=[Command.set([self.company.id])],
            )
            self._repair_order(datetime(2026, 12, 3, 9)).write({"user_id": engineer.id})
        many, items = count_queries()
        self.assertEqual(len(items), 4)
        self.assertEqual(many, few)

    # ------------------------------------------------------------------ year-end: feedback forms
    def test_year_feedback_bonus_from_200_forms(self):
        self._reviewed_forms(self.specialist, 200, datetime(2026, 6, 1, 9))
        self._reviewed_forms(self.specialist2, 199, datetime(2026, 6, 1, 9))
        december = self._compute(self.month(2026, 12))
        line = self._lines(december[self.specialist], "bonus")
        self.assertEqual(line.amount, 500.0)
        self.assertEqual(line.date_due, date(2026, 12, 31))
        self.assertFalse(self._lines(december[self.specialist2], "bonus"), "199 forms are not enough")
        self.assertFalse(self._lines(self._compute(self.month(2026, 11))[self.specialist], "bonus"), "paid at year end")

    # ------------------------------------------------------------------ year-end: new maintenance customers
    def _new_customer_contracts(self, signer, receipts, start=date(2026, 2, 1)):
        """A maintenance contract per receipt (a new customer each), invoiced
        and paid that amount in June."""
        Partner = self.env["res.partner"].sudo()
        for index, paid in enumerate(receipts):
            customer = Partner.create({"name": f"{signer.name} customer {index}", "is_company": True})
            contract = (
                self.env["kf.service.contract"]
                .sudo()
                .with_company(self.company)
                .create(
                    {
                        "partner_id": customer.id,
                        "contract_type": "maintenance",
                        "date_start": start,
                        "date_end": date(2027, 1, 31),
                        "company_id": self.company.id,
                        "state": "running",
                        "kf_signer_id": signer.id,
                        "payment_line_ids": [Command.create({"date_due": date(2026, 6, 1), "amount": 50000.0})],
                    }
                )
            )
            line = contract.payment_line_ids
            with freeze_time("2026-06-10"):
                line._lock_for_invoicing()._create_invoices()
                wizard = (
                    self.env["account.payment.register"]
                    .with_company(self.company)
                    .with_context(active_model="account.move", active_ids=line.move_id.ids)
                    .create({"amount": paid, "payment_date": date(2026, 6, 10)})
                )
                wizard.payment_difference_handling = "open"
                wizard._create_payments()

    def test_year_new_customers_at_the_tier_boundaries(self):
        setup_test_accounting(self.env, self.company)
        third = new_test_user(
            self.env,
            "pay_specialist3",
            groups="kf_customer_service.group_kf_specialist",
            company_id=self.company.id,
            company_ids=[Command.set([self.company.id])],
        )
        self._new_customer_contracts(self.specialist, [1000.01] * 5)  # 5 customers: 2 %
        self._new_customer_contracts(self.specialist2, [1000.0] * 4)  # 4 customers, 4,000: nothing
        self._new_customer_contracts(self.manager, [50000.0])  # 50,000 received: 2 %
        self._new_customer_contracts(third, [49999.99])  # below 50,000: nothing
        december = self._compute(self.month(2026, 12))
        self.assertEqual(self._lines(december[self.specialist], "bonus").amount, 100.0, "2 % of 5,000.05")
        self.assertEqual(self._lines(december[self.manager], "bonus").amount, 1000.0)
        self.assertFalse(self._lines(december[self.specialist2], "bonus"))
        self.assertFalse(self._lines(december[third], "bonus"))

    # ------------------------------------------------------------------ product-defect reports
    def test_defect_report_confirmed_by_a_manager_not_its_reporter(self):
        Report = self.env["kf.product.defect.report"].with_company(self.company)
        report = Report.with_user(self.executor).create(
            {"name": "Detector loses its address", "description": "<p>After a power cut</p>"}
        )
        # precondition: the plain employee is the reporter the reward would pay
        self.assertEqual(report.user_id, self.executor)
        self.assertFalse(self.executor.has_group("kf_customer_service.group_kf_clerk"))
        report.with_user(self.executor).action_submit()
        with self.assertRaises(AccessError):
            report.with_user(self.executor).write({"state": "confirmed"})
        with self.assertRaises(AccessError):
            report.with_user(self.executor).action_confirm()
        with self.assertRaises(UserError):
            report.with_user(self.executor).write({"name": "Something else"})
        self.assertFalse(
            Report.with_user(self.specialist).search([("id", "=", report.id)]), "another employee's report"
        )
        own = Report.with_user(self.manager).create({"name": "Manager's own", "description": "<p>x</p>"})
        own.with_user(self.manager).action_submit()
        with self.assertRaises(AccessError):
            own.with_user(self.manager).action_confirm()
        with freeze_time("2026-04-10 03:00:00"):
            report.with_user(self.manager).action_confirm()
        self.assertEqual((report.state, report.confirmed_by_id), ("confirmed", self.manager))
        line = self._lines(self._compute(self.month(2026, 4))[self.executor], "reward")
        self.assertEqual(line.amount, 50.0)
        self.assertEqual(line.date_due, date(2026, 4, 10))
        with self.assertRaises(UserError):
            report.unlink()

    # ------------------------------------------------------------------ spare-part charges
    def test_spare_charge_deducted(self):
        if "kf.spare.part.charge" not in self.env:
            self.skipTest("kf_spare_parts is not installed")
        other = self.env["res.company"].create({"name": "Other pay company"})
        Charge = self.env["kf.spare.part.charge"].sudo()
        Charge.create(
            [
                {
                    "user_id": self.executor.id,
                    "company_id": self.company.id,
                    "amount": 123.45,
                    "date": date(2026, 5, 20),
                    "state": "confirmed",
                },
                {
                    "user_id": self.executor.id,
                    "company_id": self.company.id,
                    "amount": 99.0,
                    "date": date(2026, 5, 21),
                },
                {"user_id": self.executor.id, "company_id": other.id, "amount": 10.0, "date": date(2026, 5, 22)},
            ]
        )
        may = self._compute(self.month(2026, 5))
        line = self._lines(may[self.executor], "spare_charge")
        self.assertEqual(line.mapped("amount"), [-123.45], "draft charges and other companies are left out")
        self.assertEqual(may[self.executor].amount_deducted, 123.45)
