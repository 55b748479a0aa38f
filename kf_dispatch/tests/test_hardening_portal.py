import re

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import KfDispatchCommon

TICKET_STAFF_FIELDS = (
    "manager_review_note",
    "manager_reviewed",
    "manager_reviewed_by_id",
    "manager_review_required",
    "sla_breached",
    "sla_escalated",
    "problem_ids",
    "visit_id",
    "satisfaction_score",
    "survey_user_input_id",
    "needs_triage",
)
ORDER_STAFF_FIELDS = (
    "dispatcher_id",
    "completion_note",
    "date_dispatched",
    "date_acknowledged",
    "dispatch_escalated",
    "ack_escalated",
    "overdue_escalated",
    "problem_ids",
    "problem_count",
    "team_id",
    "task_id",
    "certificate_paper_location",
)


@tagged("post_install", "-at_install")
class TestHardeningPortalPrivacy(KfDispatchCommon, HttpCase):
    """A portal customer cannot read the staff-only fields of their own
    tickets and work orders (manager's review note, escalation flags, the
    dispatcher, the completion note, the problem log...) by calling ``read``
    or ``search_read`` over JSON-RPC: the portal pages never show them
    either."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env,
            "kf_hard_portal",
            groups="base.group_portal",
            partner_id=cls.contact.id,
            company_id=cls.company.id,
            company_ids=[Command.set([cls.company.id])],
        )
        cls.ticket = cls._create_ticket(subject="Noise HPX1")
        cls.ticket.sudo().write({"manager_review_note": "Specialist was rude HPXSECRET"})
        cls.order = cls._create_order()
        cls.order.action_dispatch()
        cls.order.action_start()
        cls.order.completion_note = "Compressor replaced HPXNOTE"
        cls.order.action_done()

    def _call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def _assert_portal_user_owns(self, record):
        self.assertTrue(self.portal_user.has_group("base.group_portal"))
        self.assertFalse(self.portal_user.has_group("base.group_user"))
        self.assertEqual(record.commercial_partner_id, self.portal_user.commercial_partner_id)
        # the record itself is readable: only the staff fields are refused
        rows = self._call_kw(record._name, "read", [record.ids, ["name"]])
        self.assertEqual(rows[0]["name"], record.name)

    @mute_logger("odoo.http", "odoo.models")
    def test_portal_rpc_cannot_read_staff_fields_of_ticket(self):
        self.authenticate("kf_hard_portal", "kf_hard_portal")
        self._assert_portal_user_owns(self.ticket)
        for fname in TICKET_STAFF_FIELDS:
            with self.subTest(field=fname), self.assertRaises(JsonRpcException) as error:
                self._call_kw("kf.ticket", "read", [self.ticket.ids, [fname]])
            self.assertEqual(error.exception.args[0], "odoo.exceptions.AccessError")
        rows = self._call_kw("kf.ticket", "search_read", [[("id", "=", self.ticket.id)]])
        self.assertEqual(len(rows), 1)
        self.assertFalse(set(TICKET_STAFF_FIELDS) & set(rows[0]), "search_read omits the staff fields")
        self.assertNotIn("HPXSECRET", str(rows))
        with self.assertRaises(JsonRpcException):
            self._call_kw("kf.ticket", "search", [[("sla_breached", "=", True)]])

    @mute_logger("odoo.http", "odoo.models")
    def test_portal_rpc_cannot_read_staff_fields_of_order(self):
        self.authenticate("kf_hard_portal", "kf_hard_portal")
        self._assert_portal_user_owns(self.order)
        for fname in ORDER_STAFF_FIELDS:
            with self.subTest(field=fname), self.assertRaises(JsonRpcException) as error:
                self._call_kw("kf.dispatch.order", "read", [self.order.ids, [fname]])
            self.assertEqual(error.exception.args[0], "odoo.exceptions.AccessError")
        rows = self._call_kw(
            "kf.dispatch.order", "web_search_read", [[("id", "=", self.order.id)]], {"specification": {"name": {}}}
        )
        self.assertEqual(rows["length"], 1)
        rows = self._call_kw("kf.dispatch.order", "search_read", [[("id", "=", self.order.id)]])
        self.assertFalse(set(ORDER_STAFF_FIELDS) & set(rows[0]), "search_read omits the staff fields")
        self.assertNotIn("HPXNOTE", str(rows))

    def test_portal_pages_still_render(self):
        self.authenticate("kf_hard_portal", "kf_hard_portal")
        for url, text in (
            ("/my", "/my/kf-tickets"),
            ("/my/kf-tickets", "Noise HPX1"),
            (f"/my/kf-tickets/{self.ticket.id}", "Noise HPX1"),
            ("/my/kf-orders", self.order.name),
            (f"/my/kf-orders/{self.order.id}", "HPXNOTE"),
        ):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn(text, response.text)
                self.assertNotIn("HPXSECRET", response.text)
        # closed: the survey link (computed from a staff-only field) is shown
        self.ticket.resolution = "Fan replaced."
        self.ticket.action_close()
        response = self.url_open(f"/my/kf-tickets/{self.ticket.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.ticket.survey_user_input_id.access_token, response.text)
        rows = self._call_kw("kf.ticket", "read", [self.ticket.ids, ["survey_url"]])
        self.assertIn(self.ticket.survey_user_input_id.access_token, rows[0]["survey_url"])

    def test_staff_still_read_the_fields(self):
        self.assertTrue(self.executor.has_group("base.group_user"))
        order = self.order.with_user(self.executor)
        self.assertEqual(order.completion_note, "Compressor replaced HPXNOTE")
        self.assertEqual(order.dispatcher_id, self.env.user)
        ticket = self.ticket.with_user(self.manager)
        self.assertEqual(ticket.manager_review_note, "Specialist was rude HPXSECRET")


@tagged("post_install", "-at_install")
class TestHardeningPortalUploads(KfDispatchCommon, HttpCase):
    """The portal's new-ticket form accepts only allowed file types, judged on
    the real name and content: ``setup.exe.``, ``setup.exe `` (Windows drops
    the trailing dot/space), ``report.pdf.exe``, ``x.exe.pdf``, HTML/SVG pages
    and programs renamed ``.pdf`` are refused, and the size limit is checked
    before the upload."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env,
            "kf_hard_upload",
            groups="base.group_portal",
            partner_id=cls.contact.id,
            company_id=cls.company.id,
            company_ids=[Command.set([cls.company.id])],
        )

    def _csrf_token(self):
        response = self.url_open("/my/kf-tickets/new")
        self.assertEqual(response.status_code, 200)
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def _submit(self, subject, files):
        return self.url_open(
            "/my/kf-tickets/new",
            data={
                "csrf_token": self._csrf_token(),
                "ticket_type": "repair",
                "subject": subject,
                "description": f"Description of {subject}",
                "project_id": str(self.project.id),
            },
            files=[("attachments", file) for file in files],
        )

    def _tickets(self, subject):
        return self.env["kf.ticket"].sudo().search([("subject", "=", subject)])

    def test_dangerous_names_refused(self):
        self.assertFalse(self.portal_user.has_group("base.group_user"))
        self.authenticate("kf_hard_upload", "kf_hard_upload")
        for index, name in enumerate(
            (
                "setup.exe.",
                "setup.exe ",
                "setup.exe. . ",
                "SETUP.EXE",
                "report.pdf.exe",
                "x.exe.pdf",
                "x.EXE .jpg",
                "invoice.html",
                "logo.svg",
                "macro.docm",
                "archive.zip",
                "README",
                "photo\u202egpj.exe",
            )
        ):
            subject = f"Refused upload HUP{index}"
            with self.subTest(name=name):
                response = self._submit(subject, [(name, b"plain bytes", "application/octet-stream")])
                self.assertEqual(response.status_code, 200)
                self.assertIn("was refused", response.text)
                self.assertIn(f'value="{subject}"', response.text, "the typed subject is kept")
                self.assertIn(f"Description of {subject}", response.text, "the description is kept")
                self.assertRegex(response.text, rf'<option value="{self.project.id}"\s+selected')
                self.assertFalse(self._tickets(subject))

    def test_program_renamed_as_document_refused(self):
        self.authenticate("kf_hard_upload", "kf_hard_upload")
        for index, content in enumerate((b"MZ\x90\x00 program", b"\x7fELF binary", b"#!/bin/sh\nrm -rf /")):
            subject = f"Renamed program HUPR{index}"
            response = self._submit(subject, [("scan.pdf", content, "application/pdf")])
            self.assertIn("its content is a program or a script", response.text)
            self.assertFalse(self._tickets(subject))

    def test_allowed_names_normalised(self):
        self.authenticate("kf_hard_upload", "kf_hard_upload")
        response = self._submit(
            "Allowed uploads HUPOK",
            [
                ("Photo.JPG ", b"\xff\xd8\xff\xe0 jpeg", "image/jpeg"),
                ("report v1.2.pdf.", b"%PDF-1.4", "application/pdf"),
                ("list.xlsx", b"PK\x03\x04 xlsx", "application/vnd.ms-excel"),
            ],
        )
        self.assertEqual(response.status_code, 200)
        ticket = self._tickets("Allowed uploads HUPOK")
        self.assertEqual(len(ticket), 1)
        attachments = (
            self.env["ir.attachment"].sudo().search([("res_model", "=", "kf.ticket"), ("res_id", "=", ticket.id)])
        )
        self.assertEqual(sorted(attachments.mapped("name")), ["Photo.JPG", "list.xlsx", "report v1.2.pdf"])

    def test_form_announces_and_checks_limits(self):
        self.authenticate("kf_hard_upload", "kf_hard_upload")
        response = self.url_open("/my/kf-tickets/new")
        self.assertEqual(response.status_code, 200)
        self.assertIn('data-max-size="10485760"', response.text)
        self.assertRegex(response.text, r'accept="[^"]*\.pdf[^"]*\.jpg')
        self.assertNotRegex(response.text, r'accept="[^"]*\.(exe|html|svg)')
        self.assertIn("at most 10 MB per file", re.sub(r"\s+", " ", response.text))
        self.assertIn('id="kf_ticket_upload_error"', response.text)
        # the browser check ships in the frontend bundle
        paths = [path for path, *_rest in self.env["ir.asset"]._get_asset_paths("web.assets_frontend", {})]
        self.assertIn("/kf_dispatch/static/src/js/kf_ticket_upload.js", paths)
