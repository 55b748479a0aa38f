from datetime import date, datetime

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from odoo.addons.kf_customer_service.tests.common import create_test_calendar, setup_test_accounting

MONTH = date(2025, 3, 1)  # March 2025: 21 weekdays, the 10th a public holiday → 20 working days


@tagged("post_install", "-at_install")
class TestKpiAppraisal(TransactionCase):
    """Monthly appraisal: each KPI against hand-computed figures on a small
    fixture, drill-down, approval freeze and idempotent recompute."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
        )
        cls.calendar = create_test_calendar(cls.env, "KF KPI 40h UTC")
        cls.company = cls.env["res.company"].create({"name": "KF KPI Co", "resource_calendar_id": cls.calendar.id})
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday",
                "calendar_id": cls.calendar.id,
                "resource_id": False,
                "date_from": datetime(2025, 3, 10, 0, 0),
                "date_to": datetime(2025, 3, 10, 23, 59, 59),
            }
        )
        vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        cls.manager = new_test_user(
            cls.env, "kpi_mgr", groups="kf_customer_service.group_kf_manager", name="KPI Manager", **vals
        )
        cls.spec_a = new_test_user(
            cls.env, "kpi_spec_a", groups="kf_customer_service.group_kf_specialist", name="Specialist A", **vals
        )
        cls.spec_b = new_test_user(
            cls.env, "kpi_spec_b", groups="kf_customer_service.group_kf_specialist", name="Specialist B", **vals
        )
        cls.director = new_test_user(
            cls.env, "kpi_dir", groups="kf_customer_service.group_kf_director", name="KPI Director", **vals
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "KPI Customer",
                "is_company": True,
                "company_id": cls.company.id,
                "kf_specialist_id": cls.spec_a.id,
            }
        )
        cls.Sheet = cls.env["kf.kpi.sheet"]
        closed = cls.env.ref("kf_dispatch.kf_ticket_stage_closed")
        # 50 complaints of A received in March, 49 closed; one more cancelled (not counted)
        tickets = (
            cls.env["kf.ticket"]
            .with_company(cls.company)
            .create(
                [
                    {
                        "subject": f"Complaint {i}",
                        "ticket_type": "complaint",
                        "partner_id": cls.customer.id,
                        "user_id": cls.spec_a.id,
                        "company_id": cls.company.id,
                        "date_received": datetime(2025, 3, 3 + i % 20, 9, 0),
                    }
                    for i in range(51)
                ]
            )
        )
        tickets[:49].write({"stage_id": closed.id, "resolution": "Handled."})
        tickets[50].write({"stage_id": cls.env.ref("kf_dispatch.kf_ticket_stage_cancelled").id})
        cls.complaints = tickets[:50]
        # a complaint of April does not count in March
        cls.env["kf.ticket"].with_company(cls.company).create(
            {
                "subject": "April",
                "ticket_type": "complaint",
                "partner_id": cls.customer.id,
                "user_id": cls.spec_a.id,
                "company_id": cls.company.id,
                "date_received": datetime(2025, 4, 2, 9),
            }
        )
        # visits: A scores 5, 4, 5 (93.3 %), B scores 3, 4 (70 %)
        Visit = cls.env["kf.visit"].with_company(cls.company)
        for user, scores in ((cls.spec_a, (5, 4, 5)), (cls.spec_b, (3, 4))):
            for score in scores:
                visit = Visit.create(
                    {
                        "partner_id": cls.customer.id,
                        "visit_type": "visit",
                        "channel": "phone",
                        "date_planned": date(2025, 3, 5),
                        "user_id": user.id,
                        "company_id": cls.company.id,
                    }
                )
                visit.write(
                    {"state": "done", "date_done": datetime(2025, 3, 5, 10), "score": score, "outcome": "Talked"}
                )
        # return visits of A planned in March: 4, 3 done
        for i in range(4):
            visit = Visit.create(
                {
                    "partner_id": cls.customer.id,
                    "visit_type": "return_visit",
                    "channel": "phone",
                    "date_planned": date(2025, 3, 20),
                    "user_id": cls.spec_a.id,
                    "company_id": cls.company.id,
                }
            )
            if i < 3:
                visit.write({"state": "done", "date_done": datetime(2025, 4, 1, 10), "outcome": "OK"})
        # problems: B has one confirmed quality problem and one draft; A none
        Problem = cls.env["kf.problem"].with_company(cls.company)
        evidence = cls.env["ir.attachment"].create({"name": "photo.jpg", "raw": b"jpg"})
        cls.problem = Problem.create(
            {
                "problem_type": "quality",
                "date": date(2025, 3, 12),
                "user_id": cls.spec_b.id,
                "partner_id": cls.customer.id,
                "description": "Leak",
                "company_id": cls.company.id,
                "evidence_attachment_ids": [Command.link(evidence.id)],
            }
        )
        cls.problem.action_confirm()
        Problem.create(
            {
                "problem_type": "quality",
                "date": date(2025, 3, 13),
                "user_id": cls.spec_b.id,
                "partner_id": cls.customer.id,
                "description": "Draft only",
                "company_id": cls.company.id,
            }
        )
        # collection: A's invoices due in March: 1000 paid, 1000 half paid → 75 %
        setup_test_accounting(cls.env, cls.company)
        contract = (
            cls.env["kf.service.contract"]
            .with_company(cls.company)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "contract_type": "maintenance",
                    "date_start": date(2025, 1, 1),
                    "date_end": date(2025, 12, 31),
                    "amount": 2000,
                    "user_id": cls.spec_a.id,
                    "company_id": cls.company.id,
                    "payment_line_ids": [
                        Command.create({"date_due": date(2025, 3, 10), "amount": 1000}),
                        Command.create({"date_due": date(2025, 3, 25), "amount": 1000}),
                    ],
                }
            )
        )
        contract.action_confirm()
        cls.collection_lines = contract.payment_line_ids.sorted("date_due")
        cls.collection_lines._lock_for_invoicing()._create_invoices()
        cls._pay(cls.collection_lines[0].move_id, 1000, date(2025, 3, 10))
        cls._pay(cls.collection_lines[1].move_id, 500, date(2025, 3, 25))
        # renewal: two contracts of A end in March, one renewed, one expired;
        # the expired one (another customer) was running a year before
        other = cls.env["res.partner"].create(
            {"name": "KPI Customer 2", "is_company": True, "company_id": cls.company.id}
        )
        Contract = cls.env["kf.service.contract"].with_company(cls.company)
        ending = Contract.create(
            [
                {
                    "partner_id": partner.id,
                    "contract_type": "maintenance",
                    "date_start": start,
                    "date_end": date(2025, 3, 15),
                    "amount": 100,
                    "user_id": cls.spec_a.id,
                    "company_id": cls.company.id,
                }
                for partner, start in ((cls.customer, date(2024, 4, 1)), (other, date(2024, 3, 1)))
            ]
        )
        ending[0].write({"state": "renewed"})
        ending[1].write({"state": "expired"})
        # SLA: 5 of A's 50 complaints breached the first-reply deadline
        cls.complaints[:5].write({"sla_breached": True})
        # work orders of B planned to end in March: 3 done in time, 1 late
        project = cls.env["project.project"].create(
            {"name": "KPI project", "company_id": cls.company.id, "partner_id": cls.customer.id}
        )
        orders = (
            cls.env["kf.dispatch.order"]
            .with_company(cls.company)
            .create(
                [
                    {
                        "partner_id": cls.customer.id,
                        "project_id": project.id,
                        "work_content": "Job",
                        "user_id": cls.spec_b.id,
                        "company_id": cls.company.id,
                        "date_planned_start": datetime(2025, 3, 10, 8),
                        "date_planned_end": datetime(2025, 3, 10 + i, 17),
                    }
                    for i in range(4)
                ]
            )
        )
        for i, order in enumerate(orders):
            order.write({"state": "done", "date_done": datetime(2025, 3, 10 + i, 16 if i < 3 else 18)})
        # work reports: A submits 15 daily reports, B none; A's monthly report
        # (due 3 March) on time, B's late
        Report = cls.env["kf.work.report"].with_company(cls.company)
        working = sorted(cls.calendar.kf_working_dates(date(2025, 3, 1), date(2025, 3, 31)))
        daily = Report.create(
            [
                {
                    "report_type": "daily",
                    "date": day,
                    "user_id": cls.spec_a.id,
                    "company_id": cls.company.id,
                    "body": "<p>Done</p>",
                }
                for day in working[:15]
            ]
        )
        daily.write({"state": "submitted", "date_submitted": datetime(2025, 3, 31, 18)})
        for user, submitted in ((cls.spec_a, datetime(2025, 3, 2, 9)), (cls.spec_b, datetime(2025, 3, 5, 9))):
            report = Report.create(
                {
                    "report_type": "monthly",
                    "date": date(2025, 2, 1),
                    "user_id": user.id,
                    "company_id": cls.company.id,
                    "body": "<p>Feb</p>",
                }
            )
            report.write({"state": "submitted", "date_submitted": submitted})

    @classmethod
    def _pay(cls, invoice, amount, on):
        wizard = (
            cls.env["account.payment.register"]
            .with_company(invoice.company_id)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": on})
        )
        return wizard._create_payments()

    def _line(self, sheets, user, code):
        sheet = sheets.filtered(lambda s: s.user_id == user if user else s.scope == "department")
        return sheet.line_ids.filtered(lambda line: line.code == code)

    def _compute(self):
        with freeze_time("2025-04-02 06:00:00"):
            return self.Sheet.compute_month(MONTH, self.company)

    def test_working_days_exclude_weekends_and_holidays(self):
        self.assertEqual(len(self.calendar.kf_working_dates(date(2025, 3, 1), date(2025, 3, 31))), 20)

    def test_sheets_one_per_employee_and_department(self):
        sheets = self._compute()
        self.assertEqual(sheets.filtered(lambda s: s.scope == "department").mapped("scope"), ["department"])
        self.assertEqual(
            set(sheets.filtered(lambda s: s.scope == "employee").user_id.ids),
            {self.manager.id, self.spec_a.id, self.spec_b.id},
            "directors appraise, they are not appraised",
        )

    def test_kpi_figures_hand_computed(self):
        sheets = self._compute()
        ccr = self._line(sheets, self.spec_a, "KF-CCR")
        self.assertEqual((ccr.numerator, ccr.denominator), (49, 50))
        self.assertAlmostEqual(ccr.actual, 98.0)
        self.assertTrue(ccr.met, "49 of 50 complaints closed is 98 %: the target is met")
        self.assertEqual(ccr.score, ccr.weight)

        sat_a = self._line(sheets, self.spec_a, "KF-SAT")
        self.assertAlmostEqual(sat_a.actual, 93.33, places=2)
        self.assertTrue(sat_a.met)
        sat_b = self._line(sheets, self.spec_b, "KF-SAT")
        self.assertAlmostEqual(sat_b.actual, 70.0)
        self.assertFalse(sat_b.met)
        self.assertAlmostEqual(sat_b.score, round(sat_b.weight * 70 / 90, 2))
        sat_dept = self._line(sheets, None, "KF-SAT")
        self.assertAlmostEqual(sat_dept.actual, 21 / 5 / 5 * 100)  # (5+4+5+3+4)/5 visits

        rvr = self._line(sheets, self.spec_a, "KF-RVR")
        self.assertEqual((rvr.numerator, rvr.denominator, rvr.actual, rvr.met), (3, 4, 75.0, False))

        col = self._line(sheets, self.spec_a, "KF-COL")
        self.assertEqual((col.numerator, col.denominator, col.actual), (1500, 2000, 75.0))

        quality_b = self._line(sheets, self.spec_b, "KF-P-QUA")
        self.assertEqual((quality_b.actual, quality_b.met), (1.0, False), "the draft problem is not counted")
        quality_a = self._line(sheets, self.spec_a, "KF-P-QUA")
        self.assertEqual((quality_a.actual, quality_a.met, quality_a.has_data), (0.0, True, True))

        drc = self._line(sheets, self.spec_a, "KF-DRC")
        self.assertEqual((drc.numerator, drc.denominator, drc.actual), (15, 20, 75.0))
        self.assertEqual(self._line(sheets, self.spec_b, "KF-DRC").actual, 0.0)

        mrt_a = self._line(sheets, self.spec_a, "KF-MRT")
        mrt_b = self._line(sheets, self.spec_b, "KF-MRT")
        self.assertEqual((mrt_a.actual, mrt_b.actual), (100.0, 0.0), "due by 3 March: A on time, B late")

        sla = self._line(sheets, self.spec_a, "KF-SLA")
        self.assertEqual((sla.numerator, sla.denominator, sla.actual, sla.met), (45, 50, 90.0, False))

        ren = self._line(sheets, self.spec_a, "KF-REN")
        self.assertEqual((ren.numerator, ren.denominator, ren.actual), (1, 2, 50.0))

        wot = self._line(sheets, self.spec_b, "KF-WOT")
        self.assertEqual((wot.numerator, wot.denominator, wot.actual), (3, 4, 75.0))

        # receivable days: receivables 0 on 1 March and 500 on 31 March (average
        # 250) ÷ 2,000 invoiced over the last year, times 365
        dso = self._line(sheets, self.spec_a, "KF-DSO")
        self.assertEqual((dso.numerator, dso.denominator), (250, 2000))
        self.assertAlmostEqual(dso.actual, 250 / 2000 * 365, places=1)
        self.assertTrue(dso.met, "45.6 days: within the 75-day target")

        # customers under contract: 1 at the end of March 2025 (the yearly
        # contract), 1 a year before (the expired one) → 0 % growth
        gro = self._line(sheets, None, "KF-GRO")
        self.assertEqual((gro.numerator, gro.denominator, gro.actual, gro.met), (1, 1, 0.0, False))
        self.assertFalse(self._line(sheets, self.spec_a, "KF-GRO"), "growth is a department KPI")

        # a KPI without records in the month has no data and does not weigh
        ren = self._line(sheets, self.spec_b, "KF-REN")
        self.assertFalse(ren.has_data)
        self.assertEqual(ren.status, "none")
        sheet_b = ren.sheet_id
        measured = sheet_b.line_ids.filtered("has_data")
        self.assertAlmostEqual(
            sheet_b.total_score, sum(measured.mapped("score")) / sum(measured.mapped("weight")) * 100, places=1
        )

    def test_collections_from_accounting_as_at_month_end(self):
        """A partial payment reaches the schedule line and the KPI; paying
        the rest in April leaves March's figures (its own balances) alone."""
        first, second = self.collection_lines
        self.assertEqual((second.state, second.amount_paid, second.amount_residual), ("overdue", 500, 500))
        self.assertEqual((first.state, first.amount_paid), ("paid", 1000))
        self._pay(second.move_id, 500, date(2025, 4, 15))
        self.assertEqual((second.state, second.amount_paid, second.amount_residual), ("paid", 1000, 0))
        sheets = self._compute()
        col = self._line(sheets, self.spec_a, "KF-COL")
        self.assertEqual((col.numerator, col.denominator), (1500, 2000), "paid in April: not in March's rate")
        dso = self._line(sheets, self.spec_a, "KF-DSO")
        self.assertEqual((dso.numerator, dso.denominator), (250, 2000), "March's closing balance was 500")
        with freeze_time("2025-05-02 06:00:00"):
            april = self.Sheet.compute_month(date(2025, 4, 1), self.company)
        dso_april = self._line(april, self.spec_a, "KF-DSO")
        self.assertEqual((dso_april.numerator, dso_april.denominator), (250, 2000), "(500 + 0) ÷ 2 in April")
        action = col.action_open_records()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), self.collection_lines.move_id)

    def test_drilldown_returns_exactly_the_records_counted(self):
        sheets = self._compute()
        action = self._line(sheets, self.spec_a, "KF-CCR").action_open_records()
        self.assertEqual(action["res_model"], "kf.ticket")
        found = self.env["kf.ticket"].search(action["domain"])
        self.assertEqual(found, self.complaints)
        action = self._line(sheets, self.spec_b, "KF-P-QUA").action_open_records()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), self.problem)

    def test_month_runs_in_the_company_time_zone(self):
        """A ticket received at 01:00 on 1 March in Shanghai (17:00 UTC the
        day before) counts in March; one at 01:00 on 1 April does not."""
        self.calendar.tz = "Asia/Shanghai"
        Ticket = self.env["kf.ticket"].with_company(self.company)
        vals = {
            "ticket_type": "complaint",
            "partner_id": self.customer.id,
            "user_id": self.spec_b.id,
            "company_id": self.company.id,
        }
        early = Ticket.create({**vals, "subject": "1 March, 01:00", "date_received": datetime(2025, 2, 28, 17)})
        Ticket.create({**vals, "subject": "1 April, 01:00", "date_received": datetime(2025, 3, 31, 17)})
        sheets = self._compute()
        action = self._line(sheets, self.spec_b, "KF-CCR").action_open_records()
        self.assertEqual(self.env["kf.ticket"].search(action["domain"]), early)

    def test_recompute_is_idempotent(self):
        first = self._compute()
        lines = first.line_ids
        self.assertTrue(lines)
        again = self._compute()
        self.assertEqual(first, again, "recomputing reuses the sheets")
        self.assertEqual(len(again.line_ids), len(lines), "and replaces the lines, never duplicates them")
        self.assertEqual(self.Sheet.search_count([("company_id", "=", self.company.id)]), len(first))

    def test_approval_freezes_the_sheet(self):
        sheets = self._compute()
        sheet_a = sheets.filtered(lambda s: s.user_id == self.spec_a)
        with self.assertRaises(UserError):
            sheet_a.with_user(self.spec_a).action_approve()
        sheet_a.with_user(self.manager).action_approve()
        self.assertEqual(sheet_a.state, "approved")
        before = {line.code: line.actual for line in sheet_a.line_ids}
        # new data after approval: the approved sheet does not move
        self.env["kf.ticket"].with_company(self.company).create(
            {
                "subject": "Late",
                "ticket_type": "complaint",
                "partner_id": self.customer.id,
                "user_id": self.spec_a.id,
                "company_id": self.company.id,
                "date_received": datetime(2025, 3, 28, 9),
            }
        )
        self._compute()
        self.assertEqual({line.code: line.actual for line in sheet_a.line_ids}, before)
        with self.assertRaises(UserError):
            sheet_a.action_recompute()
        with self.assertRaises(UserError):
            sheet_a.line_ids[0].write({"actual": 1.0})
        with self.assertRaises(UserError):
            sheet_a.write({"note": "changed"})
        with self.assertRaises(UserError):
            sheet_a.unlink()
        # the draft sheet of B was recomputed
        self.assertEqual(sheets.filtered(lambda s: s.user_id == self.spec_b).state, "draft")

    def test_month_end_query_count_is_constant(self):
        with freeze_time("2025-04-02 06:00:00"):
            self.Sheet.compute_month(MONTH, self.company)
            self.env.flush_all()
            self.env.invalidate_all()
            queries_before = self.env.cr.sql_log_count
            self.Sheet.compute_month(MONTH, self.company)
            self.env.flush_all()
            small = self.env.cr.sql_log_count - queries_before
            # ten more specialists with their own records
            extra = self.env["res.users"].create(
                [
                    {
                        "name": f"Extra {i}",
                        "login": f"kpi_extra_{i}",
                        "company_id": self.company.id,
                        "company_ids": [Command.set([self.company.id])],
                        "groups_id": [Command.link(self.env.ref("kf_customer_service.group_kf_specialist").id)],
                    }
                    for i in range(10)
                ]
            )
            self.env["kf.ticket"].with_company(self.company).create(
                [
                    {
                        "subject": f"More {i}",
                        "ticket_type": "complaint",
                        "partner_id": self.customer.id,
                        "user_id": extra[i % 10].id,
                        "company_id": self.company.id,
                        "date_received": datetime(2025, 3, 4, 9),
                    }
                    for i in range(40)
                ]
            )
            self.env.flush_all()
            self.env.invalidate_all()
            queries_before = self.env.cr.sql_log_count
            self.Sheet.compute_month(MONTH, self.company)
            self.env.flush_all()
            big = self.env.cr.sql_log_count - queries_before
        # the grouped queries do not grow with records; only sheet creation and
        # the batched line writes may add a few
        self.assertLess(big, small + 40, f"{small} queries for 3 employees, {big} for 13")

    def _first_run_queries(self, month):
        """Queries of a first computation of ``month`` (its sheets created)."""
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        sheets = self.Sheet.compute_month(month, self.company)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before, sheets

    def test_month_end_first_run_queries_do_not_grow_with_employees(self):
        with freeze_time("2025-06-02 06:00:00"):
            small, sheets = self._first_run_queries(date(2025, 4, 1))
            employees = len(sheets.filtered("user_id"))
            self.env["res.users"].create(
                [
                    {
                        "name": f"Extra {i}",
                        "login": f"kpi_first_extra_{i}",
                        "company_id": self.company.id,
                        "company_ids": [Command.set([self.company.id])],
                        "groups_id": [Command.link(self.env.ref("kf_customer_service.group_kf_specialist").id)],
                    }
                    for i in range(20)
                ]
            )
            big, sheets = self._first_run_queries(date(2025, 5, 1))
        # precondition: the second month really appraises 20 more employees
        self.assertEqual(len(sheets.filtered("user_id")), employees + 20)
        lines = sheets.line_ids
        self.assertTrue(lines)
        self.assertEqual(lines.mapped("month"), ["2025-05"] * len(lines))
        self.assertEqual(set(lines.mapped("company_id")), {self.company})
        for sheet in sheets:
            self.assertEqual(sheet.line_ids.user_id, sheet.user_id)
            measured = sheet.line_ids.filtered("has_data")
            weight = sum(measured.mapped("weight"))
            self.assertAlmostEqual(
                sheet.total_score, round(sum(measured.mapped("score")) / weight * 100.0, 1) if weight else 0.0
            )
            self.assertEqual(sheet.line_count, len(measured))
            self.assertEqual(sheet.met_count, len(measured.filtered("met")))
        for line in lines:
            self.assertEqual(line.code, line.definition_id.code)
            self.assertEqual(line.status, "none" if not line.has_data else ("met" if line.met else "missed"))
        self.assertEqual(big, small, f"{small} queries for {employees} employees, {big} for {employees + 20}")

    def test_new_sheets_logged_and_followed_as_create_does(self):
        """The computation inserts the new sheets in bulk: each still gets the
        creation message ``create`` logs, and the manager who computes them
        follows them with the subtypes ``create`` gives."""
        context = {
            key: value
            for key, value in self.env.context.items()
            if key not in ("tracking_disable", "mail_create_nolog", "mail_notrack")
        }
        Sheet = self.env(context=context)["kf.kpi.sheet"].with_user(self.manager)
        with freeze_time("2025-04-02 06:00:00"):
            sheets = Sheet.compute_month(MONTH, self.company)
            # the ORM's own creation of a sheet (another month): the reference
            reference = Sheet.sudo().create(
                {"scope": "department", "date_from": date(2025, 1, 1), "date_to": date(2025, 1, 31)}
            )
        # precondition: an active user computes, so create would subscribe them
        self.assertTrue(self.manager.active)
        self.assertEqual(sheets.env.user, self.manager)
        self.assertEqual(len(sheets), 4)
        expected = reference.message_ids
        self.assertEqual(len(expected), 1)
        fnames = ["body", "author_id", "subtype_id", "message_type", "is_internal", "model", "email_from"]
        follower = reference.message_follower_ids
        self.assertEqual(follower.partner_id, self.manager.partner_id)
        for sheet in sheets:
            self.assertEqual(len(sheet.message_ids), 1, sheet.name)
            self.assertEqual(sheet.message_ids.res_id, sheet.id)
            self.assertEqual(sheet.message_ids.read(fnames)[0] | {"id": 0}, expected.read(fnames)[0] | {"id": 0})
            self.assertEqual(sheet.message_follower_ids.partner_id, self.manager.partner_id)
            self.assertEqual(sheet.message_follower_ids.subtype_ids, follower.subtype_ids)
            self.assertEqual((sheet.month, sheet.state, sheet.create_uid), ("2025-03", "draft", self.manager))

    def test_security_specialist_sees_own_and_department_sheets(self):
        self._compute()
        visible = self.Sheet.with_user(self.spec_b).search([("company_id", "=", self.company.id)])
        self.assertEqual(set(visible.mapped("scope")), {"employee", "department"})
        self.assertEqual(visible.filtered(lambda s: s.scope == "employee").user_id, self.spec_b)
        self.assertEqual(len(self.Sheet.with_user(self.manager).search([("company_id", "=", self.company.id)])), 4)

    def test_cron_computes_last_and_current_month(self):
        with freeze_time("2025-04-02 06:00:00"):
            self.Sheet._cron_compute_kpis()
            self.Sheet._cron_compute_kpis()
        months = self.Sheet.search([("company_id", "=", self.company.id)]).mapped("date_from")
        self.assertEqual(set(months), {date(2025, 3, 1), date(2025, 4, 1)})
        self.assertEqual(months.count(date(2025, 3, 1)), 4)


