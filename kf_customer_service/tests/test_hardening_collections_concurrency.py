import logging
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, get_db_name, tagged

from .common import run_concurrently, setup_test_accounting

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestHardeningCollectionsConcurrency(BaseCase):
    """Two cron workers invoicing the schedule at once, and a user's
    Invoice button during a cron run, never give a line two invoices. Each
    run has its own database connection and commits, like two Odoo workers;
    a barrier makes both take their snapshot before either writes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            company = env["res.company"].create({"name": "KF Collections Race Co"})
            setup_test_accounting(env, company)
            customer = env["res.partner"].create({"name": "KF Race Customer", "is_company": True})
            today = fields.Date.context_today(env["kf.service.contract"])
            contract = (
                env["kf.service.contract"]
                .with_company(company)
                .create(
                    {
                        "partner_id": customer.id,
                        "company_id": company.id,
                        "date_start": today - timedelta(days=30),
                        "date_end": today + timedelta(days=300),
                        "state": "running",
                        "payment_line_ids": [
                            Command.create({"name": f"Race {i}", "date_due": today + timedelta(days=i), "amount": 100})
                            for i in range(6)
                        ],
                    }
                )
            )
            cls.company_id, cls.contract_id = company.id, contract.id
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["kf.service.contract"].browse(cls.contract_id).active = False
            env["res.company"].browse(cls.company_id).active = False

    def _race(self, *works):
        """Run each ``work(env)`` in its own transaction at once; return
        their errors."""
        return run_concurrently(self, works, "kf.contract.payment.line")

    def _invoices_per_line(self):
        with self.registry.cursor() as cr:
            cr.execute(
                """SELECT l.id, count(m.id) FROM kf_contract_payment_line l
                     LEFT JOIN account_move m ON m.kf_payment_line_id = l.id AND m.state != 'cancel'
                    WHERE l.contract_id = %s GROUP BY l.id""",
                (self.contract_id,),
            )
            return dict(cr.fetchall())

    def test_two_cron_workers_and_a_button(self):
        def cron(env):
            env["kf.contract.payment.line"]._cron_invoice_scan(batch_size=4)

        def button(env):
            contract = env["kf.service.contract"].browse(self.contract_id)
            contract.payment_line_ids.sorted("date_due")[:2].action_create_invoice()

        # a user's button on lines the cron is invoicing: one of them
        # invoices each line; the other is refused, or fails on a concurrency
        # error that Odoo retries (the retry is then refused)
        retried = (pg_errors.LockNotAvailable, pg_errors.SerializationFailure, pg_errors.DeadlockDetected)
        for error in self._race(cron, button):
            self.assertIsInstance(error, (UserError, *retried))
        counts = self._invoices_per_line()
        self.assertTrue(all(n <= 1 for n in counts.values()), counts)
        # two workers share the rest without failing
        self.assertEqual(self._race(cron, cron), [])
        counts = self._invoices_per_line()
        self.assertEqual(sorted(counts.values()), [1] * 6, "every line due within the lead days is invoiced once")
