from datetime import date, datetime

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import KfDispatchCommon


@tagged("post_install", "-at_install")
class TestTicket(KfDispatchCommon):
    def _activities(self, ticket, xmlid):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "kf.ticket"),
                ("res_id", "=", ticket.id),
                ("activity_type_id", "=", self.env.ref(xmlid).id),
            ]
        )

    def _reply(self, ticket, user, **kwargs):
        values = {"body": "We are on it.", "message_type": "comment", "subtype_xmlid": "mail.mt_comment"}
        values.update(kwargs)
        return ticket.with_user(user).message_post(**values)

    def test_sla_deadline_skips_weekend(self):
        # Friday 27 February 15:00: 2 hours on Friday, 6 on Monday -> Monday 15:00
        with freeze_time(datetime(2026, 2, 27, 15, 0)):
            ticket = self._create_ticket()
        self.assertTrue(ticket.name.startswith("KF-T-"))
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 2, 15, 0))
        self.assertEqual(ticket.user_id, self.specialist, "the customer's specialist is responsible")

    def test_received_mail_gives_number_and_deadline(self):
        with freeze_time(datetime(2026, 3, 2, 9, 0)):
            ticket = self._create_ticket()
        message = ticket.message_ids.filtered(lambda m: ticket.name in (m.subject or ""))
        self.assertEqual(len(message), 1)
        self.assertIn(self.contact, message.partner_ids)
        self.assertIn(ticket.name, message.body)
        self.assertIn("/my/kf-tickets/", message.body)
        # Monday 9:00 + 8 working hours (lunch 12-13) -> Tuesday 9:00
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 3, 9, 0))
        self.assertIn("3/3/26, 9:00", message.body, "the reply deadline is announced")

    def test_sla_deadline_skips_weekend_and_public_holiday(self):
        # Friday 6 March 10:00: 6 hours on Friday, weekend, Monday 9 is a
        # public holiday, 2 hours on Tuesday -> Tuesday 10:00
        with freeze_time(datetime(2026, 3, 6, 10, 0)):
            ticket = self._create_ticket()
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 10, 10, 0))

    def test_sla_configurable_per_type(self):
        sla = self.env["kf.ticket.sla"].search(
            [("company_id", "=", self.company.id), ("ticket_type", "=", "suggestion")]
        )
        sla.reply_days = 3.0
        with freeze_time(datetime(2026, 3, 2, 8, 0)):
            ticket = self._create_ticket(ticket_type="suggestion")
        # Monday 8:00 + 24 working hours -> Wednesday 17:00
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 4, 17, 0))
        ticket.ticket_type = "repair"
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 2, 17, 0))

    def test_first_reply_only_public_employee_message(self):
        with freeze_time(datetime(2026, 3, 2, 9, 0)):
            ticket = self._create_ticket()
        self.assertFalse(ticket.first_reply_date, "the acknowledgement mail is not a reply")
        with freeze_time(datetime(2026, 3, 2, 10, 0)):
            self._reply(ticket, self.specialist, subtype_xmlid="mail.mt_note")
        self.assertFalse(ticket.first_reply_date, "an internal note is not a reply")
        portal_user = self.env["res.users"].create(
            {
                "name": "Zhang Wei portal",
                "login": "dsp_portal_reply",
                "partner_id": self.contact.id,
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
                "company_id": self.company.id,
                "company_ids": [(6, 0, [self.company.id])],
            }
        )
        with freeze_time(datetime(2026, 3, 2, 10, 30)):
            self._reply(ticket, portal_user)
        self.assertFalse(ticket.first_reply_date, "the customer's own message is not a reply")
        with freeze_time(datetime(2026, 3, 2, 11, 0)):
            self._reply(ticket, self.specialist)
        self.assertEqual(ticket.first_reply_date, datetime(2026, 3, 2, 11, 0))
        self.assertFalse(ticket.sla_breached)
        self.assertEqual(ticket.stage_id, self.env.ref("kf_dispatch.kf_ticket_stage_in_progress"))
        with freeze_time(datetime(2026, 3, 3, 11, 0)):
            self._reply(ticket, self.manager)
        self.assertEqual(ticket.first_reply_date, datetime(2026, 3, 2, 11, 0), "only the first reply counts")

    def test_suggested_recipients_offer_the_contact(self):
        ticket = self._create_ticket()
        suggested = ticket._message_get_suggested_recipients()
        self.assertIn(self.contact.id, [s.get("partner_id") for s in suggested])

    def test_late_reply_flags_breach(self):
        with freeze_time(datetime(2026, 3, 2, 9, 0)):
            ticket = self._create_ticket()
        with freeze_time(datetime(2026, 3, 3, 11, 0)):
            self._reply(ticket, self.specialist)
        self.assertTrue(ticket.sla_breached)

    def test_breach_flag_and_single_escalation(self):
        with freeze_time(datetime(2026, 3, 6, 10, 0)):
            late = self._create_ticket()
            answered = self._create_ticket(subject="Noise in the pump room")
        with freeze_time(datetime(2026, 3, 6, 11, 0)):
            self._reply(answered, self.specialist)
        Ticket = self.env["kf.ticket"]
        with freeze_time(datetime(2026, 3, 9, 12, 0)):
            Ticket._cron_sla_scan()
        self.assertFalse(late.sla_breached, "Monday is a public holiday, deadline is Tuesday 10:00")
        with freeze_time(datetime(2026, 3, 10, 11, 0)):
            Ticket._cron_sla_scan()
            Ticket._cron_sla_scan()
        with freeze_time(datetime(2026, 3, 11, 11, 0)):
            Ticket._cron_sla_scan()
        self.assertTrue(late.sla_breached)
        self.assertFalse(answered.sla_breached)
        escalations = self._activities(late, "kf_dispatch.mail_activity_type_kf_ticket_sla")
        self.assertEqual(len(escalations), 1, "one escalation only")
        self.assertEqual(escalations.user_id, self.manager)
        self.assertFalse(self._activities(answered, "kf_dispatch.mail_activity_type_kf_ticket_sla"))

    def test_resolve_plans_return_visit_and_visit_closes_ticket(self):
        ticket = self._create_ticket(priority="1")
        with self.assertRaisesRegex(UserError, "resolution"):
            ticket.action_resolve()
        ticket.resolution = "Refrigerant refilled and leak sealed."
        # Thursday 5 March 10:00 + 3 working days (Friday, holiday Monday
        # skipped, Tuesday) -> Wednesday 11 March
        with freeze_time(datetime(2026, 3, 5, 10, 0)):
            ticket.with_user(self.specialist).action_resolve()
        self.assertTrue(ticket.is_resolved)
        self.assertFalse(ticket.is_closed)
        self.assertTrue(ticket.date_resolved)
        visit = ticket.visit_id
        self.assertTrue(visit)
        self.assertEqual(visit.visit_type, "return_visit")
        self.assertEqual(visit.date_planned, date(2026, 3, 11))
        self.assertEqual(visit.source_ref, ticket)
        self.assertEqual(visit.partner_id, self.customer)
        self.assertEqual(visit.user_id, self.specialist)
        visit.write({"outcome": "Customer confirms the room is cool again.", "score": 4})
        visit.with_user(self.specialist).action_done()
        self.assertTrue(ticket.is_closed)
        self.assertEqual(ticket.stage_id, self.env.ref("kf_dispatch.kf_ticket_stage_closed"))
        self.assertEqual(ticket.satisfaction_score, 4)
        self.assertTrue(ticket.date_closed)
        self.assertTrue(ticket.survey_user_input_id, "a satisfaction survey answer is prepared")
        self.assertEqual(ticket.survey_user_input_id.partner_id, self.contact)
        self.assertTrue(ticket.survey_url)

    def test_major_complaint_needs_manager_review(self):
        ticket = self._create_ticket(priority="2", resolution="Engineer replaced; apology letter sent.")
        self.assertTrue(ticket.manager_review_required)
        ticket.action_resolve()
        ticket.visit_id.write({"outcome": "OK now", "score": 3})
        ticket.visit_id.action_done()
        self.assertFalse(ticket.is_closed, "waits for the manager's review")
        review = self._activities(ticket, "kf_dispatch.mail_activity_type_kf_ticket_review")
        self.assertEqual(review.user_id, self.manager)
        with self.assertRaisesRegex(UserError, "reviewed"):
            ticket.action_close()
        with self.assertRaisesRegex(UserError, "reviewed"):
            ticket.stage_id = self.env.ref("kf_dispatch.kf_ticket_stage_closed")
        with self.assertRaises(UserError):
            ticket.with_user(self.specialist).action_manager_review()
        ticket.with_user(self.manager).action_manager_review()
        self.assertTrue(ticket.manager_reviewed)
        self.assertTrue(ticket.is_closed)
        self.assertEqual(ticket.satisfaction_score, 3)
        self.assertFalse(self._activities(ticket, "kf_dispatch.mail_activity_type_kf_ticket_review"))

    def test_kanban_stage_moves_run_the_checks(self):
        ticket = self._create_ticket(ticket_type="repair")
        resolved = self.env.ref("kf_dispatch.kf_ticket_stage_resolved")
        with self.assertRaisesRegex(UserError, "resolution"):
            ticket.stage_id = resolved
        ticket.write({"stage_id": resolved.id, "resolution": "Fan motor replaced."})
        self.assertEqual(ticket.stage_id, resolved)
        self.assertTrue(ticket.visit_id, "moving to Resolved plans the return visit")
        ticket.stage_id = self.env.ref("kf_dispatch.kf_ticket_stage_closed")
        self.assertTrue(ticket.is_closed)
        self.assertTrue(ticket.date_closed)

    def test_close_requires_resolution(self):
        ticket = self._create_ticket(ticket_type="enquiry")
        with self.assertRaisesRegex(UserError, "resolution"):
            ticket.action_close()
        ticket.resolution = "Answered by phone."
        ticket.action_close()
        self.assertTrue(ticket.is_closed)
        ticket.action_reopen()
        self.assertFalse(ticket.is_closed)
        self.assertFalse(ticket.date_closed)

    def test_repair_creates_work_order(self):
        ticket = self._create_ticket(ticket_type="repair", project_id=self.project.id, priority="2")
        action = ticket.action_create_order()
        context = action["context"]
        self.assertEqual(context["default_ticket_id"], ticket.id)
        self.assertEqual(context["default_project_id"], self.project.id)
        order = self.env["kf.dispatch.order"].with_context(**context).create({"company_id": self.company.id})
        self.assertEqual(order.ticket_id, ticket)
        self.assertEqual(order.partner_id, self.customer)
        self.assertEqual(order.priority, "1")
        self.assertIn(ticket.name, order.work_content)
        self.assertEqual(ticket.order_count, 1)

    def test_portal_access_url_and_rules(self):
        ticket = self._create_ticket()
        self.assertEqual(ticket.access_url, f"/my/kf-tickets/{ticket.id}")
        other = self.env["res.partner"].create({"name": "Other Co", "is_company": True})
        other_ticket = self._create_ticket(partner_id=other.id, contact_id=False, user_id=self.manager.id)
        visible = self.Ticket.with_user(self.specialist).search([("id", "in", (ticket | other_ticket).ids)])
        self.assertEqual(visible, ticket)
        portal_user = self.env["res.users"].create(
            {
                "name": "Zhang Wei portal",
                "login": "dsp_portal_zhang",
                "partner_id": self.contact.id,
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
                "company_id": self.company.id,
                "company_ids": [(6, 0, [self.company.id])],
            }
        )
        visible = self.Ticket.with_user(portal_user).search([])
        self.assertEqual(visible, ticket)


