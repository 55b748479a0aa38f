from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import KfDispatchCommon


class KfPlanCommon(KfDispatchCommon):
    """A running maintenance contract of 2026 with two pieces of equipment
    (a 127-point alarm controller and a pump) and a plan: a monthly test
    anchored on 31 January (a Saturday; months ending earlier keep their
    last day) and a quarterly check anchored on Monday 9 March (the
    holiday of the fixtures)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.kf_plan_lead_days = 5
        cls.category = cls.env.ref("kf_dispatch.kf_equipment_category_controller")
        cls.Equipment = cls.env["kf.equipment"].with_company(cls.company)
        cls.controller = cls.Equipment.create(
            {
                "name": "Alarm controller A",
                "partner_id": cls.customer.id,
                "category_id": cls.category.id,
                "point_count": 127,
                "company_id": cls.company.id,
                "warranty_end": date(2027, 6, 30),
            }
        )
        cls.pump = cls.Equipment.create(
            {
                "name": "Fire pump 1",
                "partner_id": cls.customer.id,
                "category_id": cls.env.ref("kf_dispatch.kf_equipment_category_pump").id,
                "point_count": 2,
                "company_id": cls.company.id,
            }
        )
        cls.contract = cls._create_contract(date(2026, 1, 1), date(2026, 12, 31))
        cls.plan = cls._create_plan(cls.contract)

    @classmethod
    def _create_contract(cls, date_start, date_end, state="running", partner=None):
        return (
            cls.env["kf.service.contract"]
            .with_company(cls.company)
            .create(
                {
                    "partner_id": (partner or cls.customer).id,
                    "contract_type": "maintenance",
                    "date_start": date_start,
                    "date_end": date_end,
                    "state": state,
                    "company_id": cls.company.id,
                    "project_id": cls.project.id,
                }
            )
        )

    @classmethod
    def _create_plan(cls, contract, **vals):
        equipment = [Command.set((cls.controller | cls.pump).ids)]
        return cls.env["kf.maintenance.plan"].create(
            {
                "contract_id": contract.id,
                "user_id": cls.executor.id,
                "line_ids": [
                    Command.create(
                        {"check_type": "monthly", "equipment_ids": equipment, "date_start": date(2026, 1, 31)}
                    ),
                    Command.create(
                        {"check_type": "quarterly", "equipment_ids": equipment, "date_start": date(2026, 3, 9)}
                    ),
                ],
                **vals,
            }
        )

    def _generate(self, today, plans=None):
        return self.env["kf.maintenance.plan.line"].kf_generate(plans=plans, today=today)

    def _orders(self, plan=None, order_type="maintenance"):
        return self.env["kf.dispatch.order"].search(
            [("maintenance_plan_id", "=", (plan or self.plan).id), ("kf_order_type", "=", order_type)],
            order="date_planned_start",
        )


@tagged("post_install", "-at_install")
class TestMaintenancePlan(KfPlanCommon):
    def test_generation_idempotent_month_ends_and_holidays(self):
        self._generate(date(2026, 1, 26))
        self._generate(date(2026, 1, 26))
        orders = self._orders()
        self.assertEqual(len(orders), 1, "31 January is within five working days of 26 January, once")
        order = orders
        self.assertEqual(order.plan_key, f"line:{self.plan.line_ids[0].id}:2026-01-31")
        # Saturday 31 January: planned on the next working day
        self.assertEqual(order.date_planned_start.date(), date(2026, 2, 2))
        self.assertEqual(len(order.check_ids), 2)
        self.assertEqual(order.check_point_total, 129)
        for _run in range(3):
            self._generate(date(2026, 2, 23))
        keys = sorted(self._orders().mapped("plan_key"))
        self.assertEqual(len(keys), 2)
        self.assertTrue(keys[1].endswith("2026-02-28"), "February keeps its last day")
        self._generate(date(2026, 3, 4))
        self._generate(date(2026, 3, 4))
        quarterly = self._orders().filtered(lambda o: o.plan_line_id == self.plan.line_ids[1])
        self.assertEqual(len(quarterly), 1)
        self.assertEqual(
            quarterly.date_planned_start.date(), date(2026, 3, 10), "the holiday of 9 March moves it to the 10th"
        )
        self.assertEqual(self.plan.line_ids[0].date_next, date(2026, 3, 31))
        self._generate(date(2026, 3, 27))
        self.assertEqual(len(self._orders()), 4)
        plan_orders = [("maintenance_plan_id", "=", self.plan.id), ("plan_key", "like", "line:%")]
        self.assertEqual(self.env["kf.dispatch.order"].search_count(plan_orders), 4)

    def test_ended_or_suspended_contract_generates_nothing(self):
        ended = self._create_contract(date(2025, 1, 1), date(2026, 1, 20), state="expired")
        ended_plan = self._create_plan(ended)
        self.plan.state = "suspended"
        self._generate(date(2026, 1, 26))
        self.assertFalse(self._orders())
        self.assertFalse(self._orders(ended_plan))
        self.assertFalse(self._orders(ended_plan, "initialisation"))
        self.assertFalse(ended_plan.visit_ids)
        # an occurrence after the contract's end is never generated
        short = self._create_contract(date(2026, 1, 1), date(2026, 1, 30))
        short_plan = self._create_plan(short)
        self._generate(date(2026, 1, 26))
        self.assertFalse(self._orders(short_plan))
        self.assertFalse(short_plan.line_ids[0].date_next)

    def test_initialisation_order_within_ten_working_days(self):
        contract = self._create_contract(date(2026, 3, 2), date(2027, 3, 1))
        plan = self._create_plan(contract)
        self._generate(date(2026, 3, 2))
        self._generate(date(2026, 3, 3))
        init = self._orders(plan, "initialisation")
        self.assertEqual(len(init), 1)
        self.assertEqual(plan.init_order_id, init)
        # ten working days from Monday 2 March, the holiday of 9 March skipped
        self.assertEqual(init.date_planned_end.date(), date(2026, 3, 16))
        self.assertEqual(init.check_point_total, 129, "every point of every equipment is checked")
        # the executor, as themselves, cannot finish it before 100 %
        init.sudo().write({"state": "in_progress", "completion_note": "Tested"})
        self.assertEqual(init.user_id, self.executor)
        order = init.with_user(self.executor)
        order.check_ids[0].write({"done": True})
        self.assertLess(order.check_progress, 100)
        with self.assertRaises(ValidationError):
            order.write({"state": "done"})
        with self.assertRaises(ValidationError):
            order.check_ids[1].write({"point_count": 1, "done": True})
            order.write({"state": "done"})
        order.check_ids[1].write({"point_count": 2, "done": True})
        order.write({"state": "done"})
        self.assertEqual(order.state, "done")
        self.assertEqual(order.check_progress, 100)

    def test_manager_quarterly_check_visit(self):
        self._generate(date(2026, 1, 1))
        self._generate(date(2026, 1, 2))
        visits = self.plan.visit_ids
        self.assertEqual(len(visits), 1)
        self.assertEqual(visits.user_id, self.manager)
        self.assertEqual(visits.kf_purpose, "manager_check")
        self.assertEqual(visits.date_planned, date(2026, 1, 1))
        self.assertEqual(visits.kf_equipment_id, self.controller)
        self.assertEqual(self.plan.manager_check_date_next, date(2026, 4, 1))
        self._generate(date(2026, 3, 27))
        self.assertEqual(len(self.plan.visit_ids), 2)
        self._generate(date(2026, 3, 27))
        self.assertEqual(len(self.plan.visit_ids), 2)

    def test_generate_button_rights(self):
        """An employee without the department's groups cannot run it."""
        self.assertFalse(self.executor.has_group("kf_customer_service.group_kf_specialist"))
        with self.assertRaises(AccessError):
            self.env["kf.maintenance.plan.line"].with_user(self.executor).kf_generate(today=date(2026, 1, 26))
        self.plan.with_user(self.manager).action_generate()
        self.assertTrue(self.plan.order_ids)

    def test_multi_company(self):
        other = self.env["res.company"].create({"name": "Other KF Company"})
        specialist_b = new_test_user(
            self.env,
            "plan_spec_b",
            groups="kf_customer_service.group_kf_specialist",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.assertNotIn(self.company, specialist_b.company_ids)
        Equipment = self.env["kf.equipment"].with_user(specialist_b)
        self.assertFalse(Equipment.search([("id", "in", (self.controller | self.pump).ids)]))
        self.assertFalse(self.env["kf.maintenance.plan"].with_user(specialist_b).search([("id", "=", self.plan.id)]))
        with self.assertRaises(AccessError):
            self.controller.with_user(specialist_b).read(["point_count"])


@tagged("post_install", "-at_install")
class TestEquipmentRules(KfPlanCommon):
    def _closed_commissioning_order(self):
        order = self._create_order(kf_order_type="commissioning", equipment_id=self.controller.id)
        self.assertEqual(order.point_count, 127, "copied from the equipment")
        attachment = self.env["ir.attachment"].create({"name": "cert.pdf", "raw": b"%PDF-1.4"})
        order.sudo()._write_state(
            {
                "state": "closed",
                "certificate_attachment_ids": [Command.link(attachment.id)],
                "certificate_date": date(2026, 3, 2),
            }
        )
        return order

    def test_point_count_locked_once_accepted(self):
        order = self._closed_commissioning_order()
        self.assertEqual(order.state, "closed")
        # the executor reads and may write the order: the lock is what refuses
        self.assertEqual(order.user_id, self.executor)
        order.with_user(self.executor).check_access("write")
        with self.assertRaises(UserError):
            order.with_user(self.executor).write({"point_count": 200})
        with self.assertRaises(UserError):
            order.with_user(self.manager).write({"point_count": 200})
        with self.assertRaises(UserError):
            order.with_user(self.manager).write({"equipment_id": self.pump.id})
        self.controller.point_count = 300
        self.assertEqual(order.point_count, 127, "the equipment's count does not change the accepted order")

    def test_point_count_free_before_acceptance(self):
        order = self._create_order(kf_order_type="commissioning", equipment_id=self.controller.id)
        order.with_user(self.manager).write({"point_count": 120})
        self.assertEqual(order.point_count, 120)

    def test_contract_preconditions(self):
        self.env["kf.contract.precondition.template"].create(
            [
                {"name": "Accepted by the fire brigade", "company_id": self.company.id, "sequence": 1},
                {"name": "Site in order", "company_id": self.company.id, "sequence": 2},
            ]
        )
        contract = self._create_contract(date(2026, 3, 2), date(2027, 3, 1), state="draft")
        contract.user_id = self.specialist
        self.assertEqual(len(contract.kf_precondition_ids), 2)
        as_specialist = contract.with_user(self.specialist)
        as_specialist.check_access("write")
        with self.assertRaises(ValidationError):
            as_specialist.action_confirm()
        with self.assertRaises(ValidationError):
            as_specialist.write({"state": "running"})
        as_specialist.kf_precondition_ids[0].write({"done": True})
        self.assertEqual(contract.kf_precondition_ids[0].done_by_id, self.specialist)
        with self.assertRaises(ValidationError):
            as_specialist.action_confirm()
        as_specialist.kf_precondition_ids[1].write({"done": True})
        as_specialist.action_confirm()
        self.assertEqual(contract.state, "running")
        with self.assertRaises(UserError):
            as_specialist.kf_precondition_ids[0].write({"done": False})

    def test_renewal_skips_signing_preconditions(self):
        """The signing checklist is for a new system: renewing a running
        maintenance contract through the renewal wizard's method must not be
        blocked by it, while a new contract still is."""
        self.env["kf.contract.precondition.template"].create(
            {"name": "Accepted by the fire brigade", "company_id": self.company.id}
        )
        contract = self._create_contract(date(2026, 1, 1), date(2026, 12, 31))
        self.assertEqual(contract.state, "running")
        successor = contract.kf_renew(date(2027, 1, 1), date(2027, 12, 31), 1000.0)
        self.assertEqual(successor.predecessor_id, contract)
        self.assertEqual(successor.state, "running")
        self.assertFalse(successor.kf_precondition_ids)
        fresh = self._create_contract(date(2027, 1, 1), date(2027, 12, 31), state="draft")
        self.assertTrue(fresh.kf_precondition_ids)
        with self.assertRaises(ValidationError):
            fresh.action_confirm()

    def test_qr_label_report(self):
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "kf_dispatch.kf_equipment_label_report", (self.controller | self.pump).ids
        )
        self.assertEqual(html.count(b"data:image/png;base64,"), 2, "one QR code per label")
        self.assertIn(b"Alarm controller A", html)

    def test_equipment_history_and_counts(self):
        ticket = self._create_ticket(equipment_id=self.controller.id, ticket_type="repair")
        order = self._create_order(equipment_id=self.controller.id)
        self.assertEqual(self.controller.ticket_ids, ticket)
        self.assertEqual(self.controller.order_ids, order)
        self.assertEqual(self.controller.ticket_count, 1)
        self.assertEqual(self.controller.warranty_state, "in_warranty")


