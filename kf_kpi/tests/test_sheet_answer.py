from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

MANAGER = "kf_customer_service.group_kf_manager"
DIRECTOR = "kf_customer_service.group_kf_director"


@tagged("post_install", "-at_install")
class TestSheetAnswer(TransactionCase):
    """The appraised employee acknowledges their approved sheet or appeals it
    with a comment; nobody else answers for them, and nobody (themselves
    included) changes the figures or the answer with a plain write."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "KF Sheet Answer Co"})
        vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        cls.clerk = new_test_user(cls.env, "ksa_clerk", groups="kf_customer_service.group_kf_clerk", **vals)
        cls.other_clerk = new_test_user(cls.env, "ksa_clerk2", groups="kf_customer_service.group_kf_clerk", **vals)
        cls.manager = new_test_user(cls.env, "ksa_manager", groups=MANAGER, **vals)
        cls.director = new_test_user(cls.env, "ksa_director", groups=DIRECTOR, **vals)
        with freeze_time("2025-04-02 06:00:00"):
            sheets = cls.env["kf.kpi.sheet"].compute_month(date(2025, 3, 1), cls.company)
        cls.sheet = sheets.filtered(lambda s: s.user_id == cls.clerk)
        cls.department = sheets.filtered(lambda s: s.scope == "department")

    def _approve(self):
        self.sheet.with_user(self.manager).action_approve()
        self.assertEqual(self.sheet.ack_state, "pending")

    def test_employee_acknowledges_own_approved_sheet(self):
        self.assertEqual(self.sheet.user_id, self.clerk)
        self.assertFalse(self.clerk.has_group(MANAGER))
        with self.assertRaises(UserError):  # not approved yet
            self.sheet.with_user(self.clerk).action_acknowledge()
        self._approve()
        self.assertTrue(
            self.sheet.activity_ids.filtered(lambda act: act.user_id == self.clerk),
            "the employee is asked to answer",
        )
        self.sheet.with_user(self.clerk).action_acknowledge()
        self.assertEqual(self.sheet.ack_state, "acknowledged")
        self.assertTrue(self.sheet.ack_date)
        self.assertFalse(self.sheet.activity_ids.filtered(lambda act: act.user_id == self.clerk))
        with self.assertRaises(UserError):  # once
            self.sheet.with_user(self.clerk).action_appeal("Too late")
        self.assertFalse(self.department.ack_state, "the department's sheet has nobody to answer")

    def test_nobody_answers_for_the_employee(self):
        self._approve()
        for user in (self.manager, self.director):
            with self.assertRaises(AccessError):
                self.sheet.with_user(user).action_acknowledge()
        with self.assertRaises(AccessError):  # cannot even read another clerk's sheet
            self.sheet.with_user(self.other_clerk).action_acknowledge()
        self.assertEqual(self.sheet.ack_state, "pending")

    def test_plain_writes_are_refused(self):
        self._approve()
        # an approved sheet is frozen for everybody, the employee included
        for user in (self.clerk, self.manager):
            with self.assertRaises(UserError):
                self.sheet.with_user(user).write({"ack_state": "acknowledged"})
            with self.assertRaises(UserError):
                self.sheet.with_user(user).write({"total_score": 100.0})
        with self.assertRaises(AccessError):
            self.sheet.line_ids[:1].with_user(self.clerk).write({"actual": 1.0})
        self.assertEqual(self.sheet.ack_state, "pending")

    def test_appeal_needs_a_comment_and_notifies_the_approver(self):
        self._approve()
        with self.assertRaises(UserError):
            self.sheet.with_user(self.clerk).action_appeal("  ")
        wizard = (
            self.env["kf.kpi.sheet.appeal"]
            .with_user(self.clerk)
            .create({"sheet_id": self.sheet.id, "comment": "The complaint of 12 March was not mine."})
        )
        wizard.action_appeal()
        self.assertEqual(self.sheet.ack_state, "appealed")
        self.assertEqual(self.sheet.appeal_comment, "The complaint of 12 March was not mine.")
        self.assertTrue(self.sheet.activity_ids.filtered(lambda act: act.user_id == self.manager))
        self.assertIn("not mine", self.sheet.message_ids[0].body)
        self.assertEqual(self.sheet.state, "approved", "the figures stay frozen")

    def test_reopen_clears_the_answer(self):
        self._approve()
        self.sheet.with_user(self.clerk).action_appeal("Wrong figure")
        with self.assertRaises(AccessError):
            self.sheet.with_user(self.manager).action_reopen("Appeal upheld")
        self.sheet.with_user(self.director).action_reopen("Appeal upheld")
        self.assertEqual((self.sheet.state, self.sheet.ack_state), ("draft", False))
        self.assertEqual(self.sheet.appeal_comment, "Wrong figure", "the appeal stays on record")

    def test_sheet_prints(self):
        self._approve()
        html, _type = self.env["ir.actions.report"]._render_qweb_html("kf_kpi.report_kf_kpi_sheet", self.sheet.ids)
        html = html.decode()
        self.assertIn("Monthly Appraisal Sheet", html)
        self.assertIn(self.clerk.name, html)
