from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCronDomains(TransactionCase):
    """The KPI and work-report crons handle exactly the records of their
    overridable ``_<what>_domain()`` methods."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "KF Cron Co"})
        vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        cls.clerk = new_test_user(
            cls.env, "cron_clerk", groups="kf_customer_service.group_kf_clerk", name="Cron Clerk", **vals
        )
        # created active, then archived (account's company create reads the
        # company's parents, which an archived company does not list)
        cls.archived_company = cls.env["res.company"].create({"name": "KF Closed Co"})
        cls.archived_company.active = False
        cls.Report = cls.env["kf.work.report"]

    def test_kpi_companies_domain(self):
        Sheet = self.env["kf.kpi.sheet"]
        companies = self.env["res.company"].search(Sheet._companies_to_compute_domain())
        self.assertIn(self.company, companies)
        self.assertNotIn(self.archived_company, companies)
        with freeze_time("2025-03-05 06:00:00"):
            Sheet._cron_compute_kpis()
        sheets = Sheet.search([("company_id", "=", self.company.id)])
        self.assertEqual(set(sheets.mapped("date_from")), {date(2025, 2, 1), date(2025, 3, 1)})
        self.assertTrue(sheets.filtered(lambda s: s.user_id == self.clerk))

    def test_reminder_domains(self):
        companies = self.env["res.company"].search(self.Report._companies_to_remind_domain())
        self.assertIn(self.company, companies)
        self.assertNotIn(self.archived_company, companies)
        today = date(2025, 3, 5)
        vals = {"user_id": self.clerk.id, "company_id": self.company.id}
        late = self.Report.create(
            [
                {"report_type": "monthly", "date": date(2025, 2, 1), **vals},
                {"report_type": "daily", "date": date(2025, 3, 4), **vals},
            ]
        )
        self.Report.create({"report_type": "daily", "date": today, **vals})
        mine = [("user_id", "=", self.clerk.id)]
        self.assertEqual(self.Report.search([*self.Report._reports_to_remind_domain(today), *mine]), late)
        with freeze_time("2025-03-05 06:00:00"):
            self.Report._cron_report_reminders()
        self.assertEqual(self.Report.search([("reminder_sent", "=", True), *mine]), late)
        self.assertFalse(self.Report.search([*self.Report._reports_to_remind_domain(today), *mine]))
