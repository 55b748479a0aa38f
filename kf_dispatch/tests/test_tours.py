from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestFlowTours(HttpCase):
    """The main flows walked in the browser (Odoo's tour framework; skipped
    with one line where Chromium is missing): a work order dispatched by the
    specialist, executed by the engineer and accepted by the customer on the
    portal; a ticket replied to, resolved, followed by its return visit and
    closed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        lang = "zh_CN" if cls.env["res.lang"]._lang_get("zh_CN") else "en_US"
        cls.specialist = new_test_user(
            cls.env, "kf_tour_spec", groups="kf_customer_service.group_kf_specialist", name="KF Spec", lang=lang
        )
        cls.executor = new_test_user(
            cls.env, "kf_tour_eng", groups="base.group_user,project.group_project_user", name="KF Eng", lang=lang
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "KF Tour Customer", "is_company": True, "kf_specialist_id": cls.specialist.id}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "KF Tour Contact", "parent_id": cls.customer.id, "email": "contact@tour.example.com"}
        )
        new_test_user(cls.env, "kf_tour_portal", groups="base.group_portal", partner_id=cls.contact.id, lang=lang)
        cls.project = cls.env["project.project"].create({"name": "KF Tour Project", "partner_id": cls.customer.id})

    def test_work_order_flow(self):
        now = fields.Datetime.now()
        order = self.env["kf.dispatch.order"].create(
            {
                "partner_id": self.customer.id,
                "project_id": self.project.id,
                "user_id": self.executor.id,
                "address": "上海市浦东新区世纪大道88号",
                "work_content": "更换冷水机组压缩机",
                "date_planned_start": now + timedelta(hours=1),
                "date_planned_end": now + timedelta(hours=5),
            }
        )
        url = f"/odoo/action-kf_dispatch.kf_dispatch_order_action/{order.id}"
        self.start_tour(url, "kf_dispatch_order_dispatch_tour", login="kf_tour_spec")
        self.assertEqual(order.state, "dispatched")
        self.start_tour(url, "kf_dispatch_order_execute_tour", login="kf_tour_eng")
        self.assertEqual(order.state, "done")
        self.start_tour(order.get_portal_url(), "kf_dispatch_order_portal_accept_tour", login="kf_tour_portal")
        self.assertEqual(order.state, "closed")
        self.assertTrue(order.customer_signature)

    def test_ticket_flow(self):
        ticket = self.env["kf.ticket"].create(
            {
                "subject": "空调不制冷",
                "ticket_type": "complaint",
                "priority": "1",
                "partner_id": self.customer.id,
                "contact_id": self.contact.id,
                "user_id": self.specialist.id,
            }
        )
        url = f"/odoo/action-kf_dispatch.kf_ticket_action/{ticket.id}"
        self.start_tour(url, "kf_ticket_flow_tour", login="kf_tour_spec")
        self.assertTrue(ticket.first_reply_date)
        self.assertEqual(ticket.visit_id.state, "done")
        self.assertTrue(ticket.is_closed)
        self.assertEqual(ticket.satisfaction_score, 5)
