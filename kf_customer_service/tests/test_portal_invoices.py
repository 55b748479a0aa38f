from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import setup_test_accounting


@tagged("post_install", "-at_install")
class TestPortalInvoices(HttpCase):
    """The contract's portal page links its posted invoices to Odoo's own
    invoice page, which the customer can open; another customer's invoice
    stays closed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "KF Portal Invoice Company"})
        setup_test_accounting(cls.env, cls.company)
        companies = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Invoice Customer", "is_company": True})
        cls.other = Partner.create({"name": "Other Customer", "is_company": True})
        contact = Partner.create({"name": "Wang Fang", "parent_id": cls.customer.id})
        cls.portal_user = new_test_user(
            cls.env, "kf_portal_invoice", groups="base.group_portal", partner_id=contact.id, **companies
        )
        Contract = cls.env["kf.service.contract"].with_company(cls.company)
        vals = {"date_start": "2026-01-01", "date_end": "2026-12-31", "state": "running", "company_id": cls.company.id}
        cls.contract = Contract.create(
            {
                **vals,
                "partner_id": cls.customer.id,
                "payment_line_ids": [
                    Command.create({"name": "Q1", "date_due": "2026-02-01", "amount": 4400}),
                    Command.create({"name": "Q2", "date_due": "2026-08-01", "amount": 700}),
                ],
            }
        )
        cls.other_contract = Contract.create(
            {
                **vals,
                "partner_id": cls.other.id,
                "payment_line_ids": [Command.create({"name": "X1", "date_due": "2026-02-01", "amount": 100})],
            }
        )
        lines = cls.contract.payment_line_ids[:1] | cls.other_contract.payment_line_ids
        lines._lock_for_invoicing()._create_invoices()
        cls.invoice = cls.contract.payment_line_ids[:1].move_id
        cls.other_invoice = cls.other_contract.payment_line_ids.move_id

    def test_contract_page_links_invoices(self):
        self.assertTrue(self.portal_user.has_group("base.group_portal"))
        self.assertEqual(self.portal_user.commercial_partner_id, self.customer)
        self.authenticate("kf_portal_invoice", "kf_portal_invoice")
        page = self.url_open(f"/my/service-contracts/{self.contract.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.invoice.name, page.text)
        self.assertIn(f"/my/invoices/{self.invoice.id}", page.text)
        self.assertNotIn(self.other_invoice.name, page.text)
        # the link opens Odoo's own invoice page
        invoice_page = self.url_open(f"/my/invoices/{self.invoice.id}")
        self.assertEqual(invoice_page.status_code, 200)
        self.assertIn(self.invoice.name, invoice_page.text)
        # another customer's invoice is refused (redirected to /my)
        refused = self.url_open(f"/my/invoices/{self.other_invoice.id}", allow_redirects=False)
        self.assertIn(refused.status_code, (302, 303, 403, 404))
