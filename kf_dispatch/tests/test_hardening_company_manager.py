from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import KfDispatchCommon

MANAGER_GROUP = "kf_customer_service.group_kf_manager"


@tagged("post_install", "-at_install")
class TestHardeningCompanyManager(KfDispatchCommon):
    """SLA escalations of a second company go to that company's manager, who
    can open those tickets; and a customer with tickets, problems or work
    orders (even without contracts) cannot be deleted, so those records keep
    their customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create(
            {"name": "KF Dispatch Company B", "resource_calendar_id": cls.calendar.id}
        )
        cls.manager_b = new_test_user(
            cls.env,
            "dsp_manager_b",
            groups=MANAGER_GROUP,
            name="Dispatch Manager B",
            company_id=cls.company_b.id,
            company_ids=[Command.set([cls.company_b.id])],
        )
        cls.customer_b = cls.env["res.partner"].create(
            {"name": "Company B Customer", "is_company": True, "company_id": cls.company_b.id}
        )
        cls.contact_deleter = new_test_user(
            cls.env,
            "dsp_contact_deleter",
            groups="base.group_user,base.group_partner_manager",
            company_id=cls.company.id,
            company_ids=[Command.set([cls.company.id, cls.company_b.id])],
        )

    def test_sla_escalation_goes_to_company_manager(self):
        with freeze_time(datetime(2026, 3, 2, 9, 0)):
            ticket = (
                self.env["kf.ticket"]
                .with_company(self.company_b)
                .create(
                    {
                        "subject": "Leak in company B",
                        "ticket_type": "repair",
                        "partner_id": self.customer_b.id,
                        "company_id": self.company_b.id,
                    }
                )
            )
        self.assertEqual(self.company.kf_get_manager(), self.manager)
        self.assertFalse(
            ticket.with_user(self.manager)
            .with_context(allowed_company_ids=self.manager.company_ids.ids)
            .has_access("read")
        )
        with freeze_time(datetime(2026, 3, 20, 9, 0)):
            self.env["kf.ticket"]._cron_sla_scan()
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "kf.ticket"),
                ("res_id", "=", ticket.id),
                ("activity_type_id", "=", self.env.ref("kf_dispatch.mail_activity_type_kf_ticket_sla").id),
            ]
        )
        self.assertEqual(activities.user_id, self.manager_b)

    def test_customer_with_tickets_or_problems_not_deleted(self):
        self.assertTrue(self.customer_b.with_user(self.contact_deleter).has_access("unlink"))
        ticketed = self.env["res.partner"].create({"name": "Ticket Only", "is_company": True})
        self._create_ticket(partner_id=ticketed.id, contact_id=False)
        with self.assertRaisesRegex(UserError, "tickets"):
            ticketed.with_user(self.contact_deleter).unlink()
        problem_only = self.env["res.partner"].create({"name": "Problem Only", "is_company": True})
        self.env["kf.problem"].create(
            {"problem_type": "quality", "partner_id": problem_only.id, "company_id": self.company.id}
        )
        with self.assertRaisesRegex(UserError, "problems"):
            problem_only.with_user(self.contact_deleter).unlink()
        with self.assertRaisesRegex(UserError, "work orders"):
            order = self._create_order()
            order.partner_id.with_user(self.contact_deleter).unlink()
        fresh = self.env["res.partner"].create({"name": "No History", "is_company": True})
        fresh.with_user(self.contact_deleter).unlink()
        self.assertFalse(fresh.exists())
