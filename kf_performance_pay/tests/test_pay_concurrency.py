import logging
from datetime import date, datetime

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger

from odoo.addons.kf_customer_service.tests.common import create_race_company, remove_committed_fixture, run_concurrently

_logger = logging.getLogger(__name__)

MONTH = date(2026, 3, 1)


@tagged("post_install", "-at_install")
class TestPayConcurrency(BaseCase):
    """The nightly computation on two cron workers, or the cron and a
    manager's Compute, at the same moment: a reward is paid once and each
    employee has one statement. Each run has its own committed transaction;
    both take their snapshot before either writes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            company, specialist = create_race_company(
                env,
                "KF Pay Concurrency Co",
                "KF Pay Concurrency Specialist",
                "kf_pay_concurrency_specialist",
                "kf_customer_service.group_kf_specialist",
            )
            report = env["kf.product.defect.report"].create(
                {
                    "name": "Loop card resets",
                    "user_id": specialist.id,
                    "company_id": company.id,
                    "description": "<p>Resets under load</p>",
                    "state": "confirmed",
                    "confirmed_on": datetime(2026, 3, 10, 4, 0),
                }
            )
            cls.company_id, cls.user_id, cls.report_id = company.id, specialist.id, report.id
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            env.cr.execute("DELETE FROM kf_pay_statement WHERE company_id = %s", [cls.company_id])
            # confirmed reports are never deleted by users: the fixture's goes by SQL
            env.cr.execute("DELETE FROM kf_product_defect_report WHERE id = %s", [cls.report_id])
            user = env["res.users"].browse(cls.user_id)
            remove_committed_fixture(env, user, user.partner_id, env["res.company"].browse(cls.company_id))

    def _work(self, cron):
        def work(env):
            Statement = env["kf.pay.statement"].with_context(kf_pay_cron=cron)
            Statement.compute_month(MONTH, env["res.company"].browse(self.company_id))

        return work

    def _check_paid_once(self):
        with self.registry.cursor() as cr:
            cr.execute(
                """SELECT s.user_id, count(*) FROM kf_pay_statement s
                    WHERE s.company_id = %s AND s.date_from = %s GROUP BY s.user_id""",
                [self.company_id, MONTH],
            )
            self.assertEqual(dict(cr.fetchall()), {self.user_id: 1})
            cr.execute(
                "SELECT count(*), sum(amount) FROM kf_pay_statement_line WHERE company_id = %s AND source_key = %s",
                [self.company_id, f"defect:{self.report_id}"],
            )
            self.assertEqual(cr.fetchone(), (1, 50.0), "the reward is paid once")

    def test_two_cron_workers(self):
        self.assertEqual(self._race(self._work(True), self._work(True)), [], "the later cron run steps aside")
        self._check_paid_once()

    def test_cron_and_manual_compute(self):
        errors = self._race(self._work(True), self._work(False))
        # the manager's request meets the cron's committed run: Odoo replays
        # a request that fails on a serialization error, so the user sees none
        self.assertTrue(all(isinstance(e, pg_errors.SerializationFailure) for e in errors), errors)
        self._check_paid_once()

    def _race(self, *works):
        with mute_logger("odoo.sql_db"):
            return run_concurrently(self, list(works), "kf.pay.statement")
