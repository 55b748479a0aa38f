import base64
from datetime import datetime

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import KfDispatchCommon


@tagged("post_install", "-at_install")
class TestDispatchOrder(KfDispatchCommon):
    def _activities(self, order, xmlid):
        activity_type = self.env.ref(xmlid)
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "kf.dispatch.order"),
                ("res_id", "=", order.id),
                ("activity_type_id", "=", activity_type.id),
            ]
        )

    def test_sequence_and_address_default(self):
        order = self._create_order()
        self.assertTrue(order.name.startswith("KF-WO-"))
        self.assertIn("88 Century Avenue", order.address)
        self.assertEqual(order.state, "draft")

    def test_dispatch_without_address_names_the_field(self):
        order = self._create_order(address=False)
        with self.assertRaisesRegex(UserError, "Site Address"):
            order.action_dispatch()
        self.assertEqual(order.state, "draft")

    def test_dispatch_names_every_missing_field(self):
        order = self._create_order(address=" ", work_content=False, user_id=False)
        with self.assertRaises(UserError) as ctx:
            order.action_dispatch()
        message = str(ctx.exception)
        for label in ("Responsible", "Site Address", "Work Content"):
            self.assertIn(label, message)

    def test_dispatch_notifies_executor(self):
        order = self._create_order()
        order.with_user(self.specialist).action_dispatch()
        self.assertEqual(order.state, "dispatched")
        self.assertTrue(order.date_dispatched)
        activity = self._activities(order, "kf_dispatch.mail_activity_type_kf_dispatch_execute")
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.executor)
        self.assertIn(self.executor.partner_id, order.message_follower_ids.partner_id)
        message = order.message_ids.filtered(lambda m: self.executor.partner_id in m.partner_ids)
        self.assertTrue(message, "the executor is addressed by a message")
        # the executor (plain employee) acknowledges, starts and finishes
        order.with_user(self.executor).action_acknowledge()
        self.assertEqual(order.state, "accepted")
        self.assertTrue(order.date_acknowledged)
        order.with_user(self.executor).action_start()
        self.assertEqual(order.state, "in_progress")

    def test_done_requires_note_and_gives_clerk_callback(self):
        order = self._create_order()
        order.action_dispatch()
        order.action_start()
        with self.assertRaisesRegex(UserError, "completion note"):
            order.action_done()
        order.completion_note = "Compressor replaced, tested 2 hours."
        order.action_done()
        self.assertEqual(order.state, "done")
        self.assertTrue(order.date_done)
        done_mail = order.message_ids.filtered(lambda m: "completed" in (m.subject or ""))
        self.assertEqual(len(done_mail), 1)
        self.assertIn(self.customer, done_mail.partner_ids)
        self.assertIn(f"/my/kf-orders/{order.id}", done_mail.body)
        callback = self._activities(order, "kf_dispatch.mail_activity_type_kf_dispatch_callback")
        self.assertEqual(len(callback), 1)
        self.assertEqual(callback.user_id, self.clerk)
        self.assertEqual(callback.date_deadline, order.date_done.date())
        self.assertEqual(
            self.Order.with_user(self.clerk).search([("id", "=", order.id)]),
            order,
            "the clerk can open the order to make the call-back",
        )
        self.assertFalse(self._activities(order, "kf_dispatch.mail_activity_type_kf_dispatch_execute"))

    def test_cannot_close_without_certificate(self):
        order = self._create_order()
        order.action_dispatch()
        order.action_start()
        order.completion_note = "Done"
        order.action_done()
        with self.assertRaisesRegex(UserError, "acceptance"):
            order.action_close()
        self.assertEqual(order.state, "done")
        attachment = self.env["ir.attachment"].create(
            {"name": "acceptance.pdf", "datas": base64.b64encode(b"%PDF-1.4 test")}
        )
        order.certificate_attachment_ids = [Command.link(attachment.id)]
        with self.assertRaisesRegex(UserError, "acceptance date"):
            order.action_close()
        with self.assertRaises(ValidationError):
            order.certificate_paper_archived = True
        order.write(
            {
                "certificate_date": "2026-03-10",
                "certificate_paper_archived": True,
                "certificate_paper_location": "Cabinet A / binder 3",
            }
        )
        order.action_close()
        self.assertEqual(order.state, "closed")
        self.assertTrue(order.date_closed)
        self.assertEqual(attachment.res_model, "kf.dispatch.order")
        self.assertEqual(attachment.res_id, order.id)

    def test_portal_accept_signs_and_closes(self):
        order = self._create_order()
        order.action_dispatch()
        order.action_start()
        order.completion_note = "Done"
        order.action_done()
        self.assertEqual(order.access_url, f"/my/kf-orders/{order.id}")
        # 1x1 transparent PNG
        png = b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
        order.action_portal_accept("Zhang Wei", png)
        self.assertEqual(order.state, "closed")
        self.assertEqual(order.customer_signed_by, "Zhang Wei")
        self.assertTrue(order.customer_signed_on)
        self.assertTrue(order.customer_signature)
        self.assertTrue(order.certificate_attachment_ids)
        self.assertTrue(order.certificate_date)

    def test_escalation_unacknowledged_in_working_hours(self):
        self.env["ir.config_parameter"].sudo().set_param("kf_dispatch.ack_hours", "4")
        order = self._create_order()
        # Friday 15:00: 2 working hours left on Friday, Monday is a holiday,
        # so the 4 working hours run out on Tuesday 10:00.
        with freeze_time(datetime(2026, 3, 6, 15, 0)):
            order.action_dispatch()
        Order = self.env["kf.dispatch.order"]
        with freeze_time(datetime(2026, 3, 9, 16, 0)):
            Order._cron_escalation_scan()
        self.assertFalse(order.ack_escalated)
        with freeze_time(datetime(2026, 3, 10, 10, 30)):
            Order._cron_escalation_scan()
            Order._cron_escalation_scan()
        self.assertTrue(order.ack_escalated)
        escalations = self._activities(order, "kf_dispatch.mail_activity_type_kf_dispatch_escalation")
        self.assertEqual(len(escalations), 1, "escalated once only")
        self.assertEqual(escalations.user_id, self.manager)

    def test_unacknowledged_and_overdue_order_gets_one_activity(self):
        """An order both late to acknowledge and past its planned end is
        escalated with one activity naming both reasons (and the scan does
        not fail on it)."""
        self.env["ir.config_parameter"].sudo().set_param("kf_dispatch.ack_hours", "4")
        order = self._create_order(
            date_planned_start=datetime(2026, 3, 2, 8, 0),
            date_planned_end=datetime(2026, 3, 3, 17, 0),
        )
        with freeze_time(datetime(2026, 3, 2, 9, 0)):
            order.action_dispatch()
        with freeze_time(datetime(2026, 3, 4, 9, 0)):
            self.env["kf.dispatch.order"]._cron_escalation_scan()
            self.env["kf.dispatch.order"]._cron_escalation_scan()
        self.assertTrue(order.ack_escalated and order.overdue_escalated)
        escalations = self._activities(order, "kf_dispatch.mail_activity_type_kf_dispatch_escalation")
        self.assertEqual(len(escalations), 1)
        self.assertIn("not acknowledged", escalations.summary)
        self.assertIn("past its planned end", escalations.summary)
        self.assertEqual(len(order.problem_ids), 1)

    def test_undispatched_order_escalated_once(self):
        order = self._create_order(
            date_planned_start=datetime(2026, 3, 2, 8, 0),
            date_planned_end=datetime(2026, 3, 2, 17, 0),
        )
        Order = self.env["kf.dispatch.order"]
        with freeze_time(datetime(2026, 3, 2, 7, 0)):
            Order._cron_escalation_scan()
        self.assertFalse(order.dispatch_escalated)
        with freeze_time(datetime(2026, 3, 2, 9, 0)):
            Order._cron_escalation_scan()
            Order._cron_escalation_scan()
        self.assertTrue(order.dispatch_escalated)
        self.assertEqual(len(self._activities(order, "kf_dispatch.mail_activity_type_kf_dispatch_escalation")), 1)
        self.assertFalse(order.problem_ids, "a draft order is not an overdue delivery")

    def test_acknowledged_order_not_escalated(self):
        order = self._create_order()
        with freeze_time(datetime(2026, 3, 6, 15, 0)):
            order.action_dispatch()
            order.action_acknowledge()
        with freeze_time(datetime(2026, 3, 11, 10, 0)):
            self.env["kf.dispatch.order"]._cron_escalation_scan()
        self.assertFalse(order.ack_escalated)
        self.assertFalse(self._activities(order, "kf_dispatch.mail_activity_type_kf_dispatch_escalation"))

    def test_overdue_creates_exactly_one_draft_problem(self):
        order = self._create_order(
            date_planned_start=datetime(2026, 3, 2, 8, 0),
            date_planned_end=datetime(2026, 3, 3, 17, 0),
        )
        with freeze_time(datetime(2026, 3, 2, 8, 0)):
            order.action_dispatch()
            order.action_acknowledge()
        Order = self.env["kf.dispatch.order"]
        with freeze_time(datetime(2026, 3, 3, 12, 0)):
            Order._cron_escalation_scan()
            self.assertFalse(order.is_overdue)
        self.assertFalse(order.problem_ids)
        with freeze_time(datetime(2026, 3, 4, 9, 0)):
            order.invalidate_recordset(["is_overdue"])
            self.assertTrue(order.is_overdue)
            self.assertIn(order, Order.search([("is_overdue", "=", True)]))
            Order._cron_escalation_scan()
            Order._cron_escalation_scan()
        with freeze_time(datetime(2026, 3, 5, 9, 0)):
            Order._cron_escalation_scan()
        problems = self.env["kf.problem"].search([("order_id", "=", order.id)])
        self.assertEqual(len(problems), 1)
        self.assertEqual(problems.state, "draft")
        self.assertEqual(problems.problem_type, "overdue")
        self.assertEqual(problems.user_id, self.executor)
        self.assertEqual(problems.project_id, self.project)
        escalations = self._activities(order, "kf_dispatch.mail_activity_type_kf_dispatch_escalation")
        self.assertEqual(len(escalations), 1)

    def test_print_work_order(self):
        order = self._create_order(line_ids=[Command.create({"name": "Compressor", "quantity": 1})])
        html, report_type = self.env["ir.actions.report"]._render_qweb_html(
            "kf_dispatch.report_kf_dispatch_order", order.ids
        )
        self.assertEqual(report_type, "html")
        self.assertIn(order.name, html.decode())
        self.assertIn("Compressor", html.decode())

    def test_state_guards(self):
        order = self._create_order()
        with self.assertRaises(UserError):
            order.action_done()
        with self.assertRaises(UserError):
            order.action_close()
        order.action_cancel()
        self.assertEqual(order.state, "cancelled")
        order.action_reset_draft()
        self.assertEqual(order.state, "draft")

    def test_counters_on_customer_and_project(self):
        self._create_order()
        self._create_order()
        self._create_ticket()
        self.assertEqual(self.contact.with_user(self.specialist).kf_dispatch_order_count, 2)
        self.assertEqual(self.customer.with_user(self.specialist).kf_ticket_count, 1)
        self.assertEqual(self.project.with_user(self.specialist).kf_dispatch_order_count, 2)
        action = self.customer.action_view_kf_dispatch_orders()
        self.assertEqual(action["domain"], [("commercial_partner_id", "=", self.customer.id)])

    def test_multi_company_rule(self):
        other_company = self.env["res.company"].create({"name": "Other KF Company"})
        other_project = self.env["project.project"].create({"name": "Other", "company_id": other_company.id})
        foreign = (
            self.env["kf.dispatch.order"]
            .with_company(other_company)
            .create(
                {
                    "partner_id": self.env["res.partner"].create({"name": "Foreign customer"}).id,
                    "project_id": other_project.id,
                    "company_id": other_company.id,
                }
            )
        )
        self.assertFalse(self.Order.with_user(self.manager).search([("id", "=", foreign.id)]))

    def test_record_rules(self):
        mine = self._create_order()
        other_customer = self.env["res.partner"].create(
            {"name": "Other Co", "is_company": True, "company_id": self.company.id, "street": "x"}
        )
        other = self._create_order(partner_id=other_customer.id, user_id=self.manager.id, team_id=False)
        visible = self.Order.with_user(self.specialist).search([("id", "in", (mine | other).ids)])
        self.assertEqual(visible, mine, "a specialist sees the orders of their own customers")
        visible = self.Order.with_user(self.executor).search([("id", "in", (mine | other).ids)])
        self.assertEqual(visible, mine, "an executor sees the orders of their team")
        visible = self.Order.with_user(self.manager).search([("id", "in", (mine | other).ids)])
        self.assertEqual(visible, mine | other)
