from datetime import datetime

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.kf_customer_service.tests.common import create_test_calendar


class KfDispatchCommon(TransactionCase):
    """Fixtures of the kf_dispatch tests: a company working Monday to Friday
    8-12 and 13-17 (UTC) with one public holiday, a manager, a specialist, a
    clerk, an executor (plain employee), a customer with a contact and a
    project."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.calendar = create_test_calendar(cls.env)
        cls.company = cls.env["res.company"].create(
            {"name": "KF Dispatch Test Company", "resource_calendar_id": cls.calendar.id}
        )
        cls.calendar.company_id = cls.company
        # Monday 9 March 2026 is a public holiday (no resource)
        cls.holiday = cls.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": cls.calendar.id,
                "company_id": cls.company.id,
                "resource_id": False,
                "date_from": datetime(2026, 3, 9, 0, 0),
                "date_to": datetime(2026, 3, 9, 23, 59, 59),
            }
        )
        user_vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        cls.manager = new_test_user(
            cls.env,
            "dsp_manager",
            groups="kf_customer_service.group_kf_manager,project.group_project_user",
            name="Dispatch Manager",
            **user_vals,
        )
        cls.specialist = new_test_user(
            cls.env,
            "dsp_specialist",
            groups="kf_customer_service.group_kf_specialist",
            name="Dispatch Specialist",
            **user_vals,
        )
        cls.clerk = new_test_user(
            cls.env,
            "dsp_clerk",
            groups="kf_customer_service.group_kf_clerk",
            name="Dispatch Clerk",
            **user_vals,
        )
        cls.executor = new_test_user(
            cls.env,
            "dsp_executor",
            groups="base.group_user",
            name="Field Engineer",
            **user_vals,
        )
        cls.company.kf_manager_id = cls.manager
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Shanghai Test Property Ltd",
                "is_company": True,
                "company_id": cls.company.id,
                "street": "88 Century Avenue",
                "city": "Shanghai",
                "email": "service@customer.example.com",
                "kf_specialist_id": cls.specialist.id,
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Zhang Wei",
                "parent_id": cls.customer.id,
                "email": "zhang.wei@customer.example.com",
                "mobile": "13800138001",
            }
        )
        cls.project = cls.env["project.project"].create(
            {"name": "HVAC maintenance 2026", "partner_id": cls.customer.id, "company_id": cls.company.id}
        )
        cls.team = cls.env["kf.dispatch.team"].create(
            {
                "name": "HVAC team",
                "company_id": cls.company.id,
                "member_ids": [Command.link(cls.executor.id)],
            }
        )
        cls.env["kf.ticket.sla"].create(
            [
                {"ticket_type": ticket_type, "company_id": cls.company.id, "reply_days": 1.0}
                for ticket_type in ("complaint", "repair", "enquiry", "suggestion")
            ]
        )
        cls.Order = cls.env["kf.dispatch.order"].with_company(cls.company)
        cls.Ticket = cls.env["kf.ticket"].with_company(cls.company)

    @classmethod
    def _create_order(cls, **vals):
        values = {
            "partner_id": cls.customer.id,
            "project_id": cls.project.id,
            "work_content": "Replace the chiller compressor",
            "user_id": cls.executor.id,
            "team_id": cls.team.id,
            "company_id": cls.company.id,
        }
        values.update(vals)
        return cls.Order.create(values)

    @classmethod
    def _create_ticket(cls, **vals):
        values = {
            "subject": "Air conditioner not cooling",
            "ticket_type": "complaint",
            "partner_id": cls.customer.id,
            "contact_id": cls.contact.id,
            "company_id": cls.company.id,
        }
        values.update(vals)
        return cls.Ticket.create(values)
