from datetime import date

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, TransactionCase, get_db_name, tagged

from .common import remove_committed_fixture, run_concurrently

JOB = "kf.test.job"


@tagged("post_install", "-at_install")
class TestRunStamp(TransactionCase):
    def test_claim_once_per_period(self):
        Stamp = self.env["kf.run.stamp"]
        company = self.env["res.company"].create({"name": "KF Stamp Co"})
        monday = date(2026, 11, 30)
        self.assertFalse(Stamp.kf_done_companies(JOB, monday))
        self.assertTrue(Stamp.kf_claim(JOB, company, monday))
        self.assertEqual(Stamp.kf_done_companies(JOB, monday), company)
        self.assertFalse(Stamp.kf_claim(JOB, company, monday), "the week's job is done")
        self.assertFalse(Stamp.kf_claim(JOB, company, date(2026, 11, 23)), "an earlier week is done too")
        self.assertTrue(Stamp.kf_claim(JOB, company, date(2026, 12, 7)), "next week's job is to do")
        self.assertTrue(Stamp.kf_claim("kf.test.other", company, monday), "each job has its own stamp")
        self.assertFalse(Stamp.kf_done_companies(JOB, date(2026, 12, 14)))

    def test_stamp_not_on_company_row(self):
        """The stamp leaves the company's row alone: a concurrent insert of
        the company's records reads that row and would fail on its update."""
        company = self.env["res.company"].create({"name": "KF Stamp Co 2"})
        self.env.flush_all()
        self.env.cr.execute("SELECT write_date FROM res_company WHERE id = %s", (company.id,))
        before = self.env.cr.fetchone()[0]
        self.assertTrue(self.env["kf.run.stamp"].kf_claim(JOB, company, date(2026, 11, 30)))
        self.env.cr.execute("SELECT write_date FROM res_company WHERE id = %s", (company.id,))
        self.assertEqual(self.env.cr.fetchone()[0], before)


@tagged("post_install", "-at_install")
class TestRunStampConcurrency(BaseCase):
    """Two cron workers claiming the same job of the same period at once,
    each in its own committed transaction: exactly one does the job."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cls.company_id = env["res.company"].create({"name": "KF Stamp Race Co"}).id
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            stamps = env["kf.run.stamp"].search([("company_id", "=", cls.company_id)])
            remove_committed_fixture(env, stamps, env["res.company"].browse(cls.company_id))

    def test_two_workers_claim_once(self):
        claims = []

        def claim(env):
            company = env["res.company"].browse(self.company_id)
            claims.append(env["kf.run.stamp"].kf_claim(JOB, company, date(2026, 11, 30)))

        errors = run_concurrently(self, (claim, claim), "kf.run.stamp")
        self.assertFalse(errors)
        self.assertEqual(sorted(claims), [False, True], "one worker does the job, the other leaves")
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM kf_run_stamp WHERE company_id = %s", (self.company_id,))
            self.assertEqual(cr.fetchone()[0], 1)
