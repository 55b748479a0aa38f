from datetime import datetime

from odoo.tests import freeze_time, tagged

from .common import KfDispatchCommon


@tagged("post_install", "-at_install")
class TestCronDomains(KfDispatchCommon):
    """Each scheduled action handles exactly the records of its overridable
    ``_<what>_domain()`` method."""

    def _mine(self, model, domain):
        return self.env[model].search([*domain, ("company_id", "=", self.company.id)])

    def test_sla_domain(self):
        with freeze_time(datetime(2026, 3, 2, 9, 0)):
            late = self._create_ticket()
            answered = self._create_ticket(subject="Noise in the pump room")
            closed = self._create_ticket(subject="Closed enquiry", ticket_type="enquiry", resolution="Answered.")
            closed.action_close()
        answered.sudo().first_reply_date = datetime(2026, 3, 2, 10, 0)
        Ticket = self.env["kf.ticket"]
        now = datetime(2026, 3, 4, 9, 0)
        selected = self._mine("kf.ticket", Ticket._sla_to_escalate_domain(now))
        self.assertEqual(selected, late)
        with freeze_time(now):
            Ticket._cron_sla_scan()
        self.assertEqual(self._mine("kf.ticket", [("sla_escalated", "=", True)]), selected)
        self.assertFalse(self._mine("kf.ticket", Ticket._sla_to_escalate_domain(now)))

    def test_escalation_domains(self):
        self.env["ir.config_parameter"].sudo().set_param("kf_dispatch.ack_hours", "4")
        planned = {"date_planned_start": datetime(2026, 3, 2, 8, 0), "date_planned_end": datetime(2026, 3, 3, 17, 0)}
        undispatched = self._create_order(**planned)
        unacknowledged = self._create_order(
            date_planned_start=datetime(2026, 3, 4, 8, 0), date_planned_end=datetime(2026, 3, 6, 17, 0)
        )
        overdue = self._create_order(**planned)
        recent = self._create_order(
            date_planned_start=datetime(2026, 3, 4, 8, 0), date_planned_end=datetime(2026, 3, 6, 17, 0)
        )
        with freeze_time(datetime(2026, 3, 2, 9, 0)):
            (unacknowledged | overdue).action_dispatch()
            overdue.action_acknowledge()
        with freeze_time(datetime(2026, 3, 4, 8, 30)):
            recent.action_dispatch()
        Order = self.env["kf.dispatch.order"]
        now = datetime(2026, 3, 4, 9, 0)
        self.assertEqual(self._mine(Order._name, Order._escalation_undispatched_domain(now)), undispatched)
        self.assertEqual(self._mine(Order._name, Order._escalation_unacknowledged_domain()), unacknowledged | recent)
        self.assertEqual(
            self._mine(Order._name, Order._escalation_late_ack_domain(self.company, 4, now)), unacknowledged
        )
        self.assertEqual(
            self._mine(Order._name, Order._escalation_overdue_domain(now)), overdue, "a draft is not overdue"
        )
        with freeze_time(now):
            Order._cron_escalation_scan()
        self.assertEqual(self._mine(Order._name, [("dispatch_escalated", "=", True)]), undispatched)
        self.assertEqual(self._mine(Order._name, [("ack_escalated", "=", True)]), unacknowledged)
        self.assertEqual(self._mine(Order._name, [("overdue_escalated", "=", True)]), overdue)
        self.assertFalse(self._mine(Order._name, Order._escalation_late_ack_domain(self.company, 4, now)))
        self.assertFalse(self._mine(Order._name, Order._escalation_overdue_domain(now)))
