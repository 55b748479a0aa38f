from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import KfCommon


@tagged("post_install", "-at_install")
class TestContractAccess(KfCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract_a = cls._create_contract(cls.customer_1, "2026-01-01", "2026-12-31")
        cls.contract_b = cls._create_contract(cls.customer_2, "2026-01-01", "2026-12-31")
        cls.contract_a.payment_line_ids = [(0, 0, {"name": "Q1", "date_due": "2026-02-01", "amount": 100})]
        cls.contract_b.payment_line_ids = [(0, 0, {"name": "Q1", "date_due": "2026-02-01", "amount": 100})]

    def test_specialist_sees_only_own_customers(self):
        Contract = self.env["kf.service.contract"].with_user(self.specialist_a)
        visible = Contract.search([("company_id", "=", self.company.id)])
        self.assertEqual(visible, self.contract_a)
        with self.assertRaises(AccessError):
            self.contract_b.with_user(self.specialist_a).read(["name"])
        with self.assertRaises(AccessError):
            self.contract_b.with_user(self.specialist_a).write({"amount": 1})
        lines = (
            self.env["kf.contract.payment.line"]
            .with_user(self.specialist_a)
            .search([("company_id", "=", self.company.id)])
        )
        self.assertEqual(lines, self.contract_a.payment_line_ids)
        # can edit own contract, cannot delete (archive instead)
        self.contract_a.with_user(self.specialist_a).write({"amount": 5})
        with self.assertRaises(AccessError):
            self.contract_a.with_user(self.specialist_a).unlink()

    def test_contract_assigned_directly_is_visible(self):
        contract = self._create_contract(self.customer_2, "2026-01-01", "2026-12-31", user_id=self.specialist_a.id)
        self.assertEqual(contract.with_user(self.specialist_a).read(["name"])[0]["id"], contract.id)

    def test_reassigning_the_customer_moves_visibility(self):
        self.customer_2.kf_specialist_id = self.specialist_a
        self.contract_b.user_id = False
        self.contract_b.with_user(self.specialist_a).read(["name"])
        with self.assertRaises(AccessError):
            self.contract_b.with_user(self.specialist_b).read(["name"])

    def test_manager_sees_all_of_company(self):
        Contract = self.env["kf.service.contract"].with_user(self.manager)
        self.assertEqual(
            Contract.search([("company_id", "=", self.company.id)]),
            self.contract_a | self.contract_b,
        )
        # a manager deletes drafts; running contracts are archived instead
        draft = self._create_contract(self.customer_2, "2027-01-01", "2027-12-31", state="draft")
        draft.with_user(self.manager).unlink()

    def test_multi_company(self):
        other_company = self.env["res.company"].create({"name": "Other KF Company"})
        shared_customer = self.env["res.partner"].create({"name": "Shared Customer", "is_company": True})
        other_contract = (
            self.env["kf.service.contract"]
            .with_company(other_company)
            .create(
                {
                    "partner_id": shared_customer.id,
                    "date_start": "2026-01-01",
                    "date_end": "2026-12-31",
                    "company_id": other_company.id,
                    "user_id": self.manager.id,
                }
            )
        )
        with self.assertRaises(AccessError):
            other_contract.with_user(self.manager).read(["name"])

    def test_portal_reads_own_company_only(self):
        contact = self.env["res.partner"].create({"name": "Portal Contact", "parent_id": self.customer_1.id})
        portal = new_test_user(
            self.env,
            "kf_portal_1",
            groups="base.group_portal",
            partner_id=contact.id,
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        Contract = self.env["kf.service.contract"].with_user(portal)
        self.assertEqual(Contract.search([]), self.contract_a)
        self.assertEqual(
            self.env["kf.contract.payment.line"].with_user(portal).search([]),
            self.contract_a.payment_line_ids,
        )
        with self.assertRaises(AccessError):
            self.contract_b.with_user(portal).read(["name"])
        with self.assertRaises(AccessError):
            self.contract_a.with_user(portal).write({"amount": 1})
