from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import KfCommon

MANAGER_GROUP = "kf_customer_service.group_kf_manager"


@tagged("post_install", "-at_install")
class TestHardeningUnlink(KfCommon):
    kf_accounting = True

    """Records with history are archived, never deleted, whoever asks: a
    contract whose schedule is invoiced or belongs to a renewal chain (even for a
    manager), a paid instalment, a customer with service history (even for a
    user allowed to delete contacts). Drafts without history can be deleted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.paid_contract = cls._create_contract(
            cls.customer_1,
            "2025-01-01",
            "2025-12-31",
            state="expired",
            payment_line_ids=[
                Command.create({"name": "Paid Q1", "date_due": "2025-02-01", "amount": 100}),
                Command.create({"name": "Part Q2", "date_due": "2099-05-01", "amount": 100}),
                Command.create({"name": "Open Q3", "date_due": "2099-08-01", "amount": 100}),
            ],
        )
        paid, part = cls.paid_contract.payment_line_ids[:2]
        cls._pay(cls._invoice(paid))
        cls._pay(cls._invoice(part), 40)
        cls.contact_manager = new_test_user(
            cls.env,
            "kf_contact_deleter",
            groups="base.group_user,base.group_partner_manager",
            company_id=cls.company.id,
            company_ids=[Command.set([cls.company.id])],
        )

    def test_manager_cannot_delete_contract_with_payments(self):
        self.assertTrue(self.manager.has_group(MANAGER_GROUP))
        contract = self.paid_contract.with_user(self.manager)
        self.assertTrue(contract.has_access("unlink"))
        self.assertGreater(self.paid_contract.amount_received, 0)
        with self.assertRaisesRegex(UserError, "invoiced"):
            contract.unlink()
        # even once cancelled
        self.paid_contract.state = "cancelled"
        with self.assertRaisesRegex(UserError, "invoiced"):
            contract.unlink()

    def test_manager_cannot_delete_renewal_chain(self):
        old = self._create_contract(self.customer_2, "2025-01-01", "2025-12-31", state="expired")
        new = old.create_successor(copy_lines=False)
        new.state = "draft"
        self.assertEqual(new.predecessor_id, old)
        with self.assertRaisesRegex(UserError, "renewed by"):
            old.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "renews"):
            new.with_user(self.manager).unlink()
        # the link written on one side only is enough
        old.successor_id = False
        with self.assertRaisesRegex(UserError, "renewed by"):
            old.with_user(self.manager).unlink()

    def test_manager_cannot_delete_running_contract(self):
        contract = self._create_contract(self.customer_2, "2026-01-01", "2026-12-31")
        self.assertEqual(contract.state, "running")
        with self.assertRaisesRegex(UserError, "Archive it instead"):
            contract.with_user(self.manager).unlink()

    def test_draft_without_history_can_be_deleted(self):
        contract = self._create_contract(
            self.customer_2,
            "2027-01-01",
            "2027-12-31",
            state="draft",
            payment_line_ids=[Command.create({"name": "Q1", "date_due": "2027-02-01", "amount": 100})],
        )
        contract.with_user(self.manager).unlink()
        self.assertFalse(contract.exists())

    def test_specialist_cannot_delete_paid_line(self):
        self.assertFalse(self.specialist_a.has_group(MANAGER_GROUP))
        self.assertEqual(self.paid_contract.commercial_partner_id.kf_specialist_id, self.specialist_a)
        paid, partial, pending = self.paid_contract.payment_line_ids.sorted("date_due")
        self.assertEqual((paid.state, partial.state, pending.state), ("paid", "partial", "pending"))
        lines = self.env["kf.contract.payment.line"].with_user(self.specialist_a)
        self.assertTrue(lines.browse(paid.id).has_access("unlink"))
        for line in (paid, partial):
            with self.assertRaisesRegex(UserError, "is invoiced"):
                lines.browse(line.id).unlink()
        lines.browse(pending.id).unlink()
        self.assertFalse(pending.exists())

    def test_partner_with_history_cannot_be_deleted(self):
        self.assertTrue(self.customer_1.with_user(self.contact_manager).has_access("unlink"))
        with self.assertRaisesRegex(UserError, "service contracts"):
            self.customer_1.with_user(self.contact_manager).unlink()
        visited = self.env["res.partner"].create({"name": "Visited Only", "is_company": True})
        self.env["kf.visit"].create(
            {"partner_id": visited.id, "date_planned": "2026-03-02", "user_id": self.manager.id}
        )
        with self.assertRaisesRegex(UserError, "visits"):
            visited.with_user(self.contact_manager).unlink()
        grouped = self.env["res.partner"].create({"name": "WeChat Only", "is_company": True})
        self.env["kf.wechat.group"].create({"name": "WG", "partner_id": grouped.id, "user_id": self.manager.id})
        with self.assertRaisesRegex(UserError, "WeChat groups"):
            grouped.with_user(self.contact_manager).unlink()
        documented = self.env["res.partner"].create({"name": "Documented Only", "is_company": True})
        self.env["kf.customer.document"].create(
            {"name": "Assessment", "partner_id": documented.id, "doc_type": "assessment", "user_id": self.manager.id}
        )
        with self.assertRaisesRegex(UserError, "customer documents"):
            documented.with_user(self.contact_manager).unlink()
        # archived contracts still count
        self.paid_contract.active = False
        with self.assertRaisesRegex(UserError, "service contracts"):
            self.customer_1.with_user(self.contact_manager).unlink()

    def test_partner_without_history_can_be_deleted(self):
        partner = self.env["res.partner"].create({"name": "Never a Customer", "is_company": True})
        partner.with_user(self.contact_manager).unlink()
        self.assertFalse(partner.exists())
