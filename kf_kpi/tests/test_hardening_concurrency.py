from datetime import date

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, get_db_name, tagged

from odoo.addons.kf_customer_service.tests.common import create_race_company, remove_committed_fixture, run_concurrently

MONTH = date(2025, 3, 1)


@tagged("post_install", "-at_install")
class TestHardeningConcurrency(BaseCase):
    """Two transactions doing the same work at the same time failed on a
    unique index: the nightly KPI cron and a manager's "Compute" on the same
    company-month (kf_kpi_sheet_period_uniq), two runs of the work-report
    cron (period_uniq of kf.work.report), two subscriptions of one partner
    to one record (mail_followers unique). Each run here has its own real
    database connection and commits, like two Odoo workers; a barrier makes
    both take their snapshot before either writes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            company, clerk = create_race_company(
                env,
                "KF Concurrency Co",
                "KF Concurrency Clerk",
                "kf_concurrency_clerk",
                "kf_customer_service.group_kf_clerk",
            )
            partner = env["res.partner"].create({"name": "KF Concurrency Follower"})
            report = env["kf.work.report"].create(
                {"report_type": "monthly", "date": date(2020, 1, 1), "user_id": clerk.id, "company_id": company.id}
            )
            cls.company_id, cls.clerk_id, cls.partner_id, cls.report_id = company.id, clerk.id, partner.id, report.id
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            env["kf.kpi.sheet"].search([("company_id", "=", cls.company_id)]).unlink()
            env["kf.work.report"].search([("company_id", "=", cls.company_id)]).unlink()
            clerk = env["res.users"].browse(cls.clerk_id)
            partners = clerk.partner_id | env["res.partner"].browse(cls.partner_id)
            remove_committed_fixture(env, clerk, partners, env["res.company"].browse(cls.company_id))

    def _race(self, work):
        """Run ``work(env)`` in two transactions at once; return their errors."""
        return run_concurrently(self, [work, work], "kf.kpi.sheet")

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def test_kpi_compute_twice_at_once(self):
        def compute(env):
            env["kf.kpi.sheet"].compute_month(MONTH, env["res.company"].browse(self.company_id))

        # first computation of the month: both runs create the sheets
        self.assertEqual(self._race(compute), [])
        with self.registry.cursor() as cr:
            sheets = self._env(cr)["kf.kpi.sheet"].search([("company_id", "=", self.company_id)])
            self.assertEqual(sorted(sheets.mapped("scope")), ["department", "employee"], "no duplicate sheet")
            lines = len(sheets.line_ids)
            self.assertTrue(lines)
        # recomputation: both runs replace the lines of the same draft sheets
        self.assertEqual(self._race(compute), [])
        with self.registry.cursor() as cr:
            sheets = self._env(cr)["kf.kpi.sheet"].search([("company_id", "=", self.company_id)])
            self.assertEqual(len(sheets), 2)
            self.assertEqual(len(sheets.line_ids), lines, "lines replaced, never duplicated")

    def test_work_report_cron_twice_at_once(self):
        def cron(env):
            env["kf.work.report"]._cron_report_reminders()

        self.assertEqual(self._race(cron), [])
        with self.registry.cursor() as cr:
            env = self._env(cr)
            reports = env["kf.work.report"].search([("user_id", "=", self.clerk_id)])
            keys = [(r.report_type, r.date) for r in reports]
            self.assertEqual(len(keys), len(set(keys)))
            self.assertGreater(len(reports), 1, "the cron created the missing drafts")
            activities = env["mail.activity"].search(
                [("res_model", "=", "kf.work.report"), ("res_id", "in", reports.ids)]
            )
            self.assertEqual(
                sorted(activities.mapped("res_id")),
                sorted(reports.filtered("reminder_sent").ids),
                "one reminder per late report, not two",
            )

    def test_subscribe_same_follower_twice_at_once(self):
        def subscribe(env):
            env["kf.work.report"].browse(self.report_id).message_subscribe(partner_ids=[self.partner_id])

        self.assertEqual(self._race(subscribe), [])
        with self.registry.cursor() as cr:
            followers = self._env(cr)["mail.followers"].search(
                [
                    ("res_model", "=", "kf.work.report"),
                    ("res_id", "=", self.report_id),
                    ("partner_id", "=", self.partner_id),
                ]
            )
            self.assertEqual(len(followers), 1)
