from psycopg2 import errors

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .common import KfCommon


@tagged("post_install", "-at_install")
class TestDunning(KfCommon):
    kf_accounting = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.activity_type = cls.env.ref("kf_customer_service.mail_activity_type_kf_dunning")
        cls.call_type = cls.env.ref("kf_customer_service.mail_activity_type_kf_dunning_call")
        with freeze_time("2026-03-01"):
            cls.contract = cls._create_contract(
                cls.customer_1,
                "2026-01-01",
                "2026-12-31",
                payment_line_ids=[
                    Command.create({"name": "Q1", "date_due": "2026-03-05", "amount": 3000}),
                    Command.create({"name": "Q2", "date_due": "2026-03-08", "amount": 3000}),
                    Command.create({"name": "Q3", "date_due": "2026-09-30", "amount": 3000}),
                ],
            )
            cls.orphan_contract = cls._create_contract(
                cls.customer_orphan,
                "2026-01-01",
                "2026-12-31",
                payment_line_ids=[
                    Command.create({"name": "Fee", "line_type": "emc_fee", "date_due": "2026-03-02", "amount": 500}),
                ],
            )
            cls.draft_contract = cls._create_contract(
                cls.customer_2,
                "2026-01-01",
                "2026-12-31",
                state="draft",
                payment_line_ids=[
                    Command.create({"name": "D1", "date_due": "2026-03-02", "amount": 100}),
                ],
            )
            cls.env.flush_all()
            cls.env["kf.contract.payment.line"]._cron_invoice_scan()
        cls.lines = {line.name: line for line in cls.contract.payment_line_ids}

    def _activities(self, contracts=None, activity_type=None):
        contracts = contracts or self.contract
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "kf.service.contract"),
                ("res_id", "in", contracts.ids),
                ("activity_type_id", "=", (activity_type or self.activity_type).id),
            ]
        )

    def _letters(self):
        return self.env["ir.attachment"].search(
            [("res_model", "=", "kf.service.contract"), ("res_id", "=", self.contract.id)]
        )

    def _scan(self):
        self.env["kf.contract.payment.line"]._cron_dunning_scan()
        self.env.invalidate_all()

    def test_invoicing_lead_days_and_idempotent(self):
        q1, q2, q3 = self.lines["Q1"], self.lines["Q2"], self.lines["Q3"]
        self.assertTrue(q1.move_id and q2.move_id, "due within the 15 lead days: invoiced")
        self.assertFalse(q3.move_id, "due in September: not yet")
        self.assertFalse(self.draft_contract.payment_line_ids.move_id, "draft contracts are not invoiced")
        self.assertEqual(q1.move_id.kf_payment_line_id, q1)
        self.assertEqual(q1.move_id.state, "posted")
        self.assertEqual(q1.move_id.amount_total, 3000)
        self.assertEqual(str(q1.move_id.invoice_date_due), "2026-03-05")
        self.assertEqual(q1.move_id.invoice_user_id, self.specialist_a)
        self.assertEqual(
            (q1.state, q1.amount_invoiced, q1.amount_paid, q1.amount_residual), ("invoiced", 3000, 0, 3000)
        )
        moves = self.env["account.move"].search([("kf_contract_id", "=", self.contract.id)])
        with freeze_time("2026-03-01"):
            self.env["kf.contract.payment.line"]._cron_invoice_scan()
            self.env["kf.contract.payment.line"]._cron_invoice_scan()
        self.assertEqual(self.env["account.move"].search([("kf_contract_id", "=", self.contract.id)]), moves)
        # the button of the specialist refuses a line invoiced already
        self.assertEqual(q1.contract_id.user_id, self.specialist_a)
        with self.assertRaisesRegex(UserError, "already invoiced"):
            q1.with_user(self.specialist_a).action_create_invoice()
        # the database refuses a second live invoice whatever the path
        with mute_logger("odoo.sql_db"), self.assertRaises(errors.UniqueViolation), self.env.cr.savepoint():
            self.env["account.move"].sudo().create(
                {"move_type": "out_invoice", "partner_id": self.customer_1.id, "kf_payment_line_id": q1.id}
            ).flush_recordset()

    def test_invoiced_line_is_frozen(self):
        q1, q3 = self.lines["Q1"], self.lines["Q3"]
        line = q1.with_user(self.specialist_a)
        self.assertTrue(line.has_access("write"))
        for vals in ({"amount": 9000}, {"date_due": "2026-04-01"}):
            with self.assertRaisesRegex(UserError, "is invoiced"):
                line.write(vals)
        with self.assertRaises(UserError):
            q3.with_user(self.specialist_a).write({"move_id": q1.move_id.id})
        accountant = new_test_user(
            self.env,
            "kf_accountant",
            groups="account.group_account_invoice,kf_customer_service.group_kf_manager",
            company_id=self.company.id,
            company_ids=[Command.set([self.company.id])],
        )
        with self.assertRaisesRegex(UserError, "never by hand"):
            q3.with_user(accountant).write({"move_id": q1.move_id.id})
        with self.assertRaisesRegex(UserError, "is invoiced"):
            line.unlink()
        # unchanged values and other fields are fine; an open line stays editable
        line.write({"amount": 3000, "note": "Called the accountant"})
        q3.with_user(self.specialist_a).write({"amount": 3500})

    @freeze_time("2026-03-01")
    def test_overpayment_and_credit_note(self):
        q1, q2 = self.lines["Q1"], self.lines["Q2"]
        self._pay(q1.move_id, 9000)
        self.assertEqual((q1.state, q1.amount_paid, q1.amount_residual), ("paid", 3000, 0))
        self.assertEqual(self.contract.amount_received, 3000, "an overpayment is the customer's credit, not paid")
        self._pay(q2.move_id, 1000)
        self.assertEqual((q2.state, q2.amount_paid, q2.amount_residual), ("partial", 1000, 2000))
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=q2.move_id.ids)
            .create({"journal_id": q2.move_id.journal_id.id, "reason": "discount"})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.invoice_line_ids.price_unit = 500
        refund.action_post()
        (refund.line_ids | q2.move_id.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        ).reconcile()
        self.assertEqual(refund.kf_contract_id, self.contract)
        self.assertEqual((q2.amount_invoiced, q2.amount_paid, q2.amount_residual), (2500, 1000, 1500))

    def test_dunning_ladder(self):
        q1, q2 = self.lines["Q1"], self.lines["Q2"]
        with freeze_time("2026-03-06"):
            self._scan()
            self.assertEqual(q1.state, "overdue")
            self.assertEqual(q1.days_overdue, 1)
            self.assertEqual(q2.state, "invoiced")
            self.assertEqual(self.contract.amount_overdue, 3000)
            activities = self._activities()
            self.assertEqual(len(activities), 1)
            self.assertEqual(activities.user_id, self.specialist_a)
            self.assertEqual(str(activities.date_deadline), "2026-03-06")
            self.assertIn(q1.move_id.name, activities.summary)
            self.assertEqual(q1.dunning_activity_id, activities)
            self.assertEqual(q1.dunning_step_id, self.env.ref("kf_customer_service.kf_dunning_step_reminder"))
            # same day again: nothing new
            self._scan()
            self.assertEqual(len(self._activities()), 1)
        with freeze_time("2026-03-10"):
            self._scan()
            self.assertEqual(len(self._activities()), 2, "Q2 fell due: one more reminder")
            self._scan()
            self.assertEqual(len(self._activities()), 2)
            self.assertFalse(self._activities(self.draft_contract), "draft contracts are not dunned")
            # Q1 is paid: its dunning ends and its activity is marked done
            self._pay(q1.move_id)
            self.assertEqual(q1.state, "paid")
            self._scan()
            self.assertFalse(q1.dunning_step_id)
            self.assertEqual(len(self._activities()), 1)
        with freeze_time("2026-03-23"):
            self._scan()
            calls = self._activities(activity_type=self.call_type)
            self.assertEqual(len(calls), 1, "15 days overdue: a phone call")
            self.assertEqual(calls.user_id, self.specialist_a)
            self.assertEqual(q2.days_overdue, 15)
            calls.action_feedback(feedback="Customer promises to pay on Friday")
            self.assertTrue(
                self.contract.message_ids.filtered(lambda m: "promises to pay" in (m.body or "")),
                "the call's outcome is logged on the contract",
            )
        with freeze_time("2026-04-07"):
            self._scan()
            letters = self._letters()
            self.assertEqual(len(letters), 1, "30 days overdue: a letter in the chatter")
            self.assertIn(q2.move_id.name, letters.name)
            self.assertEqual(q2.dunning_step_id, self.env.ref("kf_customer_service.kf_dunning_step_letter"))
            self._scan()
            self.assertEqual(len(self._letters()), 1)
        with freeze_time("2026-05-07"):
            self._scan()
            escalation = self._activities().filtered(lambda a: "Escalation" in a.summary)
            self.assertEqual(escalation.user_id, self.manager, "60 days overdue: the manager")
            self.assertEqual(q2.dunning_step_id, self.env.ref("kf_customer_service.kf_dunning_step_escalation"))

    def test_dunning_orphan_goes_to_manager(self):
        with freeze_time("2026-03-06"):
            self._scan()
            activity = self._activities(self.orphan_contract)
            self.assertEqual(len(activity), 1)
            self.assertEqual(activity.user_id, self.manager)
            self.assertIn(self.orphan_contract.payment_line_ids.move_id.name, activity.summary)

    def test_dunning_summary_in_recipient_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.specialist_a.lang = "zh_CN"
        with freeze_time("2026-03-06"):
            self._scan()
        activity = self._activities()
        self.assertEqual(activity.user_id, self.specialist_a)
        self.assertIn("逾期", activity.summary)

    def test_company_ladder_and_rules(self):
        company_b = self.env["res.company"].create({"name": "KF Company B"})
        Step = self.env["kf.dunning.step"]
        own = Step.create({"name": "B call", "days_overdue": 3, "action_type": "call", "company_id": company_b.id})
        self.assertEqual(Step.kf_ladder(company_b), own)
        self.assertEqual(
            Step.kf_ladder(self.company),
            Step.search([("company_id", "=", False)]),
            "without its own steps a company uses the default ladder",
        )
        clerk_a = new_test_user(
            self.env,
            "kf_clerk_ladder",
            groups="kf_customer_service.group_kf_clerk",
            company_id=self.company.id,
            company_ids=[Command.set([self.company.id])],
        )
        self.assertNotIn(own, Step.with_user(clerk_a).search([]), "company B's ladder is not visible in A")
        with self.assertRaises(UserError):
            Step.with_user(clerk_a).create({"name": "x", "days_overdue": 1})
