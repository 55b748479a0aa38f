from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import KfSparePartsCommon

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@tagged("post_install", "-at_install")
class TestPartQuoteSign(KfSparePartsCommon, HttpCase):
    """The customer signs an approved supplementary parts quote on the
    portal or on the executor's phone, over HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        user_vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        cls.labour = cls.env["kf.service.price"].create(
            {"name": "Repair labour", "list_price": 500.0, "floor_price": 300.0, "company_id": cls.company.id}
        )
        cls.equipment = cls.env["kf.equipment"].create(
            {
                "name": "Fire alarm panel",
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "category_id": cls.env.ref("kf_dispatch.kf_equipment_category_controller").id,
            }
        )
        cls.portal = new_test_user(
            cls.env, "sp_portal", groups="base.group_portal", partner_id=cls.contact.id, **user_vals
        )
        cls.other_customer = other_customer = cls.env["res.partner"].create(
            {
                "name": "Beijing Other Property Ltd",
                "is_company": True,
                "company_id": cls.company.id,
                "kf_specialist_id": cls.specialist.id,
                "street": "1 Chang'an Avenue",
                "city": "Beijing",
            }
        )
        other_contact = cls.env["res.partner"].create({"name": "Li Na", "parent_id": other_customer.id})
        cls.other_portal = new_test_user(
            cls.env, "sp_other_portal", groups="base.group_portal", partner_id=other_contact.id, **user_vals
        )
        cls.other_engineer = new_test_user(
            cls.env, "sp_other_engineer", groups="base.group_user", name="Other Engineer", **user_vals
        )
        cls.team.member_ids = [Command.link(cls.other_engineer.id)]

    def _order_with_part_quote(self, approve=True, **vals):
        """A repair order whose quote the customer signed, then a part used
        on it: its supplementary quote, approved by the manager."""
        order = self._create_order(
            kf_order_type="repair", equipment_id=self.equipment.id, kf_fault_category="controller", **vals
        )
        order.with_user(self.specialist).write(
            {
                "kf_fault_cause": "Board burnt",
                "kf_repair_plan": "Replace the controller board",
                "kf_quote_line_ids": [Command.create({"price_id": self.labour.id})],
            }
        )
        order.action_dispatch()
        order.with_user(self.specialist).action_kf_quote_submit()
        order.with_user(self.manager).action_kf_quote_approve()
        order.with_user(self.executor).kf_quote_consent("Zhang Wei", PNG_B64)
        loan = self._issued(self.specialist, [(self.board, 1)], order_id=order.id)
        for line in loan.line_ids.with_user(self.keeper):
            line.write({"return_lot_ids": [Command.set(line.lot_ids.ids)], "outcome": "used", "order_id": order.id})
        loan.with_user(self.keeper).action_return()
        quote = order.kf_part_quote_ids
        self.assertEqual((len(quote), quote.state), (1, "to_approve"))
        if approve:
            quote.with_user(self.manager).action_approve()
        return order, quote

    def test_portal_owner_signs(self):
        order, quote = self._order_with_part_quote(approve=False)
        url = f"/my/kf-orders/{order.id}"
        sign_url = f"{url}/parts-quote/{quote.id}/sign"
        self.assertEqual(order.partner_id, self.portal.commercial_partner_id)
        self.authenticate(self.portal.login, self.portal.login)
        # a quote waiting for the manager is neither shown nor signed
        self.assertNotIn("kf_order_part_quotes", self.url_open(url).text)
        result = self.make_jsonrpc_request(sign_url, {"name": "Zhang Wei", "signature": PNG_B64})
        self.assertIn("error", result)
        self.assertEqual(quote.state, "to_approve")
        quote.with_user(self.manager).action_approve()
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"kf_modal_part_quote_sign_{quote.id}", response.text)
        self.assertIn("Controller board", response.text)
        # the repair quote's table leaves the part out: it is on the supplementary quote only
        self.assertEqual(response.text.count(quote.line_ids.name), 1)
        result = self.make_jsonrpc_request(sign_url, {"name": "", "signature": PNG_B64})
        self.assertIn("error", result)
        result = self.make_jsonrpc_request(sign_url, {"name": "Zhang Wei", "signature": PNG_B64})
        self.assertTrue(result.get("force_refresh"), result)
        quote.invalidate_recordset()
        order.invalidate_recordset()
        self.assertEqual((quote.state, quote.signed_by), ("consented", "Zhang Wei"))
        self.assertEqual(order.kf_billable_amount, 500.0 + quote.amount)
        # signed once: a second signature is refused
        result = self.make_jsonrpc_request(sign_url, {"name": "Someone Else", "signature": PNG_B64})
        self.assertIn("error", result)
        self.assertEqual(quote.signed_by, "Zhang Wei")
        self.assertNotIn("kf_modal_part_quote_sign", self.url_open(url).text)

    def test_portal_other_customer_refused(self):
        order, quote = self._order_with_part_quote()
        own_order, own_quote = self._order_with_part_quote(partner_id=self.other_customer.id)
        self.assertNotEqual(order.partner_id, self.other_portal.commercial_partner_id)
        self.assertEqual(own_order.partner_id, self.other_portal.commercial_partner_id)
        self.authenticate(self.other_portal.login, self.other_portal.login)
        # another customer's order, and another customer's quote under one's own order
        for sign_url in (
            f"/my/kf-orders/{order.id}/parts-quote/{quote.id}/sign",
            f"/my/kf-orders/{own_order.id}/parts-quote/{quote.id}/sign",
        ):
            with self.assertRaises(JsonRpcException) as caught:
                self.make_jsonrpc_request(sign_url, {"name": "Li Na", "signature": PNG_B64})
            self.assertEqual(caught.exception.code, 404)
        quote.invalidate_recordset()
        self.assertEqual(quote.state, "approved")
        self.assertEqual(own_quote.state, "approved")

    def test_portal_user_cannot_write_quote(self):
        _order, quote = self._order_with_part_quote()
        self.assertTrue(self.portal.has_group("base.group_portal"))
        self.assertEqual(quote.order_id.partner_id, self.portal.commercial_partner_id)
        PartQuote = self.env["kf.part.quote"].with_user(self.portal)
        with self.assertRaises(AccessError):
            PartQuote.browse(quote.id).write({"state": "consented", "signed_by": "Zhang Wei"})
        with self.assertRaises(AccessError):
            PartQuote.browse(quote.id).write({"signature": PNG_B64})
        with self.assertRaises(AccessError):
            PartQuote.browse(quote.id).kf_consent("Zhang Wei", PNG_B64)
        quote.invalidate_recordset()
        self.assertEqual((quote.state, quote.signed_by), ("approved", False))

    def test_phone_executor_signs(self):
        order, quote = self._order_with_part_quote(approve=False)
        url = f"/kf/m/order/{order.id}/quote"
        sign_url = f"/kf/m/order/{order.id}/parts-quote/{quote.id}/sign"
        # another engineer of the team reads the order but is not its executor
        self.assertTrue(order.with_user(self.other_engineer).has_access("read"))
        self.assertNotEqual(order.user_id, self.other_engineer)
        self.authenticate(self.other_engineer.login, self.other_engineer.login)
        self.assertEqual(self.url_open(url).status_code, 404)
        with self.assertRaises(JsonRpcException) as caught:
            self.make_jsonrpc_request(sign_url, {"name": "Zhang Wei", "signature": PNG_B64})
        self.assertEqual(caught.exception.code, 404)
        self.assertEqual(quote.state, "to_approve")
        self.assertEqual(order.user_id, self.executor)
        self.authenticate(self.executor.login, self.executor.login)
        # a quote waiting for the manager is neither shown nor signed
        self.assertNotIn("kf_part_quotes", self.url_open(url).text)
        result = self.make_jsonrpc_request(sign_url, {"name": "Zhang Wei", "signature": PNG_B64})
        self.assertIn("error", result)
        quote.with_user(self.manager).action_approve()
        with self.assertRaises(AccessError):
            quote.with_user(self.other_engineer).kf_consent("Zhang Wei", PNG_B64)
        result = self.make_jsonrpc_request(sign_url, {"name": "Zhang Wei", "signature": "x"})
        self.assertIn("error", result)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"kf_modal_part_quote_sign_{quote.id}", response.text)
        result = self.make_jsonrpc_request(sign_url, {"name": "Zhang Wei", "signature": PNG_B64})
        self.assertTrue(result.get("force_refresh"), result)
        quote.invalidate_recordset()
        self.assertEqual((quote.state, quote.signed_by), ("consented", "Zhang Wei"))
        self.assertTrue(quote.signature)
        self.assertNotIn("kf_modal_part_quote_sign", self.url_open(url).text)

    def test_phone_quote_of_another_order_not_found(self):
        order, _quote = self._order_with_part_quote()
        _other_order, other_quote = self._order_with_part_quote()
        self.authenticate(self.executor.login, self.executor.login)
        with self.assertRaises(JsonRpcException) as caught:
            self.make_jsonrpc_request(
                f"/kf/m/order/{order.id}/parts-quote/{other_quote.id}/sign", {"name": "Zhang Wei", "signature": PNG_B64}
            )
        self.assertEqual(caught.exception.code, 404)
        other_quote.invalidate_recordset()
        self.assertEqual(other_quote.state, "approved")

    def test_portal_page_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["kf_dispatch", "kf_spare_parts"], ["zh_CN"], overwrite=True)
        self.portal.lang = "zh_CN"
        order, quote = self._order_with_part_quote()
        self.authenticate(self.portal.login, self.portal.login)
        response = self.url_open(f"/my/kf-orders/{order.id}")
        self.assertEqual(response.status_code, 200)
        for text in ("备品补充报价", "签署备品补充报价", "签字即表示您同意本报价中的备品及其费用。"):
            self.assertIn(text, response.text)
        # the refusal is in the customer's language too
        sign_url = f"/my/kf-orders/{order.id}/parts-quote/{quote.id}/sign"
        result = self.make_jsonrpc_request(sign_url, {"name": " ", "signature": PNG_B64})
        self.assertEqual(result.get("error"), "确认报价需要客户姓名和签名。")

    def test_portal_signs_with_access_token(self):
        order, quote = self._order_with_part_quote()
        order._portal_ensure_token()
        sign_url = f"/my/kf-orders/{order.id}/parts-quote/{quote.id}/sign"
        # without a session: a wrong token finds nothing, the order's token signs
        with self.assertRaises(JsonRpcException) as caught:
            self.make_jsonrpc_request(f"{sign_url}?access_token=wrong", {"name": "Zhang Wei", "signature": PNG_B64})
        self.assertEqual(caught.exception.code, 404)
        self.assertEqual(quote.state, "approved")
        result = self.make_jsonrpc_request(
            f"{sign_url}?access_token={order.access_token}", {"name": "Zhang Wei", "signature": PNG_B64}
        )
        self.assertTrue(result.get("force_refresh"), result)
        quote.invalidate_recordset()
        self.assertEqual((quote.state, quote.signed_by), ("consented", "Zhang Wei"))
