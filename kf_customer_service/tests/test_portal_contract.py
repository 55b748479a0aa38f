from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPortalContract(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.customer_1 = Partner.create({"name": "Portal Customer One", "is_company": True})
        cls.customer_2 = Partner.create({"name": "Portal Customer Two", "is_company": True})
        cls.contact_1 = Partner.create({"name": "Li Lei", "parent_id": cls.customer_1.id})
        cls.portal_user = new_test_user(
            cls.env, "kf_portal_http", groups="base.group_portal", partner_id=cls.contact_1.id
        )
        Contract = cls.env["kf.service.contract"]
        cls.contract_1 = Contract.create(
            {
                "partner_id": cls.customer_1.id,
                "date_start": "2026-01-01",
                "date_end": "2026-12-31",
                "amount": 8800,
                "state": "running",
                "payment_line_ids": [
                    Command.create({"name": "First instalment PX1", "date_due": "2026-02-01", "amount": 4400}),
                    Command.create(
                        {
                            "name": "EMC owner fee PX2",
                            "line_type": "emc_fee",
                            "date_due": "2026-08-01",
                            "amount": 700,
                        }
                    ),
                ],
            }
        )
        cls.env["ir.attachment"].create(
            {
                "name": "signed-contract-px.pdf",
                "raw": b"%PDF-1.4 test",
                "res_model": "kf.service.contract",
                "res_id": cls.contract_1.id,
            }
        )
        cls.contract_1_draft = Contract.create(
            {
                "partner_id": cls.customer_1.id,
                "date_start": "2027-01-01",
                "date_end": "2027-12-31",
                "state": "draft",
            }
        )
        cls.contract_2 = Contract.create(
            {
                "partner_id": cls.customer_2.id,
                "date_start": "2026-01-01",
                "date_end": "2026-12-31",
                "state": "running",
            }
        )

    def test_portal_list_and_detail(self):
        self.authenticate("kf_portal_http", "kf_portal_http")
        response = self.url_open("/my/service-contracts")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.contract_1.name, response.text)
        self.assertNotIn(self.contract_2.name, response.text)
        self.assertNotIn(self.contract_1_draft.name, response.text)

        response = self.url_open("/my/service-contracts?sortby=name&filterby=running")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.contract_1.name, response.text)

        response = self.url_open(f"/my/service-contracts/{self.contract_1.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.contract_1.name, response.text)
        self.assertIn("First instalment PX1", response.text)
        self.assertIn("EMC owner fee PX2", response.text)
        self.assertIn("signed-contract-px.pdf", response.text)

    def test_portal_home_counter(self):
        self.authenticate("kf_portal_http", "kf_portal_http")
        response = self.make_jsonrpc_request("/my/counters", {"counters": ["kf_service_contract_count"]})
        self.assertEqual(response["kf_service_contract_count"], 1)

    def test_portal_other_customer_refused(self):
        self.authenticate("kf_portal_http", "kf_portal_http")
        for contract in (self.contract_2, self.contract_1_draft):
            response = self.url_open(f"/my/service-contracts/{contract.id}", allow_redirects=False)
            self.assertIn(response.status_code, (303, 302, 403, 404))
            self.assertNotIn(contract.name, response.text)
            # following the redirect lands on /my without the contract
            response = self.url_open(f"/my/service-contracts/{contract.id}")
            self.assertNotIn(contract.name, response.text)
        response = self.url_open("/my/service-contracts/999999999", allow_redirects=False)
        self.assertIn(response.status_code, (303, 302, 403, 404))

    def test_anonymous_redirected_to_login(self):
        self.authenticate(None, None)
        response = self.url_open(f"/my/service-contracts/{self.contract_1.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertNotIn(self.contract_1.name, response.text)
        response = self.url_open("/my/service-contracts", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