@tagged("post_install", "-at_install")
class TestWorkReports(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "KF Reports Co"})
        vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        cls.clerk = new_test_user(
            cls.env, "rep_clerk", groups="kf_customer_service.group_kf_clerk", name="Report Clerk", **vals
        )
        cls.manager = new_test_user(
            cls.env, "rep_mgr", groups="kf_customer_service.group_kf_manager", name="Report Manager", **vals
        )
        cls.Report = cls.env["kf.work.report"]

    def test_due_dates(self):
        monthly = self.Report.create(
            {
                "report_type": "monthly",
                "date": date(2025, 12, 17),
                "user_id": self.clerk.id,
                "company_id": self.company.id,
            }
        )
        # the 3rd of January 2026 is a public holiday on the China calendar of a
        # new company: due the next working day, the make-up Sunday the 4th
        self.assertEqual((monthly.date, monthly.date_due), (date(2025, 12, 1), date(2026, 1, 4)))
        half = self.Report.create(
            {
                "report_type": "half_year",
                "date": date(2025, 5, 1),
                "user_id": self.clerk.id,
                "company_id": self.company.id,
            }
        )
        self.assertEqual(half.date_due, date(2025, 10, 31))
        annual = self.Report.create(
            {"report_type": "annual", "date": date(2025, 5, 1), "user_id": self.clerk.id, "company_id": self.company.id}
        )
        self.assertEqual(annual.date_due, date(2026, 4, 30))

    def test_submit_needs_a_body_and_review_needs_a_manager(self):
        report = self.Report.with_user(self.clerk).create(
            {"report_type": "daily", "date": date(2025, 3, 3), "company_id": self.company.id}
        )
        with self.assertRaisesRegex(UserError, "empty"):
            report.action_submit()
        report.body = "<p>Visited two customers</p>"
        with freeze_time("2025-03-03 17:00:00"):
            report.action_submit()
        self.assertTrue(report.on_time)
        with self.assertRaises(UserError):
            report.with_user(self.clerk).action_review()
        report.with_user(self.manager).action_review()
        self.assertEqual(report.state, "reviewed")
        with self.assertRaises(UserError):
            report.with_user(self.clerk).write({"body": "<p>rewritten</p>"})

    def test_reminders_once_per_late_report(self):
        activity_type = self.env.ref("kf_kpi.mail_activity_type_kf_work_report")
        # Wednesday 5 March 2025: the cron creates today's daily report and
        # February's monthly report for each appraised person
        with freeze_time("2025-03-05 06:00:00"):
            self.Report._cron_report_reminders()
        mine = self.Report.search([("user_id", "=", self.clerk.id)])
        self.assertEqual(sorted(mine.mapped("report_type")), ["daily", "monthly"])
        monthly = mine.filtered(lambda r: r.report_type == "monthly")
        self.assertEqual(monthly.date, date(2025, 2, 1))
        # the monthly report was due on the 3rd: one reminder, and only one
        reminders = self.env["mail.activity"].search(
            [
                ("res_model", "=", "kf.work.report"),
                ("activity_type_id", "=", activity_type.id),
                ("user_id", "=", self.clerk.id),
            ]
        )
        self.assertEqual(reminders.res_id, monthly.id)
        with freeze_time("2025-03-05 06:00:00"):
            self.Report._cron_report_reminders()
        self.assertEqual(self.Report.search_count([("user_id", "=", self.clerk.id)]), 2)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", "kf.work.report"),
                    ("activity_type_id", "=", activity_type.id),
                    ("user_id", "=", self.clerk.id),
                ]
            ),
            1,
        )
        # the next day, yesterday's daily report is late too: one more reminder
        with freeze_time("2025-03-06 06:00:00"):
            self.Report._cron_report_reminders()
        daily_5 = mine.filtered(lambda r: r.report_type == "daily")
        self.assertTrue(daily_5.reminder_sent)
        # submitting closes the reminder
        monthly.with_user(self.clerk).write({"body": "<p>February review</p>"})
        monthly.with_user(self.clerk).action_submit()
        self.assertFalse(monthly.activity_ids)
        self.assertFalse(monthly.on_time)
        self.assertEqual(fields.Date.to_string(monthly.date_due), "2025-03-03")
