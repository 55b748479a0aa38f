import re

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .test_service_feedback import PNG_B64, KfServiceCommon


@tagged("post_install", "-at_install")
class TestMobileService(KfServiceCommon, HttpCase):
    """The engineer's phone pages of the quote and the feedback form, over
    HTTP: only the order's executor gets them."""

    def test_quote_page_and_signature(self):
        order = self._repair_order()
        self._quote(order)
        order.action_dispatch()
        order.with_user(self.specialist).action_kf_quote_submit()
        order.with_user(self.manager).action_kf_quote_approve()
        url = f"/kf/m/order/{order.id}/quote"
        self.authenticate("dsp_other_engineer", "dsp_other_engineer")
        self.assertTrue(order.with_user(self.other_engineer).has_access("read"))
        self.assertEqual(self.url_open(url).status_code, 404)
        response = self.url_open(
            f"{url}/sign",
            data='{"jsonrpc": "2.0", "method": "call", "params": {"name": "Zhang Wei", "signature": "x"}}',
            headers={"Content-Type": "application/json"},
        )
        self.assertNotIn("force_refresh", response.text)
        self.assertEqual(order.kf_quote_state, "approved")
        self.authenticate("dsp_executor", "dsp_executor")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Loop card", response.text)
        self.assertIn("kf_modal_quote_sign", response.text)
        result = self.make_jsonrpc_request(f"{url}/sign", {"name": "", "signature": PNG_B64})
        self.assertIn("error", result)
        result = self.make_jsonrpc_request(f"{url}/sign", {"name": "Zhang Wei", "signature": PNG_B64})
        self.assertTrue(result.get("force_refresh"), result)
        order.invalidate_recordset()
        self.assertEqual((order.kf_quote_state, order.kf_quote_signed_by), ("consented", "Zhang Wei"))

    def _csrf(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def test_feedback_page_fill_and_sign(self):
        order = self._create_order()
        order.action_dispatch()
        url = f"/kf/m/order/{order.id}/feedback"
        self.authenticate("dsp_other_engineer", "dsp_other_engineer")
        self.assertEqual(self.url_open(url).status_code, 404)
        self.authenticate("dsp_executor", "dsp_executor")
        csrf = self._csrf(url)
        # signing before anything is filled in is refused
        result = self.make_jsonrpc_request(f"{url}/sign", {"name": "Zhang Wei", "signature": PNG_B64})
        self.assertIn("error", result)
        data = {
            "csrf_token": csrf,
            "service_type": "maintenance",
            "date_arrival": "2026-03-13T09:00",
            "date_leave": "2026-03-13T11:30",
            "work_done": "",
            "result": "",
        }
        response = self.url_open(url, data=data)
        self.assertEqual(response.status_code, 200)
        form = self.env["kf.service.feedback"].search([("order_id", "=", order.id)])
        self.assertEqual(form.state, "draft")
        result = self.make_jsonrpc_request(f"{url}/sign", {"name": "Zhang Wei", "signature": PNG_B64})
        self.assertIn("Fill in the feedback form", result.get("error", ""))
        response = self.url_open(url, data={**data, "work_done": "Pumps serviced", "result": "All normal"})
        self.assertEqual(response.status_code, 200)
        result = self.make_jsonrpc_request(f"{url}/sign", {"name": "Zhang Wei", "signature": PNG_B64})
        self.assertTrue(result.get("force_refresh"), result)
        form.invalidate_recordset()
        self.assertEqual((form.state, form.signed_by, form.work_done), ("signed", "Zhang Wei", "Pumps serviced"))
        response = self.url_open(url)
        self.assertIn("kf_feedback_signed", response.text)
        response = self.url_open(url, data={**data, "csrf_token": self._csrf(url), "work_done": "Tampered"})
        self.assertEqual(response.status_code, 400)
        form.invalidate_recordset()
        self.assertEqual(form.work_done, "Pumps serviced")

    def test_portal_consent_to_quote(self):
        portal = new_test_user(
            self.env,
            "dsp_portal_quote",
            groups="base.group_portal",
            partner_id=self.contact.id,
            company_id=self.company.id,
            company_ids=[Command.set([self.company.id])],
        )
        order = self._repair_order()
        self._quote(order)
        order.action_dispatch()
        order.with_user(self.specialist).action_kf_quote_submit()
        url = f"/my/kf-orders/{order.id}"
        self.authenticate(portal.login, portal.login)
        self.assertNotIn("kf_order_quote", self.url_open(url).text)
        order.with_user(self.manager).action_kf_quote_approve()
        response = self.url_open(url)
        self.assertIn("kf_modal_quote_sign", response.text)
        result = self.make_jsonrpc_request(f"{url}/quote/sign", {"name": "Zhang Wei", "signature": PNG_B64})
        self.assertTrue(result.get("force_refresh"), result)
        order.invalidate_recordset()
        self.assertEqual((order.kf_quote_state, order.kf_quote_signed_by), ("consented", "Zhang Wei"))
