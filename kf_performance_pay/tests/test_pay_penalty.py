import base64
from datetime import date, datetime

from psycopg2.errors import UniqueViolation

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.kf_performance_pay.models.kf_pay_statement import KfPayPeriod

from .common import KfPayCommon

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@tagged("post_install", "-at_install")
class TestPayPenalty(KfPayCommon):
    """Penalties: escalation over the type's window, confirmation with
    evidence by a manager who is not the penalised person, the employee's
    comment, daily proposals and the deduction on the pay statement."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Penalty = cls.env["kf.pay.penalty"].with_company(cls.company)
        cls.t_complaint = cls.env.ref("kf_performance_pay.kf_pay_penalty_type_complaint")
        cls.t_blank = cls.env.ref("kf_performance_pay.kf_pay_penalty_type_blank_signature")
        cls.t_lateness = cls.env.ref("kf_performance_pay.kf_pay_penalty_type_lateness")
        cls.t_fees = cls.env.ref("kf_performance_pay.kf_pay_penalty_type_fees_not_handed_in")

    def _evidence(self):
        return [Command.create({"name": "evidence.txt", "datas": base64.b64encode(b"photo of the form")})]

    def _penalty(self, ptype, day, user=None, evidence=True, **vals):
        values = {
            "type_id": ptype.id,
            "user_id": (user or self.specialist).id,
            "company_id": self.company.id,
            "date": day,
            "description": "Seen on site",
            **vals,
        }
        if evidence:
            values["evidence_attachment_ids"] = self._evidence()
        return self.Penalty.with_user(self.manager).create(values)

    def _confirmed(self, ptype, day, user=None, **vals):
        penalty = self._penalty(ptype, day, user=user, **vals)
        penalty.with_user(self.manager).action_confirm()
        return penalty

    def test_complaint_escalates_to_dismissal_in_the_year(self):
        first = self._confirmed(self.t_complaint, date(2026, 1, 5))
        self.assertEqual((first.occurrence, first.amount, first.dismissal_flag), (1, 100.0, False))
        for day in range(2, 6):
            self._confirmed(self.t_complaint, date(2026, 2, day))
        sixth = self._confirmed(self.t_complaint, date(2026, 3, 2))
        self.assertEqual((sixth.occurrence, sixth.amount, sixth.dismissal_flag), (6, 100.0, True))
        # a new year starts counting again; another employee counts apart
        self.assertEqual(self._confirmed(self.t_complaint, date(2027, 1, 4)).occurrence, 1)
        self.assertEqual(self._confirmed(self.t_complaint, date(2026, 3, 2), user=self.clerk).occurrence, 1)

    def test_blank_form_signature_second_time_is_dismissal(self):
        first = self._confirmed(self.t_blank, date(2025, 6, 1))
        self.assertEqual((first.amount, first.dismissal_flag), (500.0, False))
        second = self._confirmed(self.t_blank, date(2026, 6, 1))
        self.assertEqual((second.occurrence, second.amount, second.dismissal_flag), (2, 0.0, True))
        # a cancelled penalty does not count
        third = self._penalty(self.t_blank, date(2026, 7, 1))
        second.with_user(self.manager).action_cancel("Signature was the customer's after all")
        third.with_user(self.manager).action_confirm()
        self.assertEqual(third.occurrence, 2)

    def test_lateness_in_the_month_and_manual_amount(self):
        amounts = [self._confirmed(self.t_lateness, date(2026, 3, d)).amount for d in range(2, 9)]
        self.assertEqual(amounts, [5.0] * 3 + [20.0] * 4)
        # the eighth's step has no figure: refused until the manager enters it
        eighth = self._penalty(self.t_lateness, date(2026, 3, 20))
        with self.assertRaisesRegex(UserError, "enter the amount"):
            eighth.with_user(self.manager).action_confirm()
        self.assertEqual(eighth.state, "proposed")
        eighth.with_user(self.manager).amount = 1500.0
        eighth.with_user(self.manager).action_confirm()
        self.assertEqual((eighth.occurrence, eighth.amount), (8, 1500.0))
        self.assertFalse(eighth.dismissal_flag, "first month over the limit")
        # a new month counts again from 5
        self.assertEqual(self._confirmed(self.t_lateness, date(2026, 4, 1)).amount, 5.0)
        for day in range(2, 9):
            april = self._confirmed(self.t_lateness, date(2026, 4, day), amount=1500.0)
        self.assertEqual(april.occurrence, 8)
        self.assertTrue(april.dismissal_flag, "two months in a row over the limit")

    def test_confirmation_needs_evidence(self):
        penalty = self._penalty(self.t_complaint, date(2026, 3, 2), evidence=False)
        with self.assertRaisesRegex(UserError, "evidence"):
            penalty.with_user(self.manager).action_confirm()
        self.assertEqual(penalty.state, "proposed")
        # not even the system confirms without evidence
        with self.assertRaises(ValidationError):
            penalty.sudo().write({"state": "confirmed"})

    def test_employee_comments_but_cannot_change_the_penalty(self):
        penalty = self._confirmed(self.t_complaint, date(2026, 3, 2))
        mine = penalty.with_user(self.specialist)
        self.assertEqual(mine.user_id, self.specialist, "the penalised employee")
        self.assertFalse(self.specialist.has_group("kf_customer_service.group_kf_manager"))
        self.assertTrue(mine.has_access("read"))
        activity = penalty.activity_ids.filtered(lambda a: a.user_id == self.specialist)
        self.assertEqual(len(activity), 1, "the employee is told")
        self.assertIn("100", activity.note)
        mine.write({"employee_comment": "The customer withdrew the complaint."})
        self.assertEqual(penalty.employee_comment, "The customer withdrew the complaint.")
        for vals in (
            {"amount": 0.0},
            {"state": "cancelled"},
            {"dismissal_flag": False},
            {"active": False},
            {"employee_comment": "x", "amount": 1.0},
            {"user_id": self.clerk.id},
        ):
            with self.assertRaises(AccessError):
                mine.write(vals)
        with self.assertRaises(AccessError):
            mine.action_cancel("I disagree")
        with self.assertRaises(AccessError):
            self.Penalty.with_user(self.specialist).create(
                {"type_id": self.t_complaint.id, "user_id": self.clerk.id, "date": date(2026, 3, 2)}
            )
        # nobody else writes the comment, not even the manager
        with self.assertRaises(AccessError):
            penalty.with_user(self.manager).write({"employee_comment": "Answered for him"})
        # a confirmed penalty is not changed nor deleted, it is cancelled with a reason
        with self.assertRaises(UserError):
            penalty.with_user(self.manager).write({"amount": 10.0})
        with self.assertRaises(UserError):
            penalty.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "why"):
            penalty.with_user(self.manager).action_cancel(" ")
        penalty.with_user(self.manager).action_cancel("Complaint withdrawn")
        self.assertEqual(penalty.state, "cancelled")
        self.assertIn("Complaint withdrawn", penalty.message_ids[0].body)

    def test_manager_cannot_penalise_himself(self):
        other_manager = new_test_user(
            self.env,
            "pen_manager2",
            groups="kf_customer_service.group_kf_manager",
            company_id=self.company.id,
            company_ids=[Command.set([self.company.id])],
        )
        self.assertTrue(self.manager.has_group("kf_customer_service.group_kf_manager"))
        with self.assertRaises(AccessError):
            self._penalty(self.t_complaint, date(2026, 3, 2), user=self.manager)
        penalty = self.Penalty.with_user(other_manager).create(
            {
                "type_id": self.t_complaint.id,
                "user_id": self.manager.id,
                "date": date(2026, 3, 2),
                "evidence_attachment_ids": self._evidence(),
            }
        )
        for vals in ({"amount": 0.0}, {"user_id": self.specialist.id}):
            with self.assertRaises(AccessError):
                penalty.with_user(self.manager).write(vals)
        with self.assertRaises(AccessError):
            penalty.with_user(self.manager).action_confirm()
        penalty.with_user(other_manager).action_confirm()
        with self.assertRaises(AccessError):
            penalty.with_user(self.manager).action_cancel("Not me")
        # a manager proposal for a specialist cannot be moved onto the manager himself
        proposal = self._penalty(self.t_complaint, date(2026, 3, 3))
        with self.assertRaises(AccessError):
            proposal.with_user(self.manager).write({"user_id": self.manager.id})

    def test_statement_deducts_the_exact_amount(self):
        self._confirmed(self.t_complaint, date(2026, 3, 2))
        self._confirmed(self.t_fees, date(2026, 3, 3), amount=1234.57)
        self._penalty(self.t_complaint, date(2026, 3, 4))  # proposed: not deducted
        cancelled = self._confirmed(self.t_complaint, date(2026, 3, 5), user=self.clerk)
        cancelled.with_user(self.manager).action_cancel("Mistake")
        statements = self._compute(self.month(2026, 3))
        lines = self._lines(statements[self.specialist], "penalty")
        self.assertEqual(sorted(lines.mapped("amount")), [-1234.57, -100.0])
        self.assertEqual(statements[self.specialist].amount_deducted, 1334.57)
        self.assertFalse(self._lines(statements[self.clerk], "penalty"))
        self.assertIn("1", lines[0].name)
        # paid once: April does not deduct March's penalties again
        april = self._compute(self.month(2026, 4))
        self.assertFalse(self._lines(april[self.specialist], "penalty"))

    def test_statement_line_in_the_employee_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["kf_performance_pay"], ["zh_CN"], overwrite=True)
        self.specialist.lang = "zh_CN"
        self._confirmed(self.t_complaint, date(2026, 3, 2))
        self._confirmed(self.t_complaint, date(2026, 3, 3))
        lines = self._lines(self._compute(self.month(2026, 3))[self.specialist], "penalty")
        self.assertTrue(any("第2次" in name for name in lines.mapped("name")), lines.mapped("name"))

    def test_statement_source_queries_do_not_grow_with_employees(self):
        period_month = self.month(2026, 3)

        def count_queries():
            self.env.invalidate_all()
            period = KfPayPeriod(self.env, period_month, self.company)
            before = self.cr.sql_log_count
            items = self.Statement.sudo()._kf_pay_items_penalty(period)
            return self.cr.sql_log_count - before, len(items)

        self._confirmed(self.t_complaint, date(2026, 3, 2))
        self._confirmed(self.t_complaint, date(2026, 3, 3))
        few, n_few = count_queries()
        for user in (self.clerk, self.specialist2, self.executor):
            self._confirmed(self.t_complaint, date(2026, 3, 4), user=user)
        many, n_many = count_queries()
        self.assertEqual((n_few, n_many), (2, 5))
        self.assertEqual(many, few, "one set of queries for the whole company")

    def test_multi_company(self):
        company2 = self.env["res.company"].create({"name": "KF Penalty Company 2"})
        other = new_test_user(
            self.env,
            "pen_other_manager",
            groups="kf_customer_service.group_kf_manager",
            company_id=company2.id,
            company_ids=[Command.set([company2.id])],
        )
        penalty = self._confirmed(self.t_complaint, date(2026, 3, 2))
        self.assertFalse(self.env["kf.pay.penalty"].with_user(other).search([("id", "=", penalty.id)]))
        with self.assertRaises(AccessError):
            penalty.with_user(other).with_company(company2).read(["amount"])
        with self.assertRaises(AccessError):
            penalty.with_user(other).with_company(company2).action_cancel("Not yours")
        # the clerk sees none of the specialist's penalties
        self.assertFalse(self.Penalty.with_user(self.clerk).search([("id", "=", penalty.id)]))
        # a penalty of this company for an employee of another one is refused
        with self.assertRaises(UserError):
            self._penalty(self.t_complaint, date(2026, 3, 2), user=other)
        # another company's statement does not deduct it
        statements = self._compute(self.month(2026, 3), company=company2)
        self.assertFalse(any(self._lines(s, "penalty") for s in statements.values()))

    def _feedback_form(self, leave):
        order = self._create_order()
        return self.env["kf.service.feedback"].create({"order_id": order.id, "date_leave": leave})

    def _closed_complaint_problem(self, user):
        ticket = self._create_ticket(resolution="Apology sent, engineer replaced.")
        ticket.action_resolve()
        ticket.visit_id.write({"outcome": "Customer satisfied now", "score": 4})
        ticket.visit_id.action_done()
        self.assertTrue(ticket.is_closed)
        problem = self.env["kf.problem"].create(
            {
                "problem_type": "complaint",
                "ticket_id": ticket.id,
                "user_id": user.id,
                "company_id": self.company.id,
                "evidence_attachment_ids": self._evidence(),
            }
        )
        problem.action_confirm()
        return problem

    def test_auto_proposals_once(self):
        with freeze_time("2026-03-02 02:00:00"):
            form = self._feedback_form(datetime(2026, 3, 2, 1, 0))
        problem = self._closed_complaint_problem(self.executor)
        with freeze_time("2026-03-10 20:00:00"):
            first = self.Penalty._cron_propose_penalties()
            second = self.Penalty._cron_propose_penalties()
        self.assertFalse(second, "a second run proposes nothing new")
        first = first.filtered(lambda p: p.company_id == self.company)
        missing = first.filtered(lambda p: p.res_model == "kf.service.feedback")
        self.assertEqual(missing.res_id, form.id)
        self.assertEqual(missing.type_id.auto_source, "feedback_missing")
        self.assertEqual((missing.user_id, missing.state), (self.executor, "proposed"))
        complaint = first.filtered(lambda p: p.res_model == "kf.problem")
        self.assertEqual((complaint.res_id, complaint.user_id), (problem.id, self.executor))
        # the form signed late later on is not penalised a second time
        form.sudo().write({"state": "signed", "signed_on": datetime(2026, 3, 12, 3, 0)})
        with freeze_time("2026-03-13 20:00:00"):
            self.assertFalse(self.Penalty._cron_propose_penalties())
        # the unique index stops a duplicate even without the scan's filter
        with self.assertRaises(UniqueViolation), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.Penalty.sudo().create(
                {
                    "type_id": missing.type_id.id,
                    "user_id": self.executor.id,
                    "company_id": self.company.id,
                    "res_model": "kf.service.feedback",
                    "res_id": form.id,
                }
            )
        # users never set the source themselves
        with self.assertRaises(AccessError):
            self.Penalty.with_user(self.manager).create(
                {
                    "type_id": self.t_complaint.id,
                    "user_id": self.specialist.id,
                    "res_model": "kf.problem",
                    "res_id": problem.id,
                }
            )

    def test_late_callback_proposed_for_the_clerk(self):
        form = (
            self.env["kf.service.feedback"]
            .with_user(self.executor)
            .create(
                {
                    "order_id": self._create_order().id,
                    "service_type": "repair",
                    "date_arrival": datetime(2026, 3, 13, 9, 0),
                    "date_leave": datetime(2026, 3, 13, 11, 0),
                    "work_done": "Loop card replaced",
                    "result": "Fault cleared",
                }
            )
        )
        with freeze_time("2026-03-13 12:00:00"):
            form.with_user(self.executor).kf_sign("Zhang Wei", PNG_B64)
        with freeze_time("2026-03-16 02:00:00"):
            form.with_user(self.manager).action_review()
        with freeze_time("2026-03-17 05:00:00"):
            callback = (
                self.env["kf.service.callback"]
                .with_user(self.clerk)
                .create({"feedback_id": form.id, "outcome": "confirmed"})
            )
        self.assertTrue(callback.is_late)
        with freeze_time("2026-03-18 20:00:00"):
            proposed = self.Penalty._cron_propose_penalties()
        penalty = proposed.filtered(lambda p: p.res_model == "kf.service.callback")
        self.assertEqual((penalty.res_id, penalty.user_id), (callback.id, self.clerk))
        self.assertEqual(penalty.type_id, self.env.ref("kf_performance_pay.kf_pay_penalty_type_callback_late"))
        self.assertEqual(penalty.date, date(2026, 3, 17))
        self.assertFalse(
            proposed.filtered(lambda p: p.res_model == "kf.service.feedback"), "the form was signed on time"
        )
