from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import KfCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-10")
class TestRenewal(KfCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.activity_type = cls.env.ref("kf_customer_service.mail_activity_type_kf_renewal")
        cls.stage_first = cls.env.ref("kf_customer_service.stage_to_contact")
        # keep other companies' / demo contracts out of the picture
        cls.env["kf.service.contract"].search([("company_id", "!=", cls.company.id), ("state", "=", "running")]).write(
            {"state": "draft"}
        )
        c = cls._create_contract
        cls.ends_today = c(cls.customer_1, "2025-03-11", "2026-03-10")
        cls.ends_in_30 = c(cls.customer_1, "2025-04-10", "2026-04-09")
        cls.ends_in_31 = c(cls.customer_2, "2025-04-11", "2026-04-10")
        cls.ends_later = c(cls.customer_2, "2026-01-01", "2026-12-31")
        cls.ended_yesterday = c(cls.customer_2, "2025-03-10", "2026-03-09")
        cls.draft_in_window = c(cls.customer_1, "2025-04-01", "2026-03-31", state="draft")
        cls.cancelled_in_window = c(cls.customer_1, "2025-04-01", "2026-03-31", state="cancelled")
        cls.orphan = c(cls.customer_orphan, "2025-03-20", "2026-03-19")

    def _activities(self, contracts):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "kf.service.contract"),
                ("res_id", "in", contracts.ids),
                ("activity_type_id", "=", self.activity_type.id),
            ]
        )

    def test_scan_window_and_idempotence(self):
        Contract = self.env["kf.service.contract"]
        Contract._cron_renewal_scan()
        expected = self.ends_today | self.ends_in_30 | self.ended_yesterday | self.orphan
        in_pipeline = Contract.search([("company_id", "=", self.company.id), ("renewal_stage_id", "!=", False)])
        self.assertEqual(in_pipeline, expected)
        self.assertEqual(set(in_pipeline.mapped("renewal_stage_id")), {self.stage_first})
        self.assertEqual(set(in_pipeline.mapped("renewal_date_in")), {self._d("2026-03-10")})
        activities = self._activities(expected)
        self.assertEqual(len(activities), 4)
        self.assertEqual(set(activities.mapped("date_deadline")), {self._d("2026-03-10")})
        self.assertEqual(
            {a.res_id: a.user_id for a in activities},
            {
                self.ends_today.id: self.specialist_a,
                self.ends_in_30.id: self.specialist_a,
                self.ended_yesterday.id: self.specialist_b,
                self.orphan.id: self.manager,
            },
        )
        self.assertFalse(self._activities(self.ends_in_31 | self.ends_later | self.draft_in_window))
        # the contract past its end date expired in the same run
        self.assertEqual(self.ended_yesterday.state, "expired")
        self.assertEqual(self.ends_today.state, "running")
        # idempotent: a second run creates nothing
        Contract._cron_renewal_scan()
        self.assertEqual(len(self._activities(expected)), 4)
        self.assertEqual(
            Contract.search_count([("company_id", "=", self.company.id), ("renewal_stage_id", "!=", False)]),
            4,
        )

    def test_scan_in_batches(self):
        """A batch per call: the contracts past their end date enter the
        pipeline before any expires, and the last call leaves the same result
        as a single run."""
        Contract = self.env["kf.service.contract"]
        expected = self.ends_today | self.ends_in_30 | self.ended_yesterday | self.orphan
        Contract._cron_renewal_scan(batch_size=2)
        self.assertEqual(self.ended_yesterday.state, "running", "nothing expires while contracts remain to enter")
        for _call in range(4):
            Contract._cron_renewal_scan(batch_size=2)
        in_pipeline = Contract.search([("company_id", "=", self.company.id), ("renewal_stage_id", "!=", False)])
        self.assertEqual(in_pipeline, expected)
        self.assertEqual(len(self._activities(expected)), 4)
        self.assertEqual(self.ended_yesterday.state, "expired")
        self.assertEqual(self.ends_today.state, "running")

    def test_scan_next_day_and_configured_window(self):
        self.env["ir.config_parameter"].sudo().set_param("kf_customer_service.renewal_days", "60")
        self.env["kf.service.contract"]._cron_renewal_scan()
        self.assertTrue(self.ends_in_31.renewal_stage_id)
        self.assertFalse(self.ends_later.renewal_stage_id)

    def test_specialist_of_contract_wins(self):
        contract = self._create_contract(self.customer_1, "2025-03-15", "2026-03-14", user_id=self.specialist_b.id)
        self.env["kf.service.contract"]._cron_renewal_scan()
        self.assertEqual(self._activities(contract).user_id, self.specialist_b)

    def test_orphan_routes_to_first_manager_without_parameter(self):
        self.company.kf_manager_id = False
        manager = self.company.kf_get_manager()
        self.assertTrue(manager.has_group("kf_customer_service.group_kf_manager"))
        self.assertIn(self.company, manager.company_ids)
        self.env["kf.service.contract"]._cron_renewal_scan()
        self.assertEqual(self._activities(self.orphan).user_id, manager)

    def test_pipeline_moves_and_lost(self):
        self.env["kf.service.contract"]._cron_renewal_scan()
        contract = self.ends_in_30.with_user(self.specialist_a)
        contract.renewal_stage_id = self.env.ref("kf_customer_service.stage_negotiating")
        with self.assertRaisesRegex(UserError, "Renew"):
            contract.renewal_stage_id = self.env.ref("kf_customer_service.stage_renewed")
        with self.assertRaisesRegex(UserError, "lost reason"):
            contract.renewal_stage_id = self.env.ref("kf_customer_service.stage_lost")
        action = contract.action_mark_lost()
        self.assertEqual(action["target"], "new")
        with self.assertRaisesRegex(UserError, "lost reason"):
            contract.action_confirm_lost()
        contract.lost_reason_id = self.env.ref("kf_customer_service.lost_reason_price")
        contract.action_confirm_lost()
        self.assertEqual(contract.state, "lost")
        self.assertEqual(contract.renewal_stage_id, self.env.ref("kf_customer_service.stage_lost"))
        self.assertFalse(self._activities(contract), "the renewal activity is done")
        # dragged back to an open stage: the contract runs again
        contract.renewal_stage_id = self.stage_first
        self.assertEqual(contract.state, "running")
        self.assertFalse(contract.lost_reason_id)

    def test_renew_closes_activity(self):
        self.env["kf.service.contract"]._cron_renewal_scan()
        successor = self.ends_in_30.with_user(self.specialist_a).create_successor()
        self.assertEqual(successor.predecessor_id, self.ends_in_30)
        self.assertEqual(self.ends_in_30.state, "renewed")
        self.assertEqual(self.ends_in_30.renewal_stage_id, self.env.ref("kf_customer_service.stage_renewed"))
        self.assertFalse(self._activities(self.ends_in_30))
        self.assertFalse(successor.renewal_stage_id, "the successor starts outside the pipeline")
