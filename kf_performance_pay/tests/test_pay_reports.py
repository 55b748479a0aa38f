import io
import zipfile
from datetime import date
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, freeze_time, new_test_user, tagged

from .common import KfPayCommon

try:
    import openpyxl
except ImportError:  # pragma: no cover - the zip is checked instead
    openpyxl = None


def patch_items(registry, items):
    """Patch the statement sources to one returning ``items`` (dicts
    completed with defaults)."""
    full = [
        {"category": "reward", "name": "Test item", "quantity": 1.0, "rate": 0.0, "res_model": False, **item}
        for item in items
    ]
    return patch.multiple(
        registry["kf.pay.statement"],
        _kf_pay_sources=lambda model: ["_kf_test_source"],
        _kf_test_source=lambda model, period: [dict(i) for i in full],
        create=True,
    )


@tagged("post_install", "-at_install")
class TestPayReports(KfPayCommon):
    """The statement PDF, the rows of the finance and year-end exports, who
    may read them, and the clerk's monthly reminder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        spec = cls.specialist.id
        cls.items = [
            {
                "user_id": spec,
                "category": "commissioning",
                "name": "Commissioning fee PRJ-1",
                "amount": 960.0,
                "quantity": 12.0,
                "rate": 80.0,
                "source_key": "t:c1",
                "date_due": date(2026, 3, 10),
            },
            {
                "user_id": spec,
                "category": "penalty",
                "name": "Late feedback form",
                "amount": -50.0,
                "source_key": "t:p1",
                "date_due": date(2026, 3, 12),
            },
            {
                "user_id": cls.clerk.id,
                "category": "clerk_share",
                "name": "Clerk's share March",
                "amount": 33.33,
                "quantity": 12.0,
                "rate": 2.7775,
                "source_key": "t:s1",
                "date_due": date(2026, 3, 31),
            },
            {
                "user_id": spec,
                "category": "commissioning_final",
                "name": "Commissioning balance PRJ-0",
                "amount": 240.5,
                "source_key": "t:c2",
                "date_due": date(2026, 4, 2),
            },
            {
                "user_id": spec,
                "category": "bonus",
                "name": "Year-end bonus 2025",
                "amount": 3000.0,
                "source_key": "t:b1",
                "date_due": date(2026, 4, 15),
            },
        ]
        with patch_items(cls.registry, cls.items):
            cls.march = cls._compute(cls.month(2026, 3))
            cls.april = cls._compute(cls.month(2026, 4))

    def test_statement_pdf_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["kf_performance_pay"], ["zh_CN"], overwrite=True)
        self.specialist.lang = "zh_CN"
        statement = self.march[self.specialist]
        self.assertEqual(statement.amount_total, 910.0)
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "kf_performance_pay.report_kf_pay_statement", statement.ids
        )
        html = html.decode()
        self.assertIn("Commissioning fee PRJ-1", html)
        self.assertIn("Late feedback form", html)
        self.assertIn("绩效工资单", html, "the title is in the employee's language")
        self.assertIn("调试费", html, "the category too")
        action = statement.with_user(self.specialist).action_print()
        self.assertEqual(action["report_name"], "kf_performance_pay.report_kf_pay_statement_template")

    def test_month_rows_for_finance(self):
        self.assertTrue(self.manager.has_group("kf_customer_service.group_kf_manager"))
        rows = self.Statement.with_user(self.manager).kf_month_rows(self.month(2026, 3), self.company)
        employees = {row["user"]: row for row in rows["employees"]}
        self.assertEqual(employees[self.specialist]["earned"], 960.0)
        self.assertEqual(employees[self.specialist]["deducted"], 50.0)
        self.assertEqual(employees[self.specialist]["total"], 910.0)
        self.assertEqual(len(rows["lines"]), 3)
        self.assertEqual(
            {(row["user"], row["category"], row["amount"]) for row in rows["allocation"]},
            {(self.specialist, "commissioning", 960.0), (self.clerk, "clerk_share", 33.33)},
        )

    def test_export_refused_to_a_specialist(self):
        Statement = self.Statement.with_user(self.specialist)
        self.assertFalse(self.specialist.has_group("kf_customer_service.group_kf_manager"))
        self.assertNotIn(self.specialist, Statement.kf_pay_clerks(self.company))
        with self.assertRaises(AccessError):
            Statement.kf_month_rows(self.month(2026, 3), self.company)
        with self.assertRaises(AccessError):
            Statement.kf_year_rows(2026, self.company)
        wizard = self.env["kf.pay.export"].with_user(self.manager).create({"month": date(2026, 3, 1)})
        with self.assertRaises(AccessError):
            wizard.with_user(self.specialist).action_xlsx()
        # the company's pay clerk sends the figures to finance: allowed
        self.assertIn(self.clerk, self.Statement.kf_pay_clerks(self.company))
        rows = self.Statement.with_user(self.clerk).kf_month_rows(self.month(2026, 3), self.company)
        self.assertEqual(len(rows["employees"]), len(self.march))

    def test_year_rows_equal_the_monthly_lines(self):
        rows = self.Statement.with_user(self.manager).kf_year_rows(2026, self.company)
        by_user = {row["user"]: row for row in rows}
        lines = self.env["kf.pay.statement.line"].search(
            [("company_id", "=", self.company.id), ("date_from", ">=", date(2026, 1, 1))]
        )
        for user in lines.user_id:
            own = lines.filtered(lambda line, u=user: line.user_id == u)
            self.assertAlmostEqual(by_user[user]["total"], sum(own.mapped("amount")), places=2)
            for month in (3, 4):
                for category in set(own.mapped("category")):
                    expected = sum(
                        own.filtered(lambda x, m=month, c=category: x.date_from.month == m and x.category == c).mapped(
                            "amount"
                        )
                    )
                    self.assertAlmostEqual(by_user[user]["months"][month - 1].get(category, 0.0), expected, places=2)
        self.assertEqual(by_user[self.specialist]["bonus"], 3000.0)
        self.assertEqual(by_user[self.specialist]["total"], 910.0 + 240.5 + 3000.0)
        # one employee only, and the PDF: one page per employee
        wizard = self.env["kf.pay.year.export"].with_user(self.manager).create({"year": 2026})
        self.assertEqual(len(wizard.kf_rows()), len(rows))
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "kf_performance_pay.report_kf_pay_year_statement", wizard.ids
        )
        self.assertEqual(html.decode().count("page kf_pay_year_statement"), len(rows))
        wizard.user_ids = self.specialist
        self.assertEqual([row["user"] for row in wizard.kf_rows()], [self.specialist])

    def test_reminder_once_a_month(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["kf_performance_pay"], ["zh_CN"], overwrite=True)
        self.clerk.lang = "zh_CN"
        self.assertEqual(self.Statement.kf_pay_clerks(self.company), self.clerk)
        Activity = self.env["mail.activity"]
        activity_type = self.env.ref("kf_performance_pay.mail_activity_type_kf_pay_finance_export")
        domain = [("activity_type_id", "=", activity_type.id), ("user_id", "=", self.clerk.id)]
        Statement = self.env["kf.pay.statement"]
        with freeze_time("2026-04-01 09:00:00"):
            Statement._cron_pay_finance_reminder()
            Statement._cron_pay_finance_reminder()
        activity = Activity.search(domain)
        self.assertEqual(len(activity), 1, "once per company and month")
        # 5 April 2026 is a Sunday: due the next working day
        self.assertEqual(activity.date_deadline, date(2026, 4, 6))
        self.assertIn("2026-03", activity.summary)
        self.assertIn("调试", activity.summary, "in the clerk's language")
        self.assertIn("/kf_performance_pay/xlsx/month?month=2026-03", str(activity.note))
        with freeze_time("2026-04-20 09:00:00"):
            Statement._cron_pay_finance_reminder()
        self.assertEqual(len(Activity.search(domain)), 1)
        with freeze_time("2026-05-01 09:00:00"):
            Statement._cron_pay_finance_reminder()
        self.assertEqual(len(Activity.search(domain)), 2, "a new month, a new reminder")

    def test_reminder_day_off_and_fallback(self):
        # without a clerk who is not a specialist, the manager is reminded
        self.clerk.active = False
        self.assertEqual(self.Statement.kf_pay_clerks(self.company), self.manager)
        # 5 March 2026 is a Thursday: due that day
        self.assertEqual(self.Statement.kf_reminder_deadline(self.company, date(2026, 3, 1)), date(2026, 3, 5))


@tagged("post_install", "-at_install")
class TestPayXlsx(HttpCase):
    def test_month_xlsx(self):
        company = self.env.ref("base.main_company")
        user_vals = {"company_id": company.id, "company_ids": [Command.set([company.id])]}
        manager = new_test_user(
            self.env, "pay_xlsx_manager", groups="kf_customer_service.group_kf_manager", **user_vals
        )
        specialist = new_test_user(
            self.env, "pay_xlsx_specialist", groups="kf_customer_service.group_kf_specialist", **user_vals
        )
        item = {
            "user_id": specialist.id,
            "category": "commissioning",
            "amount": 480.0,
            "source_key": "t:x1",
            "date_due": date(2026, 3, 10),
        }
        with patch_items(self.registry, [item]):
            self.env["kf.pay.statement"].sudo().compute_month(date(2026, 3, 1), company)
        self.authenticate("pay_xlsx_manager", "pay_xlsx_manager")
        response = self.url_open(f"/kf_performance_pay/xlsx/month?month=2026-03&company_id={company.id}")
        self.assertEqual(response.status_code, 200)
        if openpyxl:
            book = openpyxl.load_workbook(io.BytesIO(response.content))
            self.assertEqual(book.sheetnames, ["Employees", "Lines", "Commissioning Allocation"])
            allocation = list(book["Commissioning Allocation"].iter_rows(min_row=2, values_only=True))
            self.assertIn((specialist.name, "Commissioning fee", 1, 480), allocation)
        else:
            self.assertIn("xl/workbook.xml", zipfile.ZipFile(io.BytesIO(response.content)).namelist())
        self.assertEqual(self.url_open("/kf_performance_pay/xlsx/month?month=2026-13").status_code, 400)
        response = self.url_open(f"/kf_performance_pay/xlsx/year?year=2026&company_id={company.id}")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(manager)
        # a specialist is refused
        self.authenticate("pay_xlsx_specialist", "pay_xlsx_specialist")
        response = self.url_open(f"/kf_performance_pay/xlsx/month?month=2026-03&company_id={company.id}")
        self.assertEqual(response.status_code, 403)
