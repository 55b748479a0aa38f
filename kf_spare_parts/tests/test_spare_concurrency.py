from datetime import datetime

from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, get_db_name, tagged

from odoo.addons.kf_customer_service.tests.common import remove_committed_fixture, run_concurrently

DUE = datetime(2031, 3, 10, 10, 0)


@tagged("post_install", "-at_install")
class TestSpareScanConcurrency(BaseCase):
    """Two cron workers running the due-date reminder and the overdue scan
    at the same time, each in its own committed transaction: every loan gets
    each reminder once and neither run fails."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            company = env.ref("base.main_company")
            users = env["res.users"].create(
                [
                    {
                        "name": f"KF Spare Race Borrower {i}",
                        "login": f"kf_spare_race_{i}",
                        "company_id": company.id,
                        "company_ids": [Command.set([company.id])],
                        "groups_id": [Command.set([env.ref("kf_customer_service.group_kf_specialist").id])],
                    }
                    for i in range(3)
                ]
            )
            loans = env["kf.spare.loan"].create(
                [
                    {
                        "user_id": user.id,
                        "company_id": company.id,
                        "reason": "Concurrent scan",
                        "state": "issued",
                        "issued_by_id": SUPERUSER_ID,
                        "date_due": DUE,
                    }
                    for user in users
                ]
            )
            cls.user_ids, cls.loan_ids = users.ids, loans.ids
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            loans = env["kf.spare.loan"].browse(cls.loan_ids)
            env["mail.activity"].search([("res_model", "=", "kf.spare.loan"), ("res_id", "in", loans.ids)]).unlink()
            loans.write({"state": "cancelled"})
            loans.unlink()
            remove_committed_fixture(env, env["res.users"].browse(cls.user_ids))

    def _activities(self, xmlid):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return env["mail.activity"].search_read(
                [
                    ("res_model", "=", "kf.spare.loan"),
                    ("res_id", "in", self.loan_ids),
                    ("activity_type_id", "=", env.ref(xmlid).id),
                ],
                ["res_id", "user_id"],
            )

    def test_due_reminder_twice_at_once(self):
        def remind(env):
            env["kf.spare.loan"]._kf_remind_due(datetime(2031, 3, 9, 11, 0))

        self.assertEqual(run_concurrently(self, [remind, remind], "kf.spare.loan"), [])
        activities = self._activities("kf_spare_parts.mail_activity_type_kf_spare_due")
        self.assertEqual(sorted(a["res_id"] for a in activities), sorted(self.loan_ids), "one reminder per loan")

    def test_overdue_scan_twice_at_once(self):
        def scan(env):
            env["kf.spare.loan"]._kf_notify_overdue(datetime(2031, 3, 11, 11, 0))

        self.assertEqual(run_concurrently(self, [scan, scan], "kf.spare.loan"), [])
        activities = self._activities("kf_spare_parts.mail_activity_type_kf_spare_overdue")
        # the borrower and the issuing user (the superuser: internal, active) once per loan
        per_loan = {}
        for activity in activities:
            per_loan.setdefault(activity["res_id"], []).append(activity["user_id"][0])
        self.assertEqual(set(per_loan), set(self.loan_ids))
        for users in per_loan.values():
            self.assertEqual(len(users), len(set(users)), "no reminder twice")
