from datetime import date

from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, get_db_name, tagged

from odoo.addons.kf_customer_service.tests.common import create_race_company, remove_committed_fixture, run_concurrently


@tagged("post_install", "-at_install")
class TestPlanConcurrency(BaseCase):
    """Two cron workers (or a worker and a manager's "Generate Now") running
    the maintenance-plan scan, and the weekly visit list, at the same time:
    each in its own committed transaction, both snapshots taken before
    either writes. Nothing is generated twice and neither run fails."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            company, manager = create_race_company(
                env,
                "KF Plan Concurrency Co",
                "KF Plan Concurrency Manager",
                "kf_plan_concurrency_manager",
                "kf_customer_service.group_kf_manager",
            )
            company.kf_manager_id = manager
            customer = env["res.partner"].create(
                {"name": "KF Plan Concurrency Customer", "is_company": True, "company_id": company.id}
            )
            project = env["project.project"].create({"name": "KF Plan Concurrency", "company_id": company.id})
            equipment = env["kf.equipment"].create(
                {
                    "name": "KF Plan Concurrency Controller",
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "category_id": env.ref("kf_dispatch.kf_equipment_category_controller").id,
                    "point_count": 127,
                    "warranty_end": date(2099, 1, 1),
                }
            )
            contract = env["kf.service.contract"].create(
                {
                    "partner_id": customer.id,
                    "contract_type": "maintenance",
                    "date_start": date(2026, 1, 1),
                    "date_end": date(2026, 12, 31),
                    "state": "running",
                    "company_id": company.id,
                    "project_id": project.id,
                }
            )
            plan = env["kf.maintenance.plan"].create(
                {
                    "contract_id": contract.id,
                    "line_ids": [
                        Command.create(
                            {"check_type": "monthly", "equipment_ids": equipment.ids, "date_start": date(2026, 1, 5)}
                        )
                    ],
                }
            )
            cls.ids = {
                "company": company.id,
                "manager": manager.id,
                "customer": customer.id,
                "project": project.id,
                "equipment": equipment.id,
                "contract": contract.id,
                "plan": plan.id,
            }
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            ids = cls.ids
            company = env["res.company"].browse(ids["company"])
            env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "=", ids["customer"])]).unlink()
            contract = env["kf.service.contract"].browse(ids["contract"])
            contract.state = "cancelled"
            plan = env["kf.maintenance.plan"].browse(ids["plan"])
            remove_committed_fixture(
                env,
                env["kf.visit"].search([("company_id", "=", company.id)]),
                env["kf.dispatch.order"].search([("company_id", "=", company.id)]),
                plan,
                contract,
                env["kf.equipment"].browse(ids["equipment"]),
                env["project.project"].browse(ids["project"]),
                env["res.users"].browse(ids["manager"]),
                env["res.partner"].browse(ids["customer"]),
                company,
            )
            if plan.exists():  # kept by the database: it generates nothing more
                plan.state = "suspended"

    def _race(self, work):
        return run_concurrently(self, [work, work], "kf.dispatch.order")

    def test_plan_generation_twice_at_once(self):
        def generate(env):
            plan = env["kf.maintenance.plan"].browse(self.ids["plan"])
            env["kf.maintenance.plan.line"].kf_generate(plans=plan, today=date(2026, 3, 2))

        self.assertEqual(self._race(generate), [])
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            orders = env["kf.dispatch.order"].search([("maintenance_plan_id", "=", self.ids["plan"])])
            keys = orders.mapped("plan_key")
            self.assertEqual(len(keys), len(set(keys)), "no occurrence generated twice")
            # January to March 5th: three monthly orders and the initialisation order
            self.assertEqual(len(orders), 4)
            visits = env["kf.visit"].search([("kf_plan_id", "=", self.ids["plan"])])
            self.assertEqual(len(visits), 1, "one manager's check visit (1 January)")
            self.assertEqual(env["kf.maintenance.plan.line"].search([("plan_id", "=", self.ids["plan"])]).occurrence, 3)

    def test_weekly_visit_list_twice_at_once(self):
        def visit_list(env):
            env["res.partner"]._kf_create_visit_list(env["res.company"].browse(self.ids["company"]), date(2026, 3, 2))

        self.assertEqual(self._race(visit_list), [])
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            activities = env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.ids["customer"])]
            )
            self.assertEqual(len(activities), 1)
            self.assertEqual(activities.user_id.id, self.ids["manager"])
