from datetime import date
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import KfPayCommon


@tagged("post_install", "-at_install")
class TestPayEngine(KfPayCommon):
    """The statement engine with a stand-in source: what falls due is paid
    once, leavers forfeit or hand over, approval locks, rules used by locked
    statements keep their values."""

    def _with_items(self, items):
        """Patch the sources to one returning ``items`` (dicts completed with defaults)."""
        full = [
            {
                "category": "reward",
                "name": "Test item",
                "quantity": 1.0,
                "rate": 0.0,
                "res_model": "res.users",
                "res_ids": [item["user_id"]],
                **item,
            }
            for item in items
        ]
        Statement = self.registry["kf.pay.statement"]
        return patch.multiple(
            Statement,
            _kf_pay_sources=lambda model: ["_kf_test_source"],
            _kf_test_source=lambda model, period: [dict(i) for i in full],
            create=True,
        )

    def test_item_paid_once_whichever_month(self):
        item = {"user_id": self.specialist.id, "amount": 120.0, "source_key": "t:1", "date_due": date(2026, 3, 15)}
        with self._with_items([item]):
            march = self._compute(self.month(2026, 3))
            self.assertEqual(march[self.specialist].amount_total, 120.0)
            # a recompute replaces the draft lines, it does not add
            march = self._compute(self.month(2026, 3))
            self.assertEqual(len(self._lines(march[self.specialist])), 1)
            april = self._compute(self.month(2026, 4))
            self.assertFalse(self._lines(april[self.specialist]), "paid by March already")
        # every department employee gets a statement, even an empty one
        self.assertIn(self.clerk, march)
        self.assertNotIn(self.director, march, "directors are not on the department's pay run")

    def test_item_of_a_locked_month_is_paid_by_the_next(self):
        """Pay that became known after its month was reviewed is not lost."""
        self._compute(self.month(2026, 3))[self.specialist].with_user(self.manager).action_review()
        item = {"user_id": self.specialist.id, "amount": 80.0, "source_key": "t:late", "date_due": date(2026, 3, 20)}
        with self._with_items([item]):
            march = self._compute(self.month(2026, 3))
            self.assertFalse(self._lines(march[self.specialist]), "a reviewed statement is not recomputed")
            april = self._compute(self.month(2026, 4))
        self.assertEqual(april[self.specialist].amount_total, 80.0)

    def test_pay_tables_director_only(self):
        """The rule tables, the penalty catalogue and the leavers move pay:
        a KF manager reads them, only a director changes them, and nobody
        names themselves a leaver's successor."""
        self.assertTrue(self.manager.has_group("kf_customer_service.group_kf_manager"))
        self.assertFalse(self.manager.has_group("kf_customer_service.group_kf_director"))
        rule = self.env.ref("kf_performance_pay.kf_pay_rule_clerk_percent")
        penalty_type = self.env["kf.pay.penalty.type"].search([], limit=1)
        self.assertTrue(rule.with_user(self.manager).value)
        with self.assertRaises(AccessError):
            rule.with_user(self.manager).write({"date_to": date(2030, 12, 31)})
        with self.assertRaises(AccessError):
            self.Rule.with_user(self.manager).create(
                {"key": "clerk_percent", "value": 9.0, "date_from": date(2031, 1, 1)}
            )
        with self.assertRaises(AccessError):
            penalty_type.with_user(self.manager).write({"name": "changed"})
        leaver_vals = {"user_id": self.specialist.id, "company_id": self.company.id, "date_left": date(2026, 3, 10)}
        Leaver = self.env["kf.pay.leaver"]
        with self.assertRaises(AccessError):
            Leaver.with_user(self.manager).create(dict(leaver_vals, successor_id=self.manager.id))
        with self.assertRaises(ValidationError):
            Leaver.with_user(self.director).create(dict(leaver_vals, successor_id=self.director.id))
        leaver = Leaver.with_user(self.director).create(dict(leaver_vals, successor_id=self.specialist2.id))
        with self.assertRaises(ValidationError):
            leaver.with_user(self.director).write({"successor_id": self.director.id})
        with self.assertRaises(AccessError):
            leaver.with_user(self.manager).write({"successor_id": self.manager.id})
        self.assertEqual(leaver.successor_id, self.specialist2)

    def test_leaver_forfeits_or_hands_over(self):
        self.env["kf.pay.leaver"].create(
            {
                "user_id": self.specialist.id,
                "company_id": self.company.id,
                "date_left": date(2026, 3, 10),
                "successor_id": self.specialist2.id,
            }
        )
        items = [
            {"user_id": self.specialist.id, "amount": 10.0, "source_key": "t:before", "date_due": date(2026, 3, 9)},
            {"user_id": self.specialist.id, "amount": 20.0, "source_key": "t:after", "date_due": date(2026, 3, 11)},
            {
                "user_id": self.specialist.id,
                "amount": 30.0,
                "source_key": "t:handover",
                "date_due": date(2026, 3, 12),
                "transferable": True,
            },
        ]
        with self._with_items(items):
            march = self._compute(self.month(2026, 3))
        self.assertEqual(march[self.specialist].amount_total, 10.0, "what fell due after leaving is forfeited")
        handed = self._lines(march[self.specialist2])
        self.assertEqual(handed.mapped("amount"), [30.0])
        self.assertEqual(handed.transferred_from_id, self.specialist)

    def test_review_and_approval_lock_the_statement(self):
        item = {"user_id": self.specialist.id, "amount": 50.0, "source_key": "t:2", "date_due": date(2026, 3, 1)}
        with self._with_items([item]):
            statements = self._compute(self.month(2026, 3))
        statement, own = statements[self.specialist], statements[self.manager]
        # the employee is the one the statement pays: they read it, they do not change it
        self.assertEqual(statement.with_user(self.specialist).read(["amount_total"])[0]["amount_total"], 50.0)
        with self.assertRaises(UserError):
            statement.with_user(self.specialist).write({"state": "approved"})
        with self.assertRaises(AccessError):
            statement.line_ids.with_user(self.specialist).write({"amount": 5000.0})
        with self.assertRaises(AccessError):
            statement.with_user(self.specialist).action_review()
        with self.assertRaises(AccessError):
            own.with_user(self.manager).action_review()
        statement.with_user(self.manager).action_review()
        with self.assertRaises(AccessError):
            statement.with_user(self.manager).action_approve()
        statement.with_user(self.director).action_approve()
        self.assertEqual(statement.state, "approved")
        with self.assertRaises(UserError):
            statement.with_user(self.manager).write({"note": "changed"})
        with self.assertRaises(UserError):
            statement.with_user(self.manager).action_reset_draft()
        with self.assertRaises(UserError):
            statement.with_user(self.manager).unlink()
        other = {"user_id": self.specialist.id, "amount": 999.0, "source_key": "t:3", "date_due": date(2026, 3, 2)}
        with self._with_items([item, other]):
            self._compute(self.month(2026, 3))
        self.assertEqual(statement.amount_total, 50.0, "an approved statement is never recomputed")

    def test_employee_sees_only_own_statements(self):
        statements = self._compute(self.month(2026, 3))
        self.assertEqual(
            self.Statement.with_user(self.specialist).search([]), statements[self.specialist], "own statement only"
        )
        with self.assertRaises(AccessError):
            statements[self.specialist2].with_user(self.specialist).read(["amount_total"])
        with self.assertRaises(AccessError):
            self.Statement.with_user(self.specialist).compute_month(self.month(2026, 3), self.company)

    def test_rule_used_by_an_approved_statement_keeps_its_value(self):
        rule = self.env.ref("kf_performance_pay.kf_pay_rule_clerk_percent")
        statement = self._compute(self.month(2026, 3))[self.specialist]
        statement.with_user(self.manager).action_review()
        statement.with_user(self.director).action_approve()
        with self.assertRaises(UserError):
            rule.with_user(self.director).write({"value": 7.0})
        with self.assertRaises(UserError):
            rule.with_user(self.director).write({"date_to": date(2026, 2, 28)})
        # the way to change a figure: end the rule after the locked month, add a new one
        rule.with_user(self.director).write({"date_to": date(2026, 3, 31)})
        new = self.Rule.with_user(self.director).create(
            {"key": "clerk_percent", "value": 7.0, "date_from": date(2026, 4, 1)}
        )
        rules = self.Rule.kf_rule_set(self.company)
        self.assertEqual(rules.value("clerk_percent", date(2026, 3, 31)), 5.0)
        self.assertEqual(rules.value("clerk_percent", date(2026, 4, 1)), 7.0)
        with self.assertRaises(ValidationError):
            self.Rule.with_user(self.director).create(
                {"key": "clerk_percent", "value": 8.0, "date_from": date(2026, 5, 1)}
            )
        with self.assertRaises(AccessError):
            new.with_user(self.specialist).write({"value": 50.0})

    def test_tier_lookup(self):
        rules = self.Rule.kf_rule_set(self.company)
        day = date(2026, 3, 1)
        self.assertEqual(rules.tier("commission_rate", 390, day, "local").value, 0.2)
        self.assertEqual(rules.tier("commission_rate", 510, day, "local").value, 0.1)
        self.assertEqual(rules.tier("commission_rate", 3825, day, "outside").value, 0.45)
        self.assertEqual(rules.tier("commission_rate", 4080, day, "outside").value, 0.35)
        self.assertEqual(rules.tier("volume_percent", 1999, day).value, 50)
        self.assertEqual(rules.tier("volume_percent", 7001, day).value, 150)
        self.assertIsNone(rules.tier("year_points_bonus", 29999, day))
        # a company's own row wins over the shared one
        self.Rule.create(
            {"key": "alarm_points", "value": 100, "date_from": date(2025, 1, 1), "company_id": self.company.id}
        )
        self.assertEqual(self.Rule.kf_rule_set(self.company).value("alarm_points", day), 100)

    def test_pay_before_the_start_date_is_left_out(self):
        """A company moving to Odoo in April paid March by hand: the first
        statement must not pay March again."""
        self.company.kf_pay_date_start = date(2026, 4, 1)
        items = [
            {"user_id": self.specialist.id, "amount": 70.0, "source_key": "t:march", "date_due": date(2026, 3, 31)},
            {"user_id": self.specialist.id, "amount": 30.0, "source_key": "t:april", "date_due": date(2026, 4, 1)},
        ]
        with self._with_items(items):
            april = self._compute(self.month(2026, 4))
        self.assertEqual(april[self.specialist].amount_total, 30.0)
