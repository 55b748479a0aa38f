import re

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import KfDispatchCommon

# 1x1 transparent PNG, base64 as sent by the signature widget
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@tagged("post_install", "-at_install")
class TestDispatchPortal(KfDispatchCommon, HttpCase):
    """Customer portal of work orders and tickets: two customers, each with a
    portal user, must only see and act on their own company's records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        cls.customer_b = cls.env["res.partner"].create(
            {
                "name": "Beijing Other Estate Ltd",
                "is_company": True,
                "company_id": cls.company.id,
                "street": "1 Chang'an Avenue",
                "city": "Beijing",
            }
        )
        cls.contact_b = cls.env["res.partner"].create({"name": "Wang Fang", "parent_id": cls.customer_b.id})
        cls.portal_a = new_test_user(
            cls.env,
            "kf_portal_dsp_a",
            groups="base.group_portal",
            partner_id=cls.contact.id,
            name="Zhang Wei",
            **company_vals,
        )
        cls.portal_b = new_test_user(
            cls.env,
            "kf_portal_dsp_b",
            groups="base.group_portal",
            partner_id=cls.contact_b.id,
            name="Wang Fang",
            **company_vals,
        )
        cls.ticket_a = cls._create_ticket(subject="Chiller noise PXA1")
        cls.ticket_b = cls._create_ticket(
            subject="Lift stuck PXB1", partner_id=cls.customer_b.id, contact_id=cls.contact_b.id
        )
        cls.order_a = cls._done_order(line_ids=[Command.create({"name": "Chiller compressor PXEQ", "quantity": 1})])
        cls.order_b = cls._done_order(partner_id=cls.customer_b.id)
        cls.order_a_draft = cls._create_order()

    @classmethod
    def _done_order(cls, **vals):
        order = cls._create_order(**vals)
        order.action_dispatch()
        order.action_start()
        order.completion_note = "Compressor replaced PXNOTE"
        order.action_done()
        return order

    def _csrf_token(self, url="/my/kf-tickets/new"):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        self.assertTrue(match, "the form carries a CSRF token")
        return match.group(1)

    def _portal_tickets(self, subject):
        return self.env["kf.ticket"].sudo().search([("subject", "=", subject)])

    # ------------------------------------------------------------------
    # Home and lists
    # ------------------------------------------------------------------
    def test_home_counters(self):
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        response = self.url_open("/my")
        self.assertEqual(response.status_code, 200)
        self.assertIn("/my/kf-orders", response.text)
        self.assertIn("/my/kf-tickets", response.text)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["kf_order_count", "kf_ticket_count"]})
        self.assertEqual(counters["kf_order_count"], 1, "the draft order is not shown")
        self.assertEqual(counters["kf_ticket_count"], 1)

    def test_ticket_list_and_detail(self):
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        response = self.url_open("/my/kf-tickets")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.ticket_a.name, response.text)
        self.assertIn("Chiller noise PXA1", response.text)
        self.assertNotIn(self.ticket_b.name, response.text)
        self.assertNotIn("Lift stuck PXB1", response.text)

        response = self.url_open("/my/kf-tickets?sortby=stage&filterby=open")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.ticket_a.name, response.text)

        response = self.url_open(f"/my/kf-tickets/{self.ticket_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Chiller noise PXA1", response.text)
        self.assertIn("o_portal_chatter", response.text)
        self.assertIn("Reply expected by", response.text, "the SLA deadline is shown")

    def test_ticket_of_other_customer_refused(self):
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        response = self.url_open(f"/my/kf-tickets/{self.ticket_b.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303, 403, 404))
        self.assertNotIn("Lift stuck PXB1", response.text)
        response = self.url_open(f"/my/kf-tickets/{self.ticket_b.id}")
        self.assertNotIn("Lift stuck PXB1", response.text)
        response = self.url_open("/my/kf-tickets/999999999", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303, 403, 404))

    def test_closed_ticket_shows_survey_link(self):
        self.ticket_a.resolution = "Fan bearing replaced."
        self.ticket_a.action_close()
        self.assertTrue(self.ticket_a.survey_url)
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        response = self.url_open(f"/my/kf-tickets/{self.ticket_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("kf_ticket_survey", response.text)
        self.assertIn(self.ticket_a.survey_user_input_id.access_token, response.text)

    # ------------------------------------------------------------------
    # New ticket
    # ------------------------------------------------------------------
    def test_new_ticket_with_attachment(self):
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        csrf_token = self._csrf_token()
        response = self.url_open(
            "/my/kf-tickets/new",
            data={
                "csrf_token": csrf_token,
                "ticket_type": "repair",
                "subject": "Water leak PXNEW",
                "description": "Ceiling of room 301\nsince this morning",
                "project_id": str(self.project.id),
            },
            files=[("attachments", ("leak.jpg", b"\xff\xd8\xff\xe0 fake jpeg", "image/jpeg"))],
        )
        self.assertEqual(response.status_code, 200)
        ticket = self._portal_tickets("Water leak PXNEW")
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.channel, "portal")
        self.assertEqual(ticket.ticket_type, "repair")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.contact_id, self.contact)
        self.assertEqual(ticket.project_id, self.project)
        self.assertEqual(ticket.company_id, self.company)
        self.assertIn("room 301", ticket.description)
        self.assertIn(f"/my/kf-tickets/{ticket.id}", response.url)
        attachments = (
            self.env["ir.attachment"].sudo().search([("res_model", "=", "kf.ticket"), ("res_id", "=", ticket.id)])
        )
        self.assertEqual(attachments.mapped("name"), ["leak.jpg"])
        self.assertIn("leak.jpg", response.text, "the attachment is listed on the ticket page")
        self.assertIn(self.contact, ticket.message_partner_ids, "the customer follows the ticket")

    def test_new_ticket_refuses_executable(self):
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        csrf_token = self._csrf_token()
        response = self.url_open(
            "/my/kf-tickets/new",
            data={"csrf_token": csrf_token, "ticket_type": "complaint", "subject": "Bad smell PXEXE"},
            files=[("attachments", ("setup.EXE", b"MZ fake", "application/octet-stream"))],
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("executable files and scripts", response.text)
        self.assertIn("setup.EXE", response.text)
        self.assertIn('value="Bad smell PXEXE"', response.text, "the typed subject is kept")
        self.assertFalse(self._portal_tickets("Bad smell PXEXE"))

    def test_new_ticket_refuses_large_file(self):
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        csrf_token = self._csrf_token()
        response = self.url_open(
            "/my/kf-tickets/new",
            data={
                "csrf_token": csrf_token,
                "ticket_type": "repair",
                "subject": "Broken pump PXBIG",
                "description": "Pump room B2 PXDESC",
            },
            files=[("attachments", ("video.mp4", b"0" * (10 * 1024 * 1024 + 1), "video/mp4"))],
            timeout=60,
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("too large", response.text)
        self.assertIn('value="Broken pump PXBIG"', response.text)
        self.assertIn("Pump room B2 PXDESC", response.text)
        self.assertFalse(self._portal_tickets("Broken pump PXBIG"))

    def test_new_ticket_requires_subject(self):
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        csrf_token = self._csrf_token()
        count = self.env["kf.ticket"].sudo().search_count([])
        response = self.url_open(
            "/my/kf-tickets/new",
            data={"csrf_token": csrf_token, "ticket_type": "repair", "subject": " ", "description": "PXNOSUBJ"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Please enter a subject.", response.text)
        self.assertIn("PXNOSUBJ", response.text)
        self.assertEqual(self.env["kf.ticket"].sudo().search_count([]), count)

    def test_new_ticket_refuses_other_customer_project(self):
        project_b = self.env["project.project"].create(
            {"name": "Other estate PXPRJ", "partner_id": self.customer_b.id, "company_id": self.company.id}
        )
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        response = self.url_open("/my/kf-tickets/new")
        self.assertIn("HVAC maintenance 2026", response.text)
        self.assertNotIn("Other estate PXPRJ", response.text)
        csrf_token = self._csrf_token()
        response = self.url_open(
            "/my/kf-tickets/new",
            data={
                "csrf_token": csrf_token,
                "ticket_type": "repair",
                "subject": "Wrong project PXWP",
                "project_id": str(project_b.id),
            },
        )
        self.assertIn("Please choose one of your projects.", response.text)
        self.assertFalse(self._portal_tickets("Wrong project PXWP"))

    # ------------------------------------------------------------------
    # Work orders and acceptance
    # ------------------------------------------------------------------
    def test_order_list_and_detail(self):
        Attachment = self.env["ir.attachment"]
        link = {"res_model": "kf.dispatch.order", "res_id": self.order_a.id}
        public = Attachment.create({"name": "site-photo-px.jpg", "raw": b"jpeg", **link})
        secret = Attachment.create({"name": "internal-cost-px.pdf", "raw": b"%PDF", **link})
        self.order_a.message_post(
            body="Photo", message_type="comment", subtype_xmlid="mail.mt_comment", attachment_ids=public.ids
        )
        self.order_a.message_post(body="Cost", subtype_xmlid="mail.mt_note", attachment_ids=secret.ids)
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        response = self.url_open("/my/kf-orders")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.order_a.name, response.text)
        self.assertNotIn(self.order_b.name, response.text)
        self.assertNotIn(self.order_a_draft.name, response.text)
        response = self.url_open("/my/kf-orders?sortby=state&filterby=done")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.order_a.name, response.text)

        response = self.url_open(f"/my/kf-orders/{self.order_a.id}")
        self.assertEqual(response.status_code, 200)
        for text in (
            self.order_a.name,
            "HVAC maintenance 2026",
            "Field Engineer",
            "Replace the chiller compressor",
            "Chiller compressor PXEQ",
            "Compressor replaced PXNOTE",
            "kf_order_accept",
            "portal.signature_form",
            "o_portal_chatter",
            "site-photo-px.jpg",
        ):
            self.assertIn(text, response.text)
        self.assertNotIn("internal-cost-px.pdf", response.text, "attachments of internal notes stay internal")

    def test_order_of_other_customer_refused(self):
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        for order in (self.order_b, self.order_a_draft):
            response = self.url_open(f"/my/kf-orders/{order.id}", allow_redirects=False)
            self.assertIn(response.status_code, (302, 303, 403, 404))
            self.assertNotIn(order.name, response.text)

    def test_accept_order_with_signature(self):
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        result = self.make_jsonrpc_request(
            f"/my/kf-orders/{self.order_a.id}/accept", {"name": "  ", "signature": PNG_B64}
        )
        self.assertIn("error", result)
        result = self.make_jsonrpc_request(f"/my/kf-orders/{self.order_a.id}/accept", {"name": "Zhang Wei"})
        self.assertIn("error", result)
        self.assertEqual(self.order_a.state, "done")

        result = self.make_jsonrpc_request(
            f"/my/kf-orders/{self.order_a.id}/accept", {"name": "Zhang Wei", "signature": PNG_B64}
        )
        self.assertNotIn("error", result)
        self.assertIn(f"/my/kf-orders/{self.order_a.id}", result["redirect_url"])
        self.order_a.invalidate_recordset()
        self.assertEqual(self.order_a.state, "closed")
        self.assertEqual(self.order_a.customer_signed_by, "Zhang Wei")
        self.assertTrue(self.order_a.customer_signature)
        self.assertTrue(self.order_a.certificate_attachment_ids)
        signed_message = self.order_a.message_ids.filtered(lambda m: "Zhang Wei" in (m.body or ""))
        self.assertEqual(signed_message[:1].author_id, self.contact, "signed in the customer's name")

        # accepted once only
        result = self.make_jsonrpc_request(
            f"/my/kf-orders/{self.order_a.id}/accept", {"name": "Zhang Wei", "signature": PNG_B64}
        )
        self.assertIn("error", result)

        response = self.url_open(f"/my/kf-orders/{self.order_a.id}?message=sign_ok")
        self.assertIn("kf_order_signature", response.text)
        self.assertNotIn("kf_order_accept", response.text)

    def test_other_customer_cannot_accept(self):
        self.authenticate("kf_portal_dsp_b", "kf_portal_dsp_b")
        result = self.make_jsonrpc_request(
            f"/my/kf-orders/{self.order_a.id}/accept", {"name": "Wang Fang", "signature": PNG_B64}
        )
        self.assertIn("error", result)
        self.order_a.invalidate_recordset()
        self.assertEqual(self.order_a.state, "done")
        self.assertFalse(self.order_a.customer_signed_by)

    # ------------------------------------------------------------------
    # Chatter
    # ------------------------------------------------------------------
    def _post_on_ticket(self, ticket, body):
        return self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "kf.ticket",
                "thread_id": ticket.id,
                "post_data": {"body": body, "message_type": "comment", "subtype_xmlid": "mail.mt_comment"},
            },
        )

    def test_customer_posts_message_on_ticket(self):
        self.authenticate("kf_portal_dsp_a", "kf_portal_dsp_a")
        self._post_on_ticket(self.ticket_a, "Still noisy PXMSG")
        message = self.ticket_a.message_ids.filtered(lambda m: "PXMSG" in (m.body or ""))
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.contact)
        self.assertFalse(self.ticket_a.first_reply_date, "a customer's message is not the first reply")

        self.authenticate("kf_portal_dsp_b", "kf_portal_dsp_b")
        with self.assertRaises(JsonRpcException):
            self._post_on_ticket(self.ticket_a, "Intrusion PXINTR")
        self.assertFalse(self.ticket_a.message_ids.filtered(lambda m: "PXINTR" in (m.body or "")))
