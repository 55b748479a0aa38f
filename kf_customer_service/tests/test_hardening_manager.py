from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import KfCommon, setup_test_accounting

MANAGER_GROUP = "kf_customer_service.group_kf_manager"


@tagged("post_install", "-at_install")
class TestHardeningCompanyManager(KfCommon):
    """Each company has its own customer-service manager: the renewals and the
    dunning of a second company go to that company's manager, never to a
    manager of another company who cannot open those contracts, and no
    activity goes to a user who cannot read its record."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "KF Company B"})
        vals_b = {"company_id": cls.company_b.id, "company_ids": [Command.set([cls.company_b.id])]}
        cls.manager_b = new_test_user(cls.env, "kf_manager_b", groups=MANAGER_GROUP, name="Manager B", **vals_b)
        cls.company.kf_manager_id = cls.manager
        cls.company_b.kf_manager_id = cls.manager_b
        cls.customer_b = cls.env["res.partner"].create(
            {"name": "Orphan Customer B", "is_company": True, "company_id": cls.company_b.id}
        )
        today = fields.Date.context_today(cls.env["kf.service.contract"])
        cls.contract_b = (
            cls.env["kf.service.contract"]
            .with_company(cls.company_b)
            .create(
                {
                    "partner_id": cls.customer_b.id,
                    "company_id": cls.company_b.id,
                    "date_start": today - timedelta(days=300),
                    "date_end": today + timedelta(days=10),
                    "state": "running",
                    "payment_line_ids": [
                        Command.create({"name": "Late B", "date_due": today - timedelta(days=5), "amount": 100})
                    ],
                }
            )
        )

    def _can_read(self, user, record):
        return record.with_user(user).with_context(allowed_company_ids=user.company_ids.ids).has_access("read")

    def _activities(self, record, xmlid):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("activity_type_id", "=", self.env.ref(xmlid).id),
            ]
        )

    def test_preconditions(self):
        self.assertTrue(self.manager.has_group(MANAGER_GROUP))
        self.assertFalse(self._can_read(self.manager, self.contract_b))
        self.assertTrue(self._can_read(self.manager_b, self.contract_b))
        self.assertFalse(self.contract_b.user_id)
        self.assertEqual(self.company_b.kf_get_manager(), self.manager_b)
        self.assertEqual(self.company.kf_get_manager(), self.manager)

    def test_renewal_goes_to_company_manager(self):
        self.env["kf.service.contract"]._cron_renewal_scan()
        activities = self._activities(self.contract_b, "kf_customer_service.mail_activity_type_kf_renewal")
        self.assertEqual(activities.user_id, self.manager_b)

    def test_dunning_goes_to_company_manager(self):
        setup_test_accounting(self.env, self.company_b)
        self._invoice(self.contract_b.payment_line_ids)
        self.env["kf.contract.payment.line"]._cron_dunning_scan()
        activities = self._activities(self.contract_b, "kf_customer_service.mail_activity_type_kf_dunning")
        self.assertEqual(activities.user_id, self.manager_b)

    def test_specialist_who_cannot_read_is_skipped(self):
        self.contract_b.user_id = self.specialist_a
        self.assertFalse(self._can_read(self.specialist_a, self.contract_b))
        self.env["kf.service.contract"]._cron_renewal_scan()
        activities = self._activities(self.contract_b, "kf_customer_service.mail_activity_type_kf_renewal")
        self.assertEqual(activities.user_id, self.manager_b)

    def test_unconfigured_company_falls_back_to_its_own_manager(self):
        director_b = new_test_user(
            self.env,
            "kf_director_b",
            groups="kf_customer_service.group_kf_director",
            company_id=self.company_b.id,
            company_ids=[Command.set([self.company_b.id])],
        )
        self.company_b.kf_manager_id = False
        self.assertEqual(self.company_b.kf_get_manager(), self.manager_b)
        self.manager_b.active = False
        self.assertEqual(self.company_b.kf_get_manager(), director_b)
        director_b.active = False
        self.assertFalse(self.company_b.kf_get_manager())
        # nobody of company B can read the contract: no activity at all,
        # certainly not for company A's manager
        self.env["kf.service.contract"]._cron_renewal_scan()
        self.assertFalse(self._activities(self.contract_b, "kf_customer_service.mail_activity_type_kf_renewal"))

    def test_manager_of_other_company_refused(self):
        self.assertNotIn(self.company_b, self.manager.company_ids)
        with self.assertRaises(ValidationError):
            self.company_b.kf_manager_id = self.manager

    def test_activity_user_helper(self):
        Users = self.env["res.users"]
        self.assertEqual(Users.kf_activity_user(self.contract_b, self.manager), self.manager_b)
        self.assertEqual(Users.kf_activity_user(self.contract_b, self.manager_b), self.manager_b)
        contract_a = self._create_contract(self.customer_1, "2026-01-01", "2026-12-31")
        result = Users.kf_activity_users(contract_a | self.contract_b, self.specialist_a)
        self.assertEqual(result[contract_a.id], self.specialist_a)
        self.assertEqual(result[self.contract_b.id], self.manager_b)
