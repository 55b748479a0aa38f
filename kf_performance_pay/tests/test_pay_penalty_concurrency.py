import logging
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, get_db_name, tagged

from odoo.addons.kf_customer_service.tests.common import create_race_company, remove_committed_fixture, run_concurrently

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestPayPenaltyConcurrency(BaseCase):
    """Two proposal scans at once (two cron workers, or the cron and a
    manual run) propose each missing feedback form once: each run has its
    own committed transaction, both take their snapshot before either
    writes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            company, engineer = create_race_company(
                env,
                "KF Penalty Concurrency Co",
                "KF Penalty Concurrency Engineer",
                "kf_penalty_concurrency_engineer",
                "base.group_user",
            )
            partner = env["res.partner"].create({"name": "KF Penalty Concurrency Customer", "is_company": True})
            project = env["project.project"].create({"name": "KF Penalty Concurrency", "company_id": company.id})
            order = env["kf.dispatch.order"].create(
                {
                    "partner_id": partner.id,
                    "project_id": project.id,
                    "work_content": "Check the panel",
                    "user_id": engineer.id,
                    "company_id": company.id,
                }
            )
            form = env["kf.service.feedback"].create(
                {"order_id": order.id, "date_leave": fields.Datetime.now() - timedelta(days=10)}
            )
            cls.company_id, cls.engineer_id, cls.form_id = company.id, engineer.id, form.id
            cls.records = [
                ("kf.service.feedback", form.id),
                ("kf.dispatch.order", order.id),
                ("project.project", project.id),
                ("res.partner", partner.id),
            ]
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            env["kf.pay.penalty"].search([("company_id", "=", cls.company_id)]).unlink()
            remove_committed_fixture(
                env,
                *(env[model].browse(res_id) for model, res_id in cls.records),
                env["res.users"].browse(cls.engineer_id),
                env["res.company"].browse(cls.company_id),
            )

    def test_proposal_scan_twice_at_once(self):
        def scan(env):
            env["kf.pay.penalty"]._cron_propose_penalties()

        self.assertEqual(run_concurrently(self, [scan, scan], "kf.pay.penalty"), [])
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            penalties = env["kf.pay.penalty"].search([("company_id", "=", self.company_id)])
            self.assertEqual(penalties.mapped("res_id"), [self.form_id], "one proposal, not two")
            self.assertEqual(penalties.user_id.id, self.engineer_id)
            self.assertEqual(penalties.state, "proposed")
