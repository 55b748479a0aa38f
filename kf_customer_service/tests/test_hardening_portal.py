from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException


@tagged("post_install", "-at_install")
class TestHardeningPortal(HttpCase):
    """The portal contract page lists (with a download token) only the files
    the customer may see, never those attached to internal notes, and a
    portal user cannot read the staff-only fields of their contracts (lost
    reason, renewal stage, dunning data, specialist notes) through JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Hardening Portal Customer", "is_company": True})
        cls.contact = Partner.create({"name": "Han Meimei", "parent_id": cls.customer.id})
        cls.portal_user = new_test_user(
            cls.env, "kf_portal_hard", groups="base.group_portal", partner_id=cls.contact.id
        )
        cls.contract = cls.env["kf.service.contract"].create(
            {
                "partner_id": cls.customer.id,
                "date_start": "2026-01-01",
                "date_end": "2026-12-31",
                "state": "running",
                "lost_note": "Customer thinks we are too expensive",
                "payment_line_ids": [
                    Command.create({"name": "Q1 HX", "date_due": "2026-02-01", "amount": 100, "note": "call the CFO"})
                ],
            }
        )
        Attachment = cls.env["ir.attachment"]
        cls.internal_file = Attachment.create(
            {
                "name": "internal-cost-analysis.pdf",
                "raw": b"%PDF-1.4 internal",
                "res_model": "kf.service.contract",
                "res_id": cls.contract.id,
            }
        )
        cls.contract.message_post(
            body="Our margin on this contract", subtype_xmlid="mail.mt_note", attachment_ids=cls.internal_file.ids
        )
        cls.shared_file = Attachment.create(
            {
                "name": "service-report-for-customer.pdf",
                "raw": b"%PDF-1.4 shared",
                "res_model": "kf.service.contract",
                "res_id": cls.contract.id,
            }
        )
        cls.contract.message_post(
            body="Your service report",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=cls.shared_file.ids,
        )

    def _call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def test_internal_note_attachment_hidden(self):
        self.assertTrue(self.portal_user.share)
        self.assertTrue(self.contract.with_user(self.portal_user).has_access("read"))
        internal_notes = self.contract.message_ids.filtered(lambda m: m.subtype_id.internal)
        self.assertIn(self.internal_file, internal_notes.attachment_ids)
        self.authenticate("kf_portal_hard", "kf_portal_hard")
        response = self.url_open(f"/my/service-contracts/{self.contract.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("service-report-for-customer.pdf", response.text)
        self.assertNotIn("internal-cost-analysis.pdf", response.text)
        self.assertFalse(self.internal_file.access_token)
        response = self.url_open(f"/web/content/{self.internal_file.id}?download=true")
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn(b"%PDF-1.4 internal", response.content)
        self.shared_file.invalidate_recordset(["access_token"])
        token = self.shared_file.access_token
        self.assertTrue(token)
        response = self.url_open(f"/web/content/{self.shared_file.id}?download=true&access_token={token}")
        self.assertEqual(response.status_code, 200)

    def test_staff_fields_refused_over_rpc(self):
        self.assertFalse(self.portal_user.has_group("base.group_user"))
        self.authenticate("kf_portal_hard", "kf_portal_hard")
        # the portal user does read their contract and its schedule
        result = self._call_kw("kf.service.contract", "read", [self.contract.ids, ["name", "amount_due"]])
        self.assertEqual(result[0]["name"], self.contract.name)
        line = self.contract.payment_line_ids
        self._call_kw("kf.contract.payment.line", "read", [line.ids, ["name", "amount", "state"]])
        for fname in ("lost_note", "lost_reason_id", "renewal_stage_id", "renewal_date_in"):
            with self.assertRaises(JsonRpcException, msg=fname):
                self._call_kw("kf.service.contract", "read", [self.contract.ids, [fname]])
        for fname in ("note", "dunning_episode_date", "dunning_activity_id", "user_id"):
            with self.assertRaises(JsonRpcException, msg=fname):
                self._call_kw("kf.contract.payment.line", "read", [line.ids, [fname]])
        self._call_kw("res.partner", "read", [self.contact.ids, ["name"]])
        for fname in ("kf_orphan_reason", "kf_specialist_id", "kf_grade"):
            with self.assertRaises(JsonRpcException, msg=fname):
                self._call_kw("res.partner", "read", [self.contact.ids, [fname]])
        # reading "all fields" leaves them out instead of leaking them
        result = self._call_kw("kf.service.contract", "read", [self.contract.ids])
        self.assertNotIn("lost_note", result[0])

    def test_pages_still_render(self):
        self.authenticate("kf_portal_hard", "kf_portal_hard")
        response = self.url_open("/my/service-contracts")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.contract.name, response.text)
        response = self.url_open(f"/my/service-contracts/{self.contract.id}")
        self.assertIn("Q1 HX", response.text)
        self.assertNotIn("call the CFO", response.text)
        self.assertNotIn("too expensive", response.text)
