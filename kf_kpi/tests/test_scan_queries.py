from unittest.mock import patch

from odoo import Command
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

LATE = 3


@tagged("post_install", "-at_install")
class TestWorkReportScanQueries(TransactionCase):
    """The daily work-report scan issues as many queries for a department of
    eighteen as for one of six when the same number of reports is late: it
    creates the day's reports in one statement and leaves the reports handed
    in on time alone. Each late report is one reminder (an activity and its
    notice, in the person's language): that part grows with the reports
    reminded, not with the people."""

    def _department(self, size, lang_of=lambda i: "en_US"):
        company = self.env["res.company"].create({"name": f"KF Scan Co {size}"})
        vals = {"company_id": company.id, "company_ids": [Command.set([company.id])]}
        users = self.env["res.users"]
        for i in range(size):
            users |= new_test_user(
                self.env,
                f"scan_{size}_{i}",
                groups="kf_customer_service.group_kf_clerk",
                name=f"Scan Clerk {size}-{i}",
                lang=lang_of(i),
                **vals,
            )
        return company, users

    def _scan_queries(self, company, users):
        """Queries of the scan on the day after the reports were created,
        when all but ``LATE`` people handed in yesterday's report: the day's
        reports are created and the late ones reminded."""
        Report = self.env["kf.work.report"]
        only = [("id", "=", company.id)]
        mine = [("company_id", "=", company.id)]
        remind = type(Report)._reports_to_remind_domain
        with (
            patch.object(type(Report), "_companies_to_remind_domain", lambda self: only),
            patch.object(type(Report), "_reports_to_remind_domain", lambda self, today: remind(self, today) + mine),
        ):
            with freeze_time("2025-03-04 06:00:00"):
                Report._cron_report_reminders()
            on_time = Report.search([("user_id", "in", users[LATE:].ids), ("date", "=", "2025-03-04")])
            self.assertEqual(len(on_time), len(users) - LATE)
            on_time.write({"state": "submitted"})
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            with freeze_time("2025-03-05 06:00:00"):
                Report._cron_report_reminders()
                self.env.flush_all()
            return self.env.cr.sql_log_count - before

    def test_scan_queries_flat_in_people(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        # the same languages among the late people: each language read once
        mixed = lambda i: "zh_CN" if i % 2 else "en_US"  # noqa: E731
        small, small_users = self._department(6, lang_of=mixed)
        large, large_users = self._department(18, lang_of=mixed)
        small_queries = self._scan_queries(small, small_users)
        large_queries = self._scan_queries(large, large_users)
        Report = self.env["kf.work.report"]
        for users in (small_users, large_users):
            reminded = Report.search([("user_id", "in", users.ids), ("date", "=", "2025-03-04")]).filtered(
                "reminder_sent"
            )
            self.assertEqual(reminded.user_id, users[:LATE], "the late reports of yesterday are reminded")
            self.assertEqual(
                Report.search_count([("user_id", "in", users.ids), ("date", "=", "2025-03-05")]),
                len(users),
                "each person has today's report",
            )
        zh = large_users[:LATE].filtered(lambda u: u.lang == "zh_CN")
        self.assertTrue(zh)
        summary = Report.search([("user_id", "=", zh.id), ("date", "=", "2025-03-04")]).activity_ids.summary
        self.assertNotIn("Submit", summary, "the reminder is in the person's language")
        self.assertEqual(large_queries, small_queries, "queries do not grow with the number of people")
