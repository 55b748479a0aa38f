from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.kf_performance_pay.models.kf_pay_statement import KfPayPeriod

from .common import KfPayCommon


@tagged("post_install", "-at_install")
class TestPayCommissioning(KfPayCommon):
    """Commissioning fees computed by hand to the cent from the shipped rules
    (local 0.2/0.1, outside 0.6/0.45/0.35, county 0.3 per point; volume
    50 % below 2000 points … 150 % from 7000; 80 % after the call-back,
    20 % at the year end or at a later acceptance; clerk 5 %)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.certificate = cls.env["ir.attachment"].create({"name": "cert.pdf", "raw": b"%PDF-1.4"})
        cls.alarm_category = cls.env.ref("kf_performance_pay.kf_equipment_category_alarm_only")

    @classmethod
    def _project(cls, zone="local"):
        return cls.env["project.project"].create(
            {"name": f"Site {zone}", "partner_id": cls.customer.id, "company_id": cls.company.id, "kf_pay_zone": zone}
        )

    def _order(self, user, points, dispatched, done, project=None, alarm=False, docs_days=1, closed=None):
        """A commissioning order assigned on ``dispatched``, done on
        ``done``, closed (accepted) the day after unless ``closed``, its
        documents handed in ``docs_days`` after it was done."""
        project = project or self._project()
        vals = {"kf_order_type": "commissioning", "user_id": user.id, "project_id": project.id}
        if alarm:
            vals["equipment_id"] = (
                self.env["kf.equipment"]
                .create(
                    {
                        "name": "Alarm panel",
                        "partner_id": self.customer.id,
                        "company_id": self.company.id,
                        "category_id": self.alarm_category.id,
                        "point_count": points,
                        "project_id": project.id,
                    }
                )
                .id
            )
        else:
            vals["point_count"] = points
        order = self._create_order(**vals)
        done_dt = datetime.combine(done, datetime.min.time().replace(hour=9))
        order.sudo().write(
            {
                "state": "closed",
                "date_dispatched": datetime.combine(dispatched, datetime.min.time().replace(hour=9)),
                "date_done": done_dt,
                "date_closed": datetime.combine(closed or done, datetime.min.time().replace(hour=15)),
                "certificate_attachment_ids": [Command.link(self.certificate.id)],
                "certificate_date": done,
            }
        )
        if docs_days is not None:
            stamp = done_dt + timedelta(days=docs_days)
            order.sudo().write({"kf_doc_settlement_on": stamp, "kf_doc_archive_on": stamp, "kf_doc_survey_on": stamp})
        return order

    def _callback(self, order, day, outcome="confirmed"):
        when = datetime.combine(day, datetime.min.time().replace(hour=10))
        form = (
            self.env["kf.service.feedback"]
            .sudo()
            .create({"order_id": order.id, "service_type": "commissioning", "work_done": "Programmed", "result": "OK"})
        )
        form.sudo().write({"state": "reviewed", "reviewed_on": when})
        self.env["kf.service.callback"].sudo().create({"feedback_id": form.id, "outcome": outcome, "date": when})

    def _amounts(self, statement, category):
        return sorted(self._lines(statement, category).mapped("amount"))

    def test_zones_alarm_volume_deduction_and_clerk_share(self):
        self.company.kf_pay_clerk_id = self.clerk
        spec, march = self.specialist, date(2026, 3, 2)
        cases = [("local", 390, False), ("local", 510, False), ("outside", 3825, False)]
        cases += [("outside", 4080, False), ("county", 1000, False), ("local", 500, True)]
        orders = self.env["kf.dispatch.order"]
        for zone, points, alarm in cases:
            orders |= self._order(spec, points, march, date(2026, 3, 10), project=self._project(zone), alarm=alarm)
        for order in orders:
            self._callback(order, date(2026, 3, 20))
        self.assertEqual(orders[-1].kf_pay_points, 127, "a pure alarm controller counts 127 points")
        self.assertEqual(orders[-1].kf_pay_zone, "local")
        self.assertEqual(orders[2].kf_pay_zone, "outside", "copied from the project")
        statements = self._compute(self.month(2026, 3))
        # 9932 points assigned in March: volume 150 %, 80 % paid
        # 390x0.2=78, 510x0.1=51, 3825x0.45=1721.25, 4080x0.35=1428, 1000x0.3=300, 127x0.2=25.4; x1.5x0.8
        self.assertEqual(self._amounts(statements[spec], "commissioning"), [30.48, 61.2, 93.6, 360.0, 1713.6, 2065.5])
        # clerk 5 % of 4324.38 = 216.219 → 216.22
        self.assertEqual(self._amounts(statements[spec], "clerk_share"), [-216.22])
        self.assertEqual(self._amounts(statements[self.clerk], "clerk_share"), [216.22])
        self.assertEqual(statements[spec].amount_total, 4108.16)
        # the department had work (9932 ≥ 510 x 2 specialists): the idle specialist loses 300
        self.assertEqual(self._amounts(statements[self.specialist2], "volume_deduction"), [-300.0])
        self.assertFalse(self._lines(statements[spec], "volume_deduction"))
        self.assertFalse(self._lines(statements[self.manager], "volume_deduction"), "managers are not counted")
        self.assertEqual(orders[0].kf_pay_status, "settled")

    def test_clerk_of_another_company_refused(self):
        other = self.env["res.company"].create({"name": "Other KF Company"})
        self.assertNotIn(other, self.clerk.company_ids)
        with self.assertRaises(ValidationError):
            other.kf_pay_clerk_id = self.clerk

    def test_low_volume_multiplier_and_department_without_work(self):
        order = self._order(self.specialist2, 390, date(2026, 4, 1), date(2026, 4, 3))
        self._callback(order, date(2026, 4, 8))
        statements = self._compute(self.month(2026, 4))
        # 390 points in April: volume 50 %: 390 x 0.2 x 0.5 x 0.8
        self.assertEqual(self._amounts(statements[self.specialist2], "commissioning"), [31.2])
        # 390 < 510 x 2: the department lacked work, nobody loses 300
        self.assertFalse(self._lines(statements[self.specialist2], "volume_deduction"))
        self.assertFalse(self._lines(statements[self.specialist], "volume_deduction"))
        self.assertFalse(self._lines(statements[self.clerk], "clerk_share"), "no clerk configured: no share")

    def test_late_documents_not_settled(self):
        late = self._order(self.specialist, 390, date(2026, 3, 2), date(2026, 3, 10), docs_days=4)
        on_time = self._order(self.specialist, 390, date(2026, 3, 2), date(2026, 3, 10), docs_days=3)
        with freeze_time("2026-03-14 12:00:00"):
            self.assertEqual(late.kf_pay_status, "late_documents")
            self.assertEqual(on_time.kf_pay_status, "waiting_callback")
        missing = self._order(self.specialist, 390, date(2026, 3, 2), date(2026, 3, 12), docs_days=None)
        with freeze_time("2026-03-14 12:00:00"):
            self.assertEqual(missing.kf_pay_status, "waiting_documents")
        for order in late | on_time:
            self._callback(order, date(2026, 3, 20))
        lines = self._lines(self._compute(self.month(2026, 3))[self.specialist], "commissioning")
        self.assertEqual(lines.mapped("res_ids"), [str(on_time.id)], "the late order is not settled")
        # late under every document-days rule: left out before its fields are read
        period = KfPayPeriod(self.env, self.month(2026, 3), self.company)
        unpaid = self.env["kf.pay.statement"]._kf_commissioning_unpaid(period, late | on_time)
        self.assertEqual(unpaid, on_time)

    def test_balance_at_year_end_or_at_later_acceptance(self):
        this_year = self._order(self.specialist, 390, date(2026, 10, 5), date(2026, 11, 2))
        next_year = self._order(self.specialist2, 390, date(2026, 10, 5), date(2026, 11, 2))
        for order in this_year | next_year:
            self._callback(order, date(2026, 11, 10))
        this_year.sudo().kf_acceptance_date = date(2026, 11, 20)
        next_year.sudo().kf_acceptance_date = date(2027, 2, 15)
        # October: 390 points → 50 %: fee 390 x 0.2 x 0.5 = 39 → 31.2 + 7.8
        nov = self._compute(self.month(2026, 11))
        self.assertEqual(self._amounts(nov[self.specialist], "commissioning"), [31.2])
        self.assertFalse(self._lines(nov[self.specialist], "commissioning_final"))
        dec = self._compute(self.month(2026, 12))
        self.assertEqual(self._amounts(dec[self.specialist], "commissioning_final"), [7.8])
        self.assertFalse(self._lines(dec[self.specialist2], "commissioning_final"), "accepted in 2027")
        self.assertEqual(this_year.kf_pay_status, "balance_paid")
        self.assertEqual(self._amounts(self._compute(self.month(2027, 1))[self.specialist2], "commissioning_final"), [])
        feb = self._compute(self.month(2027, 2))
        self.assertEqual(self._amounts(feb[self.specialist2], "commissioning_final"), [7.8])

    def test_leaver_forfeits_advance_successor_gets_balance(self):
        paid = self._order(self.specialist, 390, date(2026, 10, 5), date(2026, 11, 2))
        self._callback(paid, date(2026, 11, 10))
        late = self._order(self.specialist, 390, date(2026, 10, 5), date(2026, 12, 10))
        self._callback(late, date(2026, 12, 18))
        (paid | late).sudo().write({"kf_acceptance_date": date(2026, 12, 1)})
        self.env["kf.pay.leaver"].create(
            {
                "user_id": self.specialist.id,
                "company_id": self.company.id,
                "date_left": date(2026, 12, 15),
                "successor_id": self.specialist2.id,
            }
        )
        nov = self._compute(self.month(2026, 11))
        # October: 780 points → 50 %: each fee 39
        self.assertEqual(self._amounts(nov[self.specialist], "commissioning"), [31.2])
        dec = self._compute(self.month(2026, 12))
        self.assertFalse(self._lines(dec[self.specialist]), "the 80 % confirmed after leaving is forfeited")
        balances = self._lines(dec[self.specialist2], "commissioning_final")
        self.assertEqual(sorted(balances.mapped("amount")), [7.8, 7.8])
        self.assertEqual(balances.transferred_from_id, self.specialist)
        self.assertFalse(self._lines(dec[self.specialist2], "commissioning"))

    def test_capacity_growth_pays_added_points_only(self):
        project = self._project()
        first = self._order(self.specialist, 390, date(2026, 3, 2), date(2026, 3, 10), project=project)
        grown = self._order(self.specialist, 600, date(2026, 4, 1), date(2026, 4, 6), project=project)
        again = self._order(self.specialist, 600, date(2026, 4, 1), date(2026, 4, 8), project=project)
        self.assertEqual((first.kf_pay_points, grown.kf_pay_points, again.kf_pay_points), (390, 210, 0))
        for order in grown | again:
            self._callback(order, date(2026, 4, 20))
        # April: 1200 points → 50 %; 600 points → local 0.1: 210 x 0.1 x 0.5 x 0.8
        lines = self._lines(self._compute(self.month(2026, 4))[self.specialist], "commissioning")
        self.assertEqual(lines.mapped("amount"), [8.4])
        self.assertEqual(lines.mapped("res_ids"), [str(grown.id)], "re-programming pays nothing")

    def test_rule_change_leaves_approved_month_unchanged(self):
        march = self._order(self.specialist, 390, date(2026, 3, 2), date(2026, 3, 10))
        self._callback(march, date(2026, 3, 20))
        statement = self._compute(self.month(2026, 3))[self.specialist]
        self.assertEqual(statement.amount_total, 31.2)
        statement.with_user(self.manager).action_review()
        statement.with_user(self.director).action_approve()
        rule = self.env.ref("kf_performance_pay.kf_pay_rule_rate_local_small")
        with self.assertRaises(UserError):
            rule.with_user(self.director).write({"value": 0.3})
        rule.with_user(self.director).write({"date_to": date(2026, 3, 31)})
        self.Rule.with_user(self.director).create(
            {"key": "commission_rate", "zone": "local", "max_value": 510, "value": 0.3, "date_from": date(2026, 4, 1)}
        )
        april = self._order(self.specialist, 390, date(2026, 4, 1), date(2026, 4, 3))
        self._callback(april, date(2026, 4, 8))
        self.assertEqual(self._compute(self.month(2026, 3))[self.specialist].amount_total, 31.2)
        # April at the new rate: 390 x 0.3 x 0.5 x 0.8
        self.assertEqual(self._amounts(self._compute(self.month(2026, 4))[self.specialist], "commissioning"), [46.8])

    def test_year_end_points_bonus(self):
        self._order(self.specialist, 30000, date(2026, 6, 1), date(2026, 6, 10), docs_days=None)
        self._order(self.specialist2, 29999, date(2026, 6, 1), date(2026, 6, 10), docs_days=None)
        dec = self._compute(self.month(2026, 12))
        self.assertEqual(self._amounts(dec[self.specialist], "bonus"), [500.0])
        self.assertFalse(self._lines(dec[self.specialist2], "bonus"))

    def test_executor_cannot_write_what_pays_them(self):
        order = self._create_order(kf_order_type="commissioning", point_count=390, dispatcher_id=self.clerk.id)
        self.assertEqual(order.user_id, self.executor)
        self.assertFalse(self.executor.has_group("kf_customer_service.group_kf_clerk"))
        order.with_user(self.executor).check_access("write")
        as_executor = order.with_user(self.executor)
        for vals in (
            {"kf_doc_settlement_on": datetime(2026, 3, 1)},
            {"kf_pay_points": 9999},
            {"kf_pay_callback_date": date(2026, 3, 1)},
            {"kf_pay_zone": "outside"},
            {"kf_acceptance_date": date(2026, 3, 1)},
        ):
            with self.assertRaises(AccessError):
                as_executor.write(vals)
        order.sudo().write({"date_done": datetime(2026, 3, 2, 9, 0)})
        with self.assertRaises(AccessError):
            as_executor.action_kf_doc_archive_received()
        # a clerk records the documents, a manager the zone
        order.with_user(self.clerk).action_kf_doc_archive_received()
        self.assertTrue(order.kf_doc_archive_on)
        order.with_user(self.manager).write({"kf_pay_zone": "outside"})
        self.assertEqual(order.kf_pay_zone, "outside")
        # the executor's own order when they are a manager too
        mine = self._create_order(kf_order_type="commissioning", point_count=390, user_id=self.manager.id)
        with self.assertRaises(AccessError):
            mine.with_user(self.manager).write({"kf_acceptance_date": date(2026, 3, 1)})
        closed = self._order(self.executor, 390, date(2026, 3, 2), date(2026, 3, 10))
        with self.assertRaises(UserError):
            closed.with_user(self.manager).write({"kf_pay_zone": "county"})
        with self.assertRaises(UserError):
            closed.with_user(self.executor).write({"point_count": 5000})

    def test_query_count_does_not_grow_with_employees(self):
        """The source reads the company's orders, volumes and specialists in
        a fixed number of queries, however many executors are paid."""
        self.company.kf_pay_clerk_id = self.clerk
        Statement = self.env["kf.pay.statement"].sudo()

        def count_queries(users):
            for user in users:
                order = self._order(user, 600, date(2026, 5, 4), date(2026, 5, 11))
                self._callback(order, date(2026, 5, 20))
            period = KfPayPeriod(self.env, self.month(2026, 5), self.company)
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            items = Statement._kf_pay_post_items(period, Statement._kf_pay_items_commissioning(period))
            return self.env.cr.sql_log_count - before, items

        few, items = count_queries(self.specialist)
        self.assertEqual(len([i for i in items if i["category"] == "commissioning"]), 1)
        extra = self.env["res.users"]
        for index in range(4):
            extra |= new_test_user(
                self.env,
                f"pay_extra_{index}",
                groups="kf_customer_service.group_kf_specialist",
                company_id=self.company.id,
                company_ids=[Command.set([self.company.id])],
            )
        many, items = count_queries(self.specialist2 | extra)
        self.assertEqual(len([i for i in items if i["category"] == "commissioning"]), 6)
        self.assertLessEqual(many, few)

    def test_late_documents_proposed_once(self):
        """Documents handed in late: the fee is not settled and a 20 penalty
        is proposed to the executor, once, for the manager to confirm."""
        on_time = self._order(self.specialist, 390, date(2026, 3, 2), date(2026, 3, 10), docs_days=1)
        late = self._order(self.specialist, 510, date(2026, 3, 2), date(2026, 3, 10), docs_days=5)
        missing = self._order(self.specialist2, 400, date(2026, 3, 2), date(2026, 3, 10), docs_days=None)
        Penalty = self.env["kf.pay.penalty"]
        with freeze_time("2026-03-20 12:00:00"):
            first = Penalty._cron_propose_penalties()
            again = Penalty._cron_propose_penalties()
        proposed = first.filtered(lambda p: p.res_model == "kf.dispatch.order")
        self.assertEqual(sorted(proposed.mapped("res_id")), sorted((late | missing).ids))
        self.assertNotIn(on_time.id, proposed.mapped("res_id"))
        self.assertEqual(proposed.type_id, self.env.ref("kf_performance_pay.kf_pay_penalty_type_late_documents"))
        self.assertEqual(set(proposed.mapped("state")), {"proposed"})
        self.assertFalse(again.filtered(lambda p: p.res_model == "kf.dispatch.order"), "proposed once")
        self.assertEqual(late.kf_pay_status, "late_documents")
