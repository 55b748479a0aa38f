from datetime import date, datetime

from odoo import Command
from odoo.tests import HttpCase, freeze_time, new_test_user, tagged
from odoo.tools.misc import format_datetime

from .common import KfDispatchCommon


class KfChinaCalendarCommon(KfDispatchCommon):
    """The dispatch fixtures in a company working on the China calendar
    (Asia/Shanghai, 08:30-17:30, 2026 public holidays and make-up days)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.china_calendar = cls.env.ref("kf_customer_service.resource_calendar_china").copy(
            {"company_id": cls.company.id}
        )
        cls.company.resource_calendar_id = cls.china_calendar
        cls.contact.tz = "Asia/Shanghai"


@tagged("post_install", "-at_install")
class TestSlaChinaCalendar(KfChinaCalendarCommon):
    def test_make_up_saturday_counts_in_the_sla(self):
        # Friday 13 February 2026 10:00 in Shanghai (02:00 UTC): 6.5 working
        # hours on Friday, Saturday 14 is a make-up working day -> 10:00 there
        self.assertIn(date(2026, 2, 14), self.company.kf_working_dates(date(2026, 2, 14), date(2026, 2, 14)))
        with freeze_time(datetime(2026, 2, 13, 2, 0)):
            ticket = self._create_ticket()
        self.assertEqual(ticket.sla_deadline, datetime(2026, 2, 14, 2, 0))

    def test_deadlines_follow_calendar_holiday_and_sla_changes(self):
        with freeze_time(datetime(2026, 3, 2, 1, 30)):  # Monday 09:30 in Shanghai
            ticket = self._create_ticket()
            closed = self._create_ticket(subject="Closed one")
        closed.sudo().write({"stage_id": self.env.ref("kf_dispatch.kf_ticket_stage_cancelled").id})
        closed_deadline = closed.sla_deadline
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 3, 1, 30))
        # Tuesday 3 March becomes a public holiday -> Wednesday
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Company anniversary",
                "calendar_id": self.china_calendar.id,
                "date_from": datetime(2026, 3, 2, 16, 0),
                "date_to": datetime(2026, 3, 3, 15, 59, 59),
            }
        )
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 4, 1, 30))
        # the SLA rule becomes two working days -> Thursday
        self.env["kf.ticket.sla"].search(
            [("company_id", "=", self.company.id), ("ticket_type", "=", "complaint")]
        ).reply_days = 2.0
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 5, 1, 30))
        # the schedule changes: Wednesday off -> Friday
        self.china_calendar.attendance_ids.filtered(lambda a: a.dayofweek == "2").unlink()
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 6, 1, 30))
        # a make-up working day on Saturday 7 is not reached by this deadline,
        # but Wednesday back as a make-up day is
        self.env["kf.calendar.workday"].create(
            {"name": "Make-up", "date": date(2026, 3, 4), "calendar_id": self.china_calendar.id}
        )
        self.assertEqual(ticket.sla_deadline, datetime(2026, 3, 5, 1, 30))
        self.assertEqual(closed.sla_deadline, closed_deadline, "closed tickets keep their deadline")

    def test_deadlines_computed_in_batch(self):
        Ticket = self.Ticket.sudo()

        def queries(count):
            with freeze_time(datetime(2026, 3, 2, 1, 30)):
                tickets = Ticket.create(
                    [
                        {
                            "subject": f"Batch {i}",
                            "ticket_type": ("complaint", "repair")[i % 2],
                            "partner_id": self.customer.id,
                            "company_id": self.company.id,
                        }
                        for i in range(count)
                    ]
                )
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            self.env.add_to_compute(Ticket._fields["sla_deadline"], tickets)
            tickets._recompute_recordset(["sla_deadline"])
            self.env.flush_all()
            return self.env.cr.sql_log_count - start, tickets

        few, _tickets = queries(3)
        many, tickets = queries(40)
        self.assertEqual(many, few, "the deadline computation does not query per ticket")
        self.assertEqual(set(tickets.mapped("sla_deadline")), {datetime(2026, 3, 3, 1, 30)})


@tagged("post_install", "-at_install")
class TestSlaDeadlineShownAlike(KfChinaCalendarCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env,
            "kf_portal_sla",
            groups="base.group_portal",
            partner_id=cls.contact.id,
            company_id=cls.company.id,
            company_ids=[Command.set([cls.company.id])],
        )

    def test_form_mail_and_portal_show_the_same_deadline(self):
        with freeze_time(datetime(2026, 2, 13, 2, 0)):
            ticket = self._create_ticket(subject="Chiller alarm SLA1")
        self.assertEqual(ticket.sla_deadline, datetime(2026, 2, 14, 2, 0))
        # the form shows the stored instant in the viewer's time zone
        form = format_datetime(self.env, ticket.sla_deadline, tz="Asia/Shanghai", dt_format="short")
        self.assertIn("10:00", form)
        shown = ticket.kf_sla_deadline_display(self.contact)
        self.assertTrue(shown.startswith(form))
        mail = ticket.message_ids.filtered(lambda m: ticket.name in (m.subject or ""))
        self.assertEqual(len(mail), 1)
        self.assertIn(shown, str(mail.body))
        self.authenticate("kf_portal_sla", "kf_portal_sla")
        page = self.url_open(f"/my/kf-tickets/{ticket.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(shown, page.text)