@tagged("post_install", "-at_install")
class TestTicketBatchCreate(KfDispatchCommon):
    """Tickets created in one ``create`` leave what one create per ticket
    leaves (followers, acknowledgement, assignment notice), for fewer
    queries per ticket."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.specialist_2 = new_test_user(
            cls.env,
            "dsp_specialist_2",
            groups="kf_customer_service.group_kf_specialist",
            name="Second Specialist",
            company_id=cls.company.id,
            company_ids=[Command.set([cls.company.id])],
        )

    def _vals(self, count):
        return [
            {
                "subject": f"Fault {i}",
                "ticket_type": "repair",
                "partner_id": self.customer.id,
                "contact_id": self.contact.id if i % 2 else False,
                "user_id": (self.specialist, self.specialist_2)[i % 2].id,
                "company_id": self.company.id,
            }
            for i in range(count)
        ]

    def _facts(self, tickets):
        facts = []
        # the e-mails of a message are read as superuser
        for ticket in tickets.sudo():
            messages = ticket.message_ids.sorted("id")
            facts.append(
                (
                    sorted(ticket.message_follower_ids.mapped(lambda f: (f.partner_id.id, tuple(f.subtype_ids.ids)))),
                    [(m.message_type, m.subtype_id.id, m.author_id.id, tuple(m.partner_ids.ids)) for m in messages],
                    # who is notified how (a batch queues its e-mails where a
                    # single create may send and delete them at once)
                    [sorted((n.res_partner_id.id, n.notification_type) for n in m.notification_ids) for m in messages],
                )
            )
        return facts

    def test_batch_create_same_followers_and_mails_fewer_queries(self):
        clerk = self.clerk
        self.assertFalse(clerk.has_group("kf_customer_service.group_kf_specialist"), "the clerk is no specialist")
        # the chatter as in production (the fixtures disable tracking)
        Ticket = self.env["kf.ticket"].with_user(clerk).with_company(self.company).with_context(tracking_disable=False)
        with freeze_time(datetime(2026, 3, 2, 9, 0)):
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            singles = Ticket.browse([Ticket.create(vals).id for vals in self._vals(10)])
            self.env.flush_all()
            single_queries = self.env.cr.sql_log_count - before
            before = self.env.cr.sql_log_count
            batch = Ticket.create(self._vals(10))
            self.env.flush_all()
            batch_queries = self.env.cr.sql_log_count - before
        self.assertEqual(batch.mapped("sla_deadline"), singles.mapped("sla_deadline"))
        self.assertEqual(self._facts(batch), self._facts(singles))
        for ticket in batch:
            self.assertIn(ticket.user_id.partner_id, ticket.message_partner_ids, "the handler follows the ticket")
        acknowledged = batch.filtered("contact_id")
        self.assertTrue(acknowledged)
        for ticket in acknowledged:
            self.assertIn(ticket.contact_id, ticket.message_ids.partner_ids, "the contact is acknowledged")
        self.assertLess(batch_queries, single_queries * 0.6, "a batch costs fewer queries per ticket")
