from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import KfCommon


@tagged("post_install", "-at_install")
class TestDunning(KfCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.activity_type = cls.env.ref("kf_customer_service.mail_activity_type_kf_dunning")
        with freeze_time("2026-03-01"):
            cls.contract = cls._create_contract(
                cls.customer_1,
                "2026-01-01",
                "2026-12-31",
                payment_line_ids=[
                    Command.create({"name": "Q1", "date_due": "2026-03-05", "amount": 3000}),
                    Command.create({"name": "Q2", "date_due": "2026-03-08", "amount": 3000}),
                    Command.create({"name": "Q3", "date_due": "2026-09-30", "amount": 3000}),
                ],
            )
            cls.orphan_contract = cls._create_contract(
                cls.customer_orphan,
                "2026-01-01",
                "2026-12-31",
                payment_line_ids=[
                    Command.create({"name": "Fee", "line_type": "emc_fee", "date_due": "2026-03-02", "amount": 500}),
                ],
            )
            cls.draft_contract = cls._create_contract(
                cls.customer_2,
                "2026-01-01",
                "2026-12-31",
                state="draft",
                payment_line_ids=[
                    Command.create({"name": "D1", "date_due": "2026-03-02", "amount": 100}),
                ],
            )
            cls.env.flush_all()
        cls.lines = {line.name: line for line in cls.contract.payment_line_ids}

    def _activities(self, contracts=None):
        contracts = contracts or self.contract
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "kf.service.contract"),
                ("res_id", "in", contracts.ids),
                ("activity_type_id", "=", self.activity_type.id),
            ]
        )

    def _scan(self):
        self.env["kf.contract.payment.line"]._cron_dunning_scan()
        self.env.invalidate_all()

    def test_dunning_once_per_line_and_episode(self):
        q1, q2, q3 = self.lines["Q1"], self.lines["Q2"], self.lines["Q3"]
        with freeze_time("2026-03-06"):
            self._scan()
            self.assertEqual(q1.state, "overdue")
            self.assertEqual(q2.state, "pending")
            self.assertEqual(self.contract.amount_overdue, 3000)
            activities = self._activities()
            self.assertEqual(len(activities), 1)
            self.assertEqual(activities.user_id, self.specialist_a)
            self.assertEqual(str(activities.date_deadline), "2026-03-06")
            self.assertEqual(q1.dunning_activity_id, activities)
            self.assertEqual(str(q1.dunning_episode_date), "2026-03-06")
            # same day again: nothing new
            self._scan()
            self.assertEqual(len(self._activities()), 1)
        with freeze_time("2026-03-10"):
            self._scan()
            self.assertEqual(len(self._activities()), 2, "Q2 fell due: one more activity")
            self.assertEqual(self.contract.amount_overdue, 6000)
            self._scan()
            self.assertEqual(len(self._activities()), 2)
            self.assertFalse(self._activities(self.draft_contract), "draft contracts are not dunned")
            # Q1 is paid: its episode ends and its activity is marked done
            q1.action_register_full_payment()
            self.assertEqual(q1.state, "paid")
            self.assertFalse(q1.dunning_episode_date)
            self.assertEqual(len(self._activities()), 1)
            # Q2's due date moves to later: the episode ends
            q2.date_due = "2026-03-20"
            self.assertFalse(q2.dunning_episode_date)
            self._scan()
            self.assertEqual(q2.state, "pending")
            self.assertFalse(q3.dunning_episode_date)
        with freeze_time("2026-03-25"):
            # Q2 overdue again: a new episode, a new activity
            self._scan()
            self.assertEqual(q2.state, "overdue")
            self.assertEqual(str(q2.dunning_episode_date), "2026-03-25")
            self.assertEqual(len(self._activities()), 2)

    def test_dunning_orphan_goes_to_manager(self):
        with freeze_time("2026-03-06"):
            self._scan()
            activity = self._activities(self.orphan_contract)
            self.assertEqual(len(activity), 1)
            self.assertEqual(activity.user_id, self.manager)
            self.assertIn("Fee", activity.summary)