@tagged("post_install", "-at_install")
class TestWeeklyVisitList(KfPlanCommon):
    def test_weekly_list_once_routed(self):
        orphan = self.env["res.partner"].create(
            {"name": "Orphan Key Customer", "is_company": True, "kf_grade": "key", "kf_is_customer": True}
        )
        self._create_contract(date(2026, 1, 1), date(2026, 12, 31), partner=orphan)
        Partner = self.env["res.partner"]
        monday = date(2026, 3, 2)
        Partner._kf_create_visit_list(self.company, monday)
        activities = self.env["mail.activity"].search(
            [("activity_type_id", "=", self.env.ref("kf_dispatch.mail_activity_type_kf_visit_list").id)]
        )
        by_partner = {a.res_id: a for a in activities}
        self.assertEqual(by_partner[self.customer.id].user_id, self.specialist, "in warranty: its specialist")
        self.assertEqual(by_partner[orphan.id].user_id, self.manager, "nobody holds it: the manager")
        self.assertEqual(by_partner[self.customer.id].date_deadline, date(2026, 3, 6))
        self.assertEqual(self.env["kf.run.stamp"].kf_done_companies("kf.visit.list", monday), self.company)
        Partner._kf_create_visit_list(self.company, monday)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("id", "not in", activities.ids), ("activity_type_id", "=", activities.activity_type_id.id)]
            ),
            0,
            "a second run of the week creates nothing",
        )
        # the daily cron does nothing more this week
        companies = self.env["res.company"].search(Partner._visit_list_companies_domain(monday))
        self.assertNotIn(self.company, companies)
