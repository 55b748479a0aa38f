import base64
import json
from contextlib import contextmanager

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import KfDispatchCommon

MANAGER = "kf_customer_service.group_kf_manager"
CLERK = "kf_customer_service.group_kf_clerk"


class KfHardeningCommon(KfDispatchCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.closed_stage = cls.env.ref("kf_dispatch.kf_ticket_stage_closed")
        cls.cancelled_stage = cls.env.ref("kf_dispatch.kf_ticket_stage_cancelled")

    @contextmanager
    def assertRefused(self, exception, regex):
        """assertRaisesRegex inside Odoo's savepoint: a write refused after it
        reached the cache is rolled back, as the RPC request would be."""
        with self.assertRaises(exception) as catcher:
            yield catcher
        self.assertRegex(str(catcher.exception), regex)

    def _evidence(self, name="photo.jpg"):
        return self.env["ir.attachment"].create({"name": name, "datas": base64.b64encode(b"jpeg")})

    def _assert_specialist_handles(self, ticket):
        self.assertFalse(self.specialist.has_group(MANAGER), "the specialist is not a manager")
        self.assertEqual(ticket.user_id, self.specialist, "the ticket is the specialist's own")

    def _done_order(self):
        order = self._create_order()
        order.action_dispatch()
        order.action_start()
        order.completion_note = "Compressor replaced."
        order.action_done()
        return order


@tagged("post_install", "-at_install")
class TestHardeningTicketReview(KfHardeningCommon):
    def _major_complaint_visit_done(self):
        ticket = self._create_ticket(priority="2", resolution="Engineer replaced; apology letter sent.")
        ticket.action_resolve()
        ticket.visit_id.write({"outcome": "OK now", "score": 3})
        ticket.visit_id.action_done()
        self.assertFalse(ticket.is_closed, "the major complaint waits for the review")
        return ticket

    def test_specialist_cannot_write_review_fields(self):
        """A specialist cannot set manager_reviewed (nor who/when) on their
        own major complaint through a plain write, so cannot close it."""
        ticket = self._major_complaint_visit_done()
        self._assert_specialist_handles(ticket)
        self.assertTrue(ticket.manager_review_required)
        as_specialist = ticket.with_user(self.specialist)
        for vals in (
            {"manager_reviewed": True},
            {"manager_reviewed_by_id": self.manager.id},
            {"manager_reviewed_on": "2026-03-10 10:00:00"},
            {"manager_review_note": "Looks fine to me"},
        ):
            with self.assertRaises(AccessError):
                as_specialist.write(vals)
        with self.assertRaises(AccessError):
            as_specialist.action_manager_review()
        self.assertFalse(ticket.manager_reviewed)

    def test_major_complaint_not_closed_without_review_on_any_path(self):
        """Moving the stage with the context key the buttons use
        (kf_ticket_stage_checked) still runs the review check."""
        ticket = self._major_complaint_visit_done()
        self._assert_specialist_handles(ticket)
        as_specialist = ticket.with_user(self.specialist)
        with self.assertRefused(UserError, "reviewed"):
            as_specialist.write({"stage_id": self.closed_stage.id})
        with self.assertRefused(UserError, "reviewed"):
            as_specialist.with_context(kf_ticket_stage_checked=True).write({"stage_id": self.closed_stage.id})
        with self.assertRefused(UserError, "reviewed"):
            as_specialist.action_close()
        self.assertFalse(ticket.is_closed)

    def test_specialist_cannot_downgrade_major_complaint(self):
        """The handler cannot lower the priority of a major complaint to
        escape the review."""
        ticket = self._create_ticket(priority="2")
        self._assert_specialist_handles(ticket)
        with self.assertRaises(AccessError):
            ticket.with_user(self.specialist).write({"priority": "1"})
        with self.assertRaises(AccessError):
            ticket.with_user(self.specialist).write({"ticket_type": "enquiry"})
        self.assertTrue(ticket.manager_review_required)

    def test_handling_manager_cannot_review_own_ticket(self):
        """A manager handling a major complaint cannot review it themselves."""
        ticket = self._create_ticket(priority="2", user_id=self.manager.id, resolution="Done.")
        self.assertEqual(ticket.user_id, self.manager)
        self.assertTrue(self.manager.has_group(MANAGER))
        with self.assertRaises(AccessError):
            ticket.with_user(self.manager).action_manager_review()
        self.assertFalse(ticket.manager_reviewed)

    def test_other_manager_reviews_and_closes(self):
        ticket = self._major_complaint_visit_done()
        self.assertNotEqual(ticket.user_id, self.manager)
        ticket.with_user(self.manager).action_manager_review()
        self.assertTrue(ticket.manager_reviewed)
        self.assertEqual(ticket.manager_reviewed_by_id, self.manager)
        self.assertTrue(ticket.is_closed)


@tagged("post_install", "-at_install")
class TestHardeningSystemFields(KfHardeningCommon):
    def test_specialist_cannot_clear_sla_flags(self):
        """A specialist cannot clear sla_breached (nor set a first reply date)
        on their own ticket with a plain write."""
        ticket = self._create_ticket(ticket_type="repair")
        ticket.write({"sla_breached": True, "sla_escalated": True})  # as the SLA scan does
        self._assert_specialist_handles(ticket)
        as_specialist = ticket.with_user(self.specialist)
        for vals in (
            {"sla_breached": False},
            {"sla_escalated": False},
            {"first_reply_date": "2026-03-02 09:00:00"},
            {"sla_deadline": "2030-01-01 00:00:00"},
            {"date_resolved": False},
            {"date_closed": "2026-03-02 09:00:00"},
            {"satisfaction_score": 5},
        ):
            with self.assertRaises(AccessError):
                as_specialist.write(vals)
        self.assertTrue(ticket.sla_breached)
        with self.assertRaises(AccessError):
            self.Ticket.with_user(self.specialist).create(
                {"subject": "Forged", "partner_id": self.customer.id, "first_reply_date": "2026-03-02 09:00:00"}
            )

    def test_specialist_cannot_hide_breached_ticket(self):
        """The handler of a breached ticket cannot reassign it, archive it or
        give it a later reception date (which would move its deadline)."""
        ticket = self._create_ticket(ticket_type="repair")
        ticket.sla_breached = True
        self._assert_specialist_handles(ticket)
        as_specialist = ticket.with_user(self.specialist)
        for vals in ({"user_id": self.clerk.id}, {"active": False}, {"date_received": "2030-01-01 00:00:00"}):
            with self.assertRaises(AccessError):
                as_specialist.write(vals)
        self.assertEqual(ticket.user_id, self.specialist)
        self.assertTrue(ticket.active)

    def test_executor_cannot_write_order_timing_and_escalation(self):
        """The executor cannot clear the escalation flags nor backdate the
        actual end of their own work order."""
        order = self._create_order()
        order.action_dispatch()
        order.write({"ack_escalated": True, "overdue_escalated": True})  # as the scan does
        self.assertFalse(self.executor.has_group(CLERK), "the executor is a plain employee")
        self.assertEqual(order.user_id, self.executor)
        as_executor = order.with_user(self.executor)
        for vals in (
            {"ack_escalated": False},
            {"overdue_escalated": False},
            {"dispatch_escalated": True},
            {"date_acknowledged": "2026-03-02 09:00:00"},
            {"date_done": "2026-03-02 09:00:00"},
            {"date_start": "2026-03-02 09:00:00"},
            {"customer_signed_by": "Zhang Wei"},
            {"date_planned_end": "2030-01-01 00:00:00"},
        ):
            with self.assertRaises(AccessError):
                as_executor.write(vals)
        self.assertTrue(order.ack_escalated and order.overdue_escalated)
        # the buttons still write the system fields
        as_executor.action_acknowledge()
        self.assertTrue(order.date_acknowledged)

    def test_system_fields_readonly_in_views(self):
        for model, names in (
            (
                "kf.ticket",
                (
                    "sla_deadline",
                    "sla_breached",
                    "sla_escalated",
                    "first_reply_date",
                    "date_resolved",
                    "date_closed",
                    "manager_reviewed",
                    "visit_waiver_reason",
                ),
            ),
            (
                "kf.dispatch.order",
                ("date_dispatched", "date_acknowledged", "date_start", "date_done", "date_closed", "ack_escalated"),
            ),
            ("kf.problem", ("date_confirmed", "void_reason", "voided_by_id")),
        ):
            for name in names:
                self.assertTrue(self.env[model]._fields[name].readonly, f"{model}.{name} is readonly")


@tagged("post_install", "-at_install")
class TestHardeningProblem(KfHardeningCommon):
    def _confirmed_problem(self, user):
        problem = self.env["kf.problem"].create(
            {
                "problem_type": "quality",
                "partner_id": self.customer.id,
                "user_id": user.id,
                "company_id": self.company.id,
                "description": "Pipe insulation missing.",
                "evidence_attachment_ids": [Command.link(self._evidence().id)],
            }
        )
        problem.action_confirm()
        return problem

    def test_appraised_specialist_cannot_hide_confirmed_problem(self):
        """The specialist a confirmed problem counts against cannot archive
        it, reassign it or reset it to draft."""
        problem = self._confirmed_problem(self.specialist)
        self.assertFalse(self.specialist.has_group(MANAGER))
        self.assertEqual(problem.user_id, self.specialist)
        self.assertEqual(problem.state, "confirmed")
        as_specialist = problem.with_user(self.specialist)
        for vals in (
            {"active": False},
            {"user_id": self.clerk.id},
            {"state": "draft"},
            {"state": "voided"},
            {"problem_type": "warranty"},
            {"evidence_attachment_ids": [Command.clear()]},
        ):
            with self.assertRaises(AccessError):
                as_specialist.write(vals)
        with self.assertRaises(AccessError):
            as_specialist.action_reset_draft()
        with self.assertRaises(AccessError):
            as_specialist.action_void("Not my fault")
        # the root cause stays theirs to write
        as_specialist.cause = "Insulation not reordered."
        self.assertEqual(problem.state, "confirmed")
        self.assertTrue(problem.active)

    def test_appraised_user_cannot_hide_draft_problem(self):
        problem = self.env["kf.problem"].create(
            {"problem_type": "quality", "user_id": self.specialist.id, "company_id": self.company.id}
        )
        with self.assertRaises(AccessError):
            problem.with_user(self.specialist).write({"active": False})

    def test_confirmed_problem_never_deleted(self):
        problem = self._confirmed_problem(self.specialist)
        self.assertTrue(self.manager.has_group(MANAGER))
        with self.assertRaises(UserError):
            problem.with_user(self.manager).unlink()
        with self.assertRaises(AccessError):
            problem.with_user(self.manager).write({"user_id": self.clerk.id})

    def test_manager_voids_with_reason(self):
        problem = self._confirmed_problem(self.specialist)
        wizard = self.env["kf.problem.void"].with_user(self.manager).create({"problem_id": problem.id, "reason": " "})
        with self.assertRaises(UserError):
            wizard.action_confirm()
        wizard.reason = "Insulation was outside the contract scope."
        wizard.action_confirm()
        self.assertEqual(problem.state, "voided")
        self.assertEqual(problem.voided_by_id, self.manager)
        self.assertIn("outside the contract scope", problem.message_ids[0].body)
        problem.with_user(self.manager).action_reset_draft()
        self.assertEqual(problem.state, "draft")

    def test_manager_reassigns_with_reason_not_own(self):
        problem = self._confirmed_problem(self.specialist)
        wizard = (
            self.env["kf.problem.reassign"]
            .with_user(self.manager)
            .create(
                {"problem_id": problem.id, "user_id": self.executor.id, "reason": "The engineer skipped the check."}
            )
        )
        wizard.action_confirm()
        self.assertEqual(problem.user_id, self.executor)
        self.assertIn("skipped the check", problem.message_ids[0].body)
        own = self._confirmed_problem(self.manager)
        with self.assertRaises(AccessError):
            own.with_user(self.manager).action_void("Mine, not counted")


@tagged("post_install", "-at_install")
class TestHardeningOrderClose(KfHardeningCommon):
    def test_executor_cannot_close_without_certificate(self):
        """Writing state = 'closed' on a done work order needs the acceptance
        certificate as the button does: the constraint holds on every path."""
        order = self._done_order()
        self.assertFalse(self.executor.has_group(CLERK), "the executor is the lowest group working on orders")
        self.assertEqual(order.user_id, self.executor)
        self.assertEqual(order.state, "done")
        with self.assertRefused(UserError, "acceptance"):
            order.with_user(self.executor).write({"state": "closed"})
        with self.assertRefused(ValidationError, "acceptance"):
            order.write({"state": "closed"})  # even as superuser
        self.assertEqual(order.state, "done")
        order.write(
            {
                "certificate_attachment_ids": [Command.link(self._evidence("acceptance.pdf").id)],
                "certificate_date": "2026-03-10",
            }
        )
        order.with_user(self.executor).write({"state": "closed"})
        self.assertEqual(order.state, "closed")
        self.assertTrue(order.date_closed, "the direct write ran the Close button")

    def test_executor_cannot_cancel_own_order(self):
        """An executor cannot cancel their own order (which would take an
        overdue order out of the on-time rate)."""
        order = self._create_order()
        order.action_dispatch()
        with self.assertRaises(AccessError):
            order.with_user(self.executor).write({"state": "cancelled"})
        with self.assertRaises(AccessError):
            order.with_user(self.executor).action_cancel()
        self.assertEqual(order.state, "dispatched")


@tagged("post_install", "-at_install")
class TestHardeningReturnVisit(KfHardeningCommon):
    def _resolved_repair(self):
        ticket = self._create_ticket(ticket_type="repair", resolution="Fan motor replaced.")
        ticket.action_resolve()
        self.assertEqual(ticket.visit_id.state, "planned")
        return ticket

    def test_repair_not_closed_without_return_visit(self):
        """A complaint or repair does not close (button, kanban or cancel)
        without its return visit."""
        ticket = self._resolved_repair()
        self._assert_specialist_handles(ticket)
        as_specialist = ticket.with_user(self.specialist)
        with self.assertRefused(UserError, "return visit"):
            as_specialist.action_close()
        with self.assertRefused(UserError, "return visit"):
            as_specialist.write({"stage_id": self.closed_stage.id})
        with self.assertRefused(UserError, "return visit"):
            as_specialist.with_context(kf_ticket_stage_checked=True).write({"stage_id": self.closed_stage.id})
        with self.assertRefused(UserError, "return visit"):
            as_specialist.action_cancel()
        self.assertFalse(ticket.is_closed)
        # the visit done closes it (system path)
        ticket.visit_id.write({"outcome": "Works again.", "score": 5})
        ticket.visit_id.with_user(self.specialist).action_done()
        self.assertTrue(ticket.is_closed)

    def test_specialist_cannot_waive_return_visit(self):
        ticket = self._resolved_repair()
        self._assert_specialist_handles(ticket)
        with self.assertRaises(AccessError):
            ticket.with_user(self.specialist).write({"visit_waiver_reason": "unreachable"})
        with self.assertRaises(AccessError):
            ticket.with_user(self.specialist).action_waive_return_visit("unreachable", "No answer")
        self.assertFalse(ticket.visit_waiver_reason)

    def test_manager_waives_and_closes(self):
        ticket = self._resolved_repair()
        visit = ticket.visit_id
        wizard = (
            self.env["kf.ticket.visit.waiver"]
            .with_user(self.manager)
            .create({"ticket_id": ticket.id, "reason": "unreachable", "note": "Five calls, no answer."})
        )
        wizard.action_confirm()
        self.assertEqual(ticket.visit_waiver_reason, "unreachable")
        self.assertEqual(ticket.visit_waived_by_id, self.manager)
        self.assertTrue(ticket.visit_waived_on)
        self.assertEqual(ticket.stage_id, self.closed_stage)
        self.assertEqual(visit.state, "cancelled")
        self.assertTrue(ticket.message_ids.filtered(lambda m: "Five calls" in (m.body or "")))
        duplicate = self._create_ticket(ticket_type="complaint")
        duplicate.with_user(self.manager).action_waive_return_visit("duplicate")
        self.assertEqual(duplicate.stage_id, self.cancelled_stage)


@tagged("post_install", "-at_install")
class TestHardeningJsonRpc(KfHardeningCommon, HttpCase):
    def test_sla_flag_refused_over_json_rpc(self):
        """The SLA flag cannot be cleared through the web client's RPC either."""
        ticket = self._create_ticket(ticket_type="repair")
        ticket.sla_breached = True
        self._assert_specialist_handles(ticket)
        self.authenticate("dsp_specialist", "dsp_specialist")
        response = self.url_open(
            "/web/dataset/call_kw/kf.ticket/write",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "kf.ticket",
                        "method": "write",
                        "args": [[ticket.id], {"sla_breached": False}],
                        "kwargs": {"context": {"kf_ticket_stage_checked": True}},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("error", response.json())
        ticket.invalidate_recordset()
        self.assertTrue(ticket.sla_breached)
