import io
from datetime import date
from unittest.mock import patch

from openpyxl import load_workbook

from odoo.tests import HttpCase, new_test_user, tagged

from .test_reports import OCTOBER, KfKpiReportFixtureMixin


@tagged("post_install", "-at_install")
class TestKfKpiXlsx(KfKpiReportFixtureMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._kf_setup_fixture()
        definition = cls.env["kf.kpi.definition"].create(
            {
                "code": "KPR-SAT",
                "name": "Customer satisfaction",
                "family": "customer",
                "unit": "percent",
                "direction": "ge",
                "target": 90.0,
                "weight": 20.0,
                "method": "satisfaction",
                "company_id": cls.company.id,
            }
        )
        count_definition = cls.env["kf.kpi.definition"].create(
            {
                "code": "KPR-PRB",
                "name": "Overdue problems",
                "family": "operations",
                "unit": "count",
                "direction": "le",
                "target": 0.0,
                "weight": 10.0,
                "method": "problem_count",
                "method_param": "overdue",
                "company_id": cls.company.id,
            }
        )
        Sheet = cls.env["kf.kpi.sheet"]
        sheet_vals = {"date_from": OCTOBER, "date_to": date(2026, 10, 31), "company_id": cls.company.id}
        cls.sheet1 = Sheet.create(dict(sheet_vals, scope="employee", user_id=cls.spec1.id))
        cls.sheet2 = Sheet.create(dict(sheet_vals, scope="employee", user_id=cls.spec2.id))
        cls.sheet_dept = Sheet.create(dict(sheet_vals, scope="department"))
        Line = cls.env["kf.kpi.sheet.line"].with_context(kf_kpi_computing=True)
        for sheet, actual, problems in ((cls.sheet1, 60.0, 2.0), (cls.sheet2, 75.0, 0.0), (cls.sheet_dept, 66.0, 2.0)):
            Line.create(
                [
                    definition._kf_line_vals(sheet, actual * 5 / 100, 1, actual, True),
                    count_definition._kf_line_vals(sheet, problems, 0, problems, True),
                ]
            )
        cls.zh_user = new_test_user(
            cls.env,
            "kpr_zh_manager",
            groups="kf_customer_service.group_kf_manager",
            name="Zhang Manager",
            company_id=cls.company.id,
            company_ids=[(6, 0, [cls.company.id])],
        )
        cls.outsider = new_test_user(cls.env, "kpr_outsider", groups="base.group_user", name="Not KF")

    def _kf_get(self, login, route, month="2026-10"):
        self.authenticate(login, login)
        response = self.url_open(f"/kf_kpi/xlsx/{route}?month={month}")
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertEqual(
            response.headers["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        self.assertIn(f"kf_{route}_{month}.xlsx", response.headers["Content-Disposition"])
        return load_workbook(io.BytesIO(response.content))

    @staticmethod
    def _kf_rows(sheet):
        return [list(row) for row in sheet.iter_rows(values_only=True)]

    def test_appraisal_export(self):
        book = self._kf_get("kpr_manager", "appraisal")
        self.assertEqual(book.sheetnames, ["Appraisal", "Summary"])
        sheet = book["Appraisal"]
        self.assertEqual(sheet.freeze_panes, "A2")
        rows = self._kf_rows(sheet)
        self.assertEqual(
            rows[0],
            [
                "Month",
                "Employee / Department",
                "KPI Code",
                "KPI",
                "Family",
                "Target",
                "Actual",
                "Unit",
                "Met",
                "Weight",
                "Score",
            ],
        )
        self.assertEqual(len(rows), 1 + 6)
        # the department first, then the employees by name
        self.assertEqual(
            [row[1] for row in rows[1:]][::2], ["Customer Service Department", "Alice Specialist", "Bob Specialist"]
        )
        alice_sat = rows[3]
        self.assertEqual(alice_sat[0].date(), OCTOBER)
        self.assertEqual(alice_sat[2:5], ["KPR-SAT", "Customer satisfaction", "Customer"])
        self.assertAlmostEqual(alice_sat[5], 0.9)
        self.assertAlmostEqual(alice_sat[6], 0.6)
        self.assertEqual(sheet.cell(row=4, column=7).number_format, "0.0%")
        self.assertEqual(alice_sat[7:9], ["%", "No"])
        self.assertEqual(alice_sat[9], 20.0)
        bob_problems = rows[6]
        self.assertEqual(bob_problems[2], "KPR-PRB")
        self.assertEqual(bob_problems[6], 0.0)
        self.assertEqual(bob_problems[8], "Yes")
        summary = self._kf_rows(book["Summary"])
        self.assertEqual(
            summary[0],
            ["Month", "Employee / Department", "Scope", "Status", "Total Score", "KPIs Met", "KPIs Measured"],
        )
        self.assertEqual(len(summary), 4)
        self.assertEqual(summary[1][1:4], ["Customer Service Department", "Department", "To Approve"])
        self.assertEqual(summary[2][1:4], ["Alice Specialist", "Employee", "To Approve"])
        self.assertAlmostEqual(summary[2][4], self.sheet1.total_score)
        # Alice misses both targets, Bob meets the problem count only
        self.assertEqual(summary[2][5:], [0, 2])
        self.assertEqual(summary[3][5:], [1, 2])
        self.assertEqual(book["Summary"].freeze_panes, "A2")

    def test_satisfaction_export(self):
        book = self._kf_get("kpr_manager", "satisfaction")
        self.assertEqual(book.sheetnames, ["By Customer", "By Specialist"])
        customers = book["By Customer"]
        self.assertEqual(customers.freeze_panes, "A2")
        rows = self._kf_rows(customers)
        self.assertEqual(
            rows[0],
            ["Month", "Customer", "Responses", "Return Visits", "Surveys", "Average Score", "Average %"],
        )
        self.assertEqual(rows[1][1:6], ["Aurora Plaza", 3, 3, 0, 3.0])
        self.assertAlmostEqual(rows[1][6], 0.6)
        self.assertEqual(rows[2][1:5], ["Binhai Tower", 2, 1, 1])
        self.assertAlmostEqual(rows[2][5], 3.75)
        self.assertAlmostEqual(rows[2][6], 0.75)
        self.assertEqual(rows[3][1:5], ["Total", 5, 4, 1])
        self.assertAlmostEqual(rows[3][5], 3.3)
        self.assertEqual(customers.cell(row=2, column=7).number_format, "0.0%")
        self.assertEqual(customers.cell(row=2, column=6).number_format, "0.00")
        self.assertEqual(customers.cell(row=2, column=1).number_format, "yyyy-mm")
        specialists = self._kf_rows(book["By Specialist"])
        self.assertEqual(specialists[0][1], "Specialist")
        self.assertEqual(
            [row[1:3] for row in specialists[1:]], [["Alice Specialist", 3], ["Bob Specialist", 2], ["Total", 5]]
        )

    def test_problems_export(self):
        book = self._kf_get("kpr_manager", "problems")
        self.assertEqual(book.sheetnames, ["Statistics", "Problems"])
        stats = self._kf_rows(book["Statistics"])
        self.assertEqual(
            stats[0],
            [
                "Month",
                "Employee",
                "Project",
                "Overdue delivery",
                "Complaint",
                "Quality",
                "Acceptance",
                "Warranty",
                "Total",
                "Evidence",
            ],
        )
        self.assertEqual(stats[1][1:], ["Alice Specialist", "Aurora HVAC", 1, 1, 0, 0, 0, 2, 3])
        self.assertEqual(stats[2][1:], ["Alice Specialist", "Binhai Boilers", 1, 0, 0, 0, 0, 1, 1])
        self.assertEqual(stats[3][1:], ["Bob Specialist", "Aurora HVAC", 0, 0, 1, 0, 0, 1, 3])
        self.assertEqual(stats[4][1:], ["Total", None, 2, 1, 1, 0, 0, 4, 7])
        self.assertEqual(book["Statistics"].freeze_panes, "A2")
        problems_sheet = book["Problems"]
        self.assertEqual(problems_sheet.freeze_panes, "A2")
        problems = self._kf_rows(problems_sheet)
        self.assertEqual(
            problems[0],
            [
                "Reference",
                "Date",
                "Type",
                "Customer",
                "Project",
                "Employee",
                "Status",
                "Description",
                "Evidence",
                "Evidence Files",
            ],
        )
        self.assertEqual([row[0] for row in problems[1:]], [self.p1.name, self.p3.name, self.p4.name, self.p2.name])
        first = problems[1]
        self.assertEqual(first[1].date(), date(2026, 10, 3))
        self.assertEqual(problems_sheet.cell(row=2, column=2).number_format, "yyyy-mm-dd")
        self.assertEqual(
            first[2:],
            [
                "Overdue delivery",
                "Aurora Plaza",
                "Aurora HVAC",
                "Alice Specialist",
                "Confirmed",
                "overdue on Aurora HVAC",
                2,
                "overdue-kpr_spec1-1.jpg, overdue-kpr_spec1-2.jpg",
            ],
        )
        self.assertEqual(problems[4][6], "Resolved")

    def test_problems_export_in_chunks(self):
        """Keyset pagination: with chunks of 2 problems (two of them on the
        same day), every problem is exported once, in date order."""
        with patch("odoo.addons.kf_kpi.controllers.xlsx.CHUNK_SIZE", 2):
            book = self._kf_get("kpr_manager", "problems")
        problems = self._kf_rows(book["Problems"])
        self.assertEqual([row[0] for row in problems[1:]], [self.p1.name, self.p3.name, self.p4.name, self.p2.name])

    def test_specialist_sees_own_rows(self):
        book = self._kf_get("kpr_spec2", "problems")
        problems = self._kf_rows(book["Problems"])
        self.assertEqual([row[0] for row in problems[1:]], [self.p4.name])
        stats = self._kf_rows(book["Statistics"])
        self.assertEqual([row[1] for row in stats[1:]], ["Bob Specialist", "Total"])
        book = self._kf_get("kpr_spec1", "satisfaction")
        customers = self._kf_rows(book["By Customer"])
        self.assertEqual([row[1] for row in customers[1:]], ["Aurora Plaza", "Total"])
        specialists = self._kf_rows(book["By Specialist"])
        self.assertEqual([row[1] for row in specialists[1:]], ["Alice Specialist", "Total"])

    def test_chinese_headers(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["kf_kpi"], ["zh_CN"])
        self.zh_user.lang = "zh_CN"
        book = self._kf_get("kpr_zh_manager", "problems")
        self.assertEqual(book.sheetnames, ["统计", "问题清单"])
        stats = self._kf_rows(book["统计"])
        self.assertEqual(stats[0][:4], ["月份", "员工", "项目", "逾期交付"])
        problems = self._kf_rows(book["问题清单"])
        self.assertEqual(problems[0][:3], ["编号", "日期", "类型"])
        self.assertEqual(problems[1][6], "已确认")
        book = self._kf_get("kpr_zh_manager", "satisfaction")
        self.assertEqual(book.sheetnames, ["按客户", "按客服专员"])
        self.assertEqual(self._kf_rows(book["按客户"])[0][:3], ["月份", "客户", "回复数"])
        book = self._kf_get("kpr_zh_manager", "appraisal")
        self.assertEqual(self._kf_rows(book.worksheets[0])[0][:4], ["月份", "员工/部门", "考核指标代码", "考核指标"])
        self.assertEqual(book.worksheets[0].cell(row=2, column=9).value, "否")

    def test_access_and_bad_month(self):
        self.authenticate("kpr_outsider", "kpr_outsider")
        response = self.url_open("/kf_kpi/xlsx/problems?month=2026-10")
        self.assertEqual(response.status_code, 403, "only customer-service staff export")
        self.authenticate("kpr_manager", "kpr_manager")
        response = self.url_open("/kf_kpi/xlsx/problems?month=2026-13")
        self.assertEqual(response.status_code, 400)

    def test_problems_export_other_company(self):
        """A clerk of company B exports only company B's problems, though a
        problem of company A names them as responsible."""
        company_b = self.env["res.company"].create({"name": "KF KPI Report Company B"})
        clerk = new_test_user(
            self.env,
            "kpr_b_clerk",
            groups="kf_customer_service.group_kf_clerk",
            name="Carol Clerk",
            company_id=company_b.id,
            company_ids=[(6, 0, [company_b.id])],
        )
        self.assertFalse(clerk.has_group("kf_customer_service.group_kf_specialist"))
        Problem = self.env["kf.problem"]
        base = {"problem_type": "quality", "date": date(2026, 10, 6), "user_id": clerk.id, "state": "confirmed"}
        mine_a, mine_b = (
            Problem.with_company(company).create(
                dict(
                    base,
                    company_id=company.id,
                    description=f"in {company.name}",
                    evidence_attachment_ids=[(0, 0, {"name": f"{company.name}.jpg", "company_id": company.id})],
                )
            )
            for company in (self.company, company_b)
        )
        # both rows are the clerk's: only the company rule tells them apart
        Report = self.env["kf.kpi.problem.report"]
        rows = Report.search([("problem_id", "in", (mine_a + mine_b).ids)])
        self.assertEqual(rows.user_id, clerk)
        self.assertEqual(rows.company_id, self.company + company_b)
        book = self._kf_get("kpr_b_clerk", "problems")
        problems = self._kf_rows(book["Problems"])
        self.assertEqual([row[0] for row in problems[1:]], [mine_b.name])
        self.assertEqual(problems[1][7:], ["in KF KPI Report Company B", 1, "KF KPI Report Company B.jpg"])
        stats = self._kf_rows(book["Statistics"])
        self.assertEqual([row[1] for row in stats[1:]], ["Carol Clerk", "Total"])
        self.assertEqual(stats[-1][-2], 1)
        # plain ORM reads obey the same rule
        self.assertEqual(
            Report.with_user(clerk).search([("problem_id", "in", (mine_a + mine_b).ids)]).problem_id, mine_b
        )
