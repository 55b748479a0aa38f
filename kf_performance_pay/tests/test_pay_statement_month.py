import base64
from datetime import date, datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged

from odoo.addons.kf_customer_service.tests.common import setup_test_accounting

from .common import KfPayCommon


@tagged("post_install", "-at_install")
class TestPayStatementMonth(KfPayCommon):
    """Every pay source together on one company: November 2026 and the year
    end, each statement checked to the cent against figures worked out by
    hand from the shipped rules (the test company counts 3 reviewed forms
    for the year-end feedback bonus instead of 200).

    November 2026, people: specialist (S1), second specialist (S2), the
    pay clerk (C), the engineer (E, a plain employee), the manager (M).

    Commissioning (orders dispatched, done and closed in November, call-back
    ten days after; documents due within 3 days):
      A  S1 local    400 pts  docs +1 day  local < 510: 0.20
      B  S1 outside 3000 pts  docs +1 day  outside 510…4080: 0.45
      D  S1 local    100 pts  docs +6 days (late: never paid), no call-back
      C  S2 county   600 pts  docs +1 day  county: 0.30
      Volumes: S1 3500 → 100 %, S2 600 → 50 %; both ≥ 510: no deduction.
      80 % in November: A 400 x 0.2 x 0.8 = 64.00; B 3000 x 0.45 x 0.8 =
      1,080.00; C 600 x 0.3 x 50 % x 0.8 = 72.00.
      Clerk 5 %: S1 1,144.00 → -57.20; S2 72.00 → -3.60; C +60.80.
    Maintenance:
      M1 (S2 signs, 61,234.56, invoiced and paid in full on 16 Nov): 15 % =
      9,185.184 → 9,185.18 to S2. Period runs into 2027: no executors' share.
      M2 (S1 signs, 6,543.21, period May-October 2026, paid on 5 Nov; three
      planned visits: E twice, S2 once, forms reviewed on 6 Nov): 15 % =
      981.4815 → 981.48 to S1; 10 % = 654.32 split 2/3 = 436.21 to E, the
      rest 218.11 to S2.
    Repair (E, consented quote, form reviewed 12 Nov): labour 2 x (650.50 -
      500) = 301.00, part 3 x (245.55 - 200) = 136.65, travel left out:
      437.65 less 6 % = 411.391 → 411.39.
    Penalty: complaint against E on 18 Nov, first occurrence: -100.00.
    Defect report by S2 confirmed on 25 Nov: +50.00.
    Spare-part charge (with kf_spare_parts): E, 26 Nov, -88.88.

    Totals November:
      S1  64.00 + 1,080.00 - 57.20 + 981.48                 = 2,068.28
      S2  72.00 - 3.60 + 9,185.18 + 218.11 + 50.00          = 9,521.69
      C   60.80
      E   436.21 + 411.39 - 100.00 (- 88.88)                = 747.60 (658.72)
      M   nothing.

    December 2026 (nothing new in the month):
      20 % balances due 31 Dec (accepted in November): A 16.00, B 270.00,
      C 18.00; clerk 5 %: S1 286.00 → -14.30, S2 -0.90, C +15.20.
      Year end: S2's new maintenance customer M1 received 61,234.56 in the
      year (50,000…100,000: 2 %) → 1,224.6912 → 1,224.69; S1's M2 (6,543.21)
      earns nothing. E has 3 reviewed forms in 2026 (two M2 visits, the
      repair): 500.00; S1 and S2 have 2 each.
      S1 16.00 + 270.00 - 14.30 = 271.70; S2 18.00 - 0.90 + 1,224.69 =
      1,241.79; C 15.20; E 500.00.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_test_accounting(cls.env, cls.company)
        cls.company.kf_pay_clerk_id = cls.clerk
        cls.has_spare_parts = "kf.spare.part.charge" in cls.env
        cls.certificate = cls.env["ir.attachment"].create({"name": "cert.pdf", "raw": b"%PDF-1.4"})
        cls.Rule.create(
            {"key": "year_feedback_count", "value": 3, "date_from": date(2025, 3, 1), "company_id": cls.company.id}
        )
        Price = cls.env["kf.service.price"].sudo()
        cls.labour = Price.create(
            {"name": "Month labour", "item_type": "labour", "list_price": 800.0, "floor_price": 500.0}
        )
        cls.part = Price.create({"name": "Month part", "item_type": "part", "list_price": 300.0, "floor_price": 200.0})
        cls.travel = Price.create(
            {"name": "Month travel", "item_type": "travel", "list_price": 150.0, "floor_price": 0.0}
        )
        cls._commissioning()
        cls._maintenance()
        cls._repair()
        cls._penalty_defect_charge()

    # ------------------------------------------------------------------ data
    @classmethod
    def _order(cls, user, zone, points, docs_days, callback=True):
        """A commissioning order dispatched on 2 Nov, done on 10 Nov, accepted
        on 11 Nov, its documents handed in ``docs_days`` after, called back
        (reached, confirmed) on 20 Nov."""
        project = cls.env["project.project"].create(
            {
                "name": f"Site {zone} {points}",
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "kf_pay_zone": zone,
            }
        )
        order = cls._create_order(
            kf_order_type="commissioning", user_id=user.id, project_id=project.id, point_count=points
        )
        done = datetime(2026, 11, 10, 1)  # 09:00 in Shanghai
        order.sudo().write(
            {
                "state": "closed",
                "date_dispatched": datetime(2026, 11, 2, 1),
                "date_done": done,
                "date_closed": done + timedelta(hours=6),
                "certificate_attachment_ids": [Command.link(cls.certificate.id)],
                "certificate_date": done.date(),
            }
        )
        order.sudo().kf_acceptance_date = date(2026, 11, 11)
        stamp = done + timedelta(days=docs_days)
        order.sudo().write({"kf_doc_settlement_on": stamp, "kf_doc_archive_on": stamp, "kf_doc_survey_on": stamp})
        if not callback:
            return order
        when = datetime(2026, 11, 20, 2)
        form = (
            cls.env["kf.service.feedback"]
            .sudo()
            .create({"order_id": order.id, "service_type": "commissioning", "work_done": "Programmed", "result": "OK"})
        )
        form.write({"state": "reviewed", "reviewed_on": when})
        cls.env["kf.service.callback"].sudo().create({"feedback_id": form.id, "outcome": "confirmed", "date": when})
        return order

    @classmethod
    def _commissioning(cls):
        cls.order_a = cls._order(cls.specialist, "local", 400, 1)
        cls.order_b = cls._order(cls.specialist, "outside", 3000, 1)
        cls.order_d = cls._order(cls.specialist, "local", 100, 6, callback=False)
        cls.order_c = cls._order(cls.specialist2, "county", 600, 1)

    @classmethod
    def _contract(cls, partner, signer, amount, date_start, date_end, paid_on):
        contract = (
            cls.env["kf.service.contract"]
            .sudo()
            .with_company(cls.company)
            .create(
                {
                    "partner_id": partner.id,
                    "contract_type": "maintenance",
                    "date_start": date_start,
                    "date_end": date_end,
                    "amount": amount,
                    "company_id": cls.company.id,
                    "project_id": cls.project.id,
                    "state": "running",
                    "kf_signer_id": signer.id,
                    "payment_line_ids": [Command.create({"name": "Fee", "date_due": paid_on, "amount": amount})],
                }
            )
        )
        line = contract.payment_line_ids
        with freeze_time(paid_on):
            line._lock_for_invoicing()._create_invoices()
            cls.env["account.payment.register"].with_company(cls.company).with_context(
                active_model="account.move", active_ids=line.move_id.ids
            ).create({"payment_date": paid_on})._create_payments()
        return contract

    @classmethod
    def _maintenance(cls):
        new_customer = cls.env["res.partner"].create({"name": "New maintenance customer", "is_company": True})
        cls.m1 = cls._contract(
            new_customer, cls.specialist2, 61234.56, date(2026, 10, 1), date(2027, 9, 30), date(2026, 11, 16)
        )
        cls.m2 = cls._contract(
            cls.customer, cls.specialist, 6543.21, date(2026, 5, 1), date(2026, 10, 31), date(2026, 11, 5)
        )
        plan = cls.env["kf.maintenance.plan"].sudo().create({"contract_id": cls.m2.id})
        orders = cls.Order.sudo().create(
            [
                {
                    "partner_id": cls.customer.id,
                    "project_id": cls.project.id,
                    "work_content": f"Quarterly test {index}",
                    "user_id": user.id,
                    "company_id": cls.company.id,
                    "kf_order_type": "maintenance",
                    "maintenance_plan_id": plan.id,
                }
                for index, user in enumerate((cls.executor, cls.executor, cls.specialist2))
            ]
        )
        orders.write({"state": "done", "date_done": datetime(2026, 10, 20, 1)})
        forms = (
            cls.env["kf.service.feedback"]
            .sudo()
            .create([{"order_id": order.id, "service_type": "maintenance"} for order in orders])
        )
        forms.write(
            {"state": "reviewed", "signed_on": datetime(2026, 10, 20, 4), "reviewed_on": datetime(2026, 11, 6, 2)}
        )

    @classmethod
    def _repair(cls):
        order = cls._create_order(kf_order_type="repair").sudo()
        order.kf_quote_line_ids = [
            Command.create({"price_id": cls.labour.id, "quantity": 2.0, "price_unit": 650.50}),
            Command.create({"price_id": cls.part.id, "quantity": 3.0, "price_unit": 245.55}),
            Command.create({"price_id": cls.travel.id, "quantity": 1.0, "price_unit": 150.0}),
        ]
        order.write({"kf_quote_state": "consented", "state": "done"})
        form = cls.env["kf.service.feedback"].sudo().create({"order_id": order.id})
        form.write(
            {"state": "reviewed", "signed_on": datetime(2026, 11, 12, 2), "reviewed_on": datetime(2026, 11, 12, 2)}
        )
        cls.repair_order = order

    @classmethod
    def _penalty_defect_charge(cls):
        evidence = [Command.create({"name": "evidence.txt", "datas": base64.b64encode(b"complaint letter")})]
        cls.penalty = (
            cls.env["kf.pay.penalty"]
            .with_company(cls.company)
            .with_user(cls.manager)
            .create(
                {
                    "type_id": cls.env.ref("kf_performance_pay.kf_pay_penalty_type_complaint").id,
                    "user_id": cls.executor.id,
                    "company_id": cls.company.id,
                    "date": date(2026, 11, 18),
                    "description": "Customer complaint",
                    "evidence_attachment_ids": evidence,
                }
            )
        )
        cls.penalty.with_user(cls.manager).action_confirm()
        report = (
            cls.env["kf.product.defect.report"]
            .with_company(cls.company)
            .with_user(cls.specialist2)
            .create({"name": "Module reboots", "description": "<p>After a power cut</p>"})
        )
        report.with_user(cls.specialist2).action_submit()
        with freeze_time("2026-11-25 03:00:00"):
            report.with_user(cls.manager).action_confirm()
        cls.defect = report
        if cls.has_spare_parts:
            cls.env["kf.spare.part.charge"].sudo().create(
                {
                    "user_id": cls.executor.id,
                    "company_id": cls.company.id,
                    "amount": 88.88,
                    "date": date(2026, 11, 26),
                    "state": "confirmed",
                }
            )

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _snapshot(statement):
        """(category, amount) of each line, sorted: what the statement pays."""
        return sorted((line.category, line.amount) for line in statement.line_ids)

    def _assert_statement(self, statement, lines, total):
        self.assertEqual(self._snapshot(statement), sorted(lines), statement.name)
        self.assertEqual(statement.currency_id.compare_amounts(statement.amount_total, total), 0, statement.name)
        self.assertEqual(statement.amount_total, total, statement.name)

    # ------------------------------------------------------------------ test
    def test_month_and_year_end_to_the_cent(self):
        # preconditions: who is who
        self.assertEqual(self.company.kf_pay_clerk_id, self.clerk)
        self.assertFalse(self.executor.has_group("kf_customer_service.group_kf_specialist"))
        self.assertEqual((self.order_a.kf_pay_points, self.order_b.kf_pay_zone), (400, "outside"))
        self.assertEqual(self.order_c.kf_pay_callback_date, date(2026, 11, 20))
        self.assertEqual((self.m1.amount_received, self.m2.amount_received), (61234.56, 6543.21))
        self.assertEqual((self.penalty.state, self.penalty.amount), ("confirmed", 100.0))
        self.assertEqual(self.defect.state, "confirmed")

        november = self._compute(self.month(2026, 11))
        spare = [("spare_charge", -88.88)] if self.has_spare_parts else []
        expected = {
            self.specialist: (
                [
                    ("commissioning", 64.0),
                    ("commissioning", 1080.0),
                    ("clerk_share", -57.2),
                    ("maintenance_signer", 981.48),
                ],
                2068.28,
            ),
            self.specialist2: (
                [
                    ("commissioning", 72.0),
                    ("clerk_share", -3.6),
                    ("maintenance_signer", 9185.18),
                    ("maintenance_executor", 218.11),
                    ("reward", 50.0),
                ],
                9521.69,
            ),
            self.clerk: ([("clerk_share", 60.8)], 60.8),
            self.executor: (
                [("maintenance_executor", 436.21), ("repair_labour", 411.39), ("penalty", -100.0), *spare],
                658.72 if spare else 747.6,
            ),
            self.manager: ([], 0.0),
        }
        self.assertEqual(set(november), set(expected), "one statement per department employee and beneficiary")
        for user, (lines, total) in expected.items():
            self._assert_statement(november[user], lines, total)
        self.env.invalidate_all()
        self.assertEqual(self.order_d.kf_pay_status, "late_documents")

        # a recompute of the draft month changes nothing
        before = {user: self._snapshot(statement) for user, statement in november.items()}
        again = self._compute(self.month(2026, 11))
        self.assertEqual({user: self._snapshot(s) for user, s in again.items()}, before)

        # the employee cannot touch their statement; the manager reviews, the director approves
        mine = november[self.specialist]
        with self.assertRaises(UserError):
            mine.with_user(self.specialist).write({"state": "approved"})
        with self.assertRaises(AccessError):
            mine.with_user(self.specialist).action_review()
        others = self.Statement.browse([s.id for u, s in november.items() if u != self.manager])
        others.with_user(self.manager).action_review()
        with self.assertRaises(AccessError):
            november[self.manager].with_user(self.manager).action_review()
        others.with_user(self.director).action_approve()
        self.assertEqual(set(others.mapped("state")), {"approved"})

        # recomputed after the approval: unchanged, nothing paid twice
        again = self._compute(self.month(2026, 11))
        self.assertEqual({user: self._snapshot(s) for user, s in again.items()}, before)
        self.assertEqual(again[self.specialist2].amount_total, 9521.69)

        december = self._compute(self.month(2026, 12))
        expected = {
            self.specialist: (
                [("commissioning_final", 16.0), ("commissioning_final", 270.0), ("clerk_share", -14.3)],
                271.7,
            ),
            self.specialist2: (
                [("commissioning_final", 18.0), ("clerk_share", -0.9), ("bonus", 1224.69)],
                1241.79,
            ),
            self.clerk: ([("clerk_share", 15.2)], 15.2),
            self.executor: ([("bonus", 500.0)], 500.0),
            self.manager: ([], 0.0),
        }
        self.assertEqual(set(december), set(expected))
        for user, (lines, total) in expected.items():
            self._assert_statement(december[user], lines, total)
        balances = self._lines(december[self.specialist], "commissioning_final")
        self.assertEqual(set(balances.mapped("date_due")), {date(2026, 12, 31)})
        self.env.invalidate_all()
        self.assertEqual(self.order_a.kf_pay_status, "balance_paid")
