import json
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, TransactionCase, freeze_time, new_test_user, tagged

MANAGER = "kf_customer_service.group_kf_manager"
DIRECTOR = "kf_customer_service.group_kf_director"


def _users(env, company, prefix):
    vals = {"company_id": company.id, "company_ids": [Command.set([company.id])]}
    return {
        role: new_test_user(env, f"{prefix}_{role}", groups=group, name=f"{prefix} {role}", **vals)
        for role, group in (
            ("clerk", "kf_customer_service.group_kf_clerk"),
            ("manager", MANAGER),
            ("manager2", MANAGER),
            ("director", DIRECTOR),
            ("director2", DIRECTOR),
        )
    }


@tagged("post_install", "-at_install")
class TestHardeningWorkReport(TransactionCase):
    """The author of a work report could mark it reviewed (with a manager as
    reviewer) or backdate its submission time with a plain ORM write, and a
    manager could review their own report."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "KF Hardening Reports Co"})
        users = _users(cls.env, cls.company, "hwr")
        cls.clerk, cls.manager, cls.manager2 = users["clerk"], users["manager"], users["manager2"]
        cls.Report = cls.env["kf.work.report"]

    def _report(self, user, report_type="monthly", day=date(2025, 2, 1)):
        return self.Report.with_user(user).create(
            {"report_type": report_type, "date": day, "company_id": self.company.id, "body": "<p>Work</p>"}
        )

    def test_author_cannot_mark_own_report_reviewed(self):
        report = self._report(self.clerk)
        self.assertEqual(report.user_id, self.clerk)
        self.assertFalse(self.clerk.has_group(MANAGER))
        for vals in (
            {"state": "reviewed", "reviewer_id": self.manager.id},
            {"state": "submitted"},
            {"reviewer_id": self.manager.id},
            {"date_reviewed": datetime(2025, 3, 1, 9)},
            {"review_comment": "Excellent"},
        ):
            with self.assertRaises(AccessError, msg=vals):
                report.with_user(self.clerk).write(vals)
        with self.assertRaises(AccessError):
            self.Report.with_user(self.clerk).create(
                {
                    "report_type": "daily",
                    "date": date(2025, 2, 3),
                    "company_id": self.company.id,
                    "state": "reviewed",
                    "reviewer_id": self.manager.id,
                }
            )
        with self.assertRaises(AccessError):
            report.with_user(self.clerk).action_review()
        self.assertEqual(report.state, "draft")

    def test_author_cannot_backdate_submission(self):
        report = self._report(self.clerk)
        self.assertEqual(report.date_due, date(2025, 3, 3))
        with freeze_time("2025-03-10 09:00:00"):
            report.with_user(self.clerk).action_submit()
        self.assertEqual(report.date_submitted, datetime(2025, 3, 10, 9))
        self.assertFalse(report.on_time)
        for vals in ({"date_submitted": datetime(2025, 3, 1, 9)}, {"on_time": True}, {"date": date(2025, 3, 1)}):
            with self.assertRaises(AccessError, msg=vals):
                report.with_user(self.clerk).write(vals)
        with self.assertRaises(UserError):
            report.with_user(self.clerk).write({"body": "<p>Rewritten after submission</p>"})
        with self.assertRaises(AccessError):
            self.Report.with_user(self.clerk).create(
                {
                    "report_type": "monthly",
                    "date": date(2025, 1, 1),
                    "company_id": self.company.id,
                    "date_submitted": datetime(2025, 2, 1, 9),
                }
            )
        self.assertEqual(report.date_submitted, datetime(2025, 3, 10, 9))
        self.assertFalse(report.on_time)

    def test_manager_cannot_review_own_report(self):
        report = self._report(self.manager)
        self.assertEqual(report.user_id, self.manager)
        report.with_user(self.manager).action_submit()
        with self.assertRaises(AccessError):
            report.with_user(self.manager).action_review()
        with self.assertRaises(AccessError):
            report.with_user(self.manager).write({"state": "reviewed", "reviewer_id": self.manager2.id})
        with self.assertRaises(AccessError):
            report.with_user(self.manager).write({"review_comment": "Fine by me"})
        report.with_user(self.manager2).write({"review_comment": "Good"})
        report.with_user(self.manager2).action_review()
        self.assertEqual((report.state, report.reviewer_id), ("reviewed", self.manager2))

    def test_author_cannot_delete_overdue_report(self):
        report = self._report(self.clerk)
        self.assertFalse(self.clerk.has_group(MANAGER))
        self.assertTrue(report.is_late, "due 3 March 2025, still a draft")
        with self.assertRaises(AccessError):
            report.with_user(self.clerk).unlink()
        report.with_user(self.manager).unlink()
        self.assertFalse(report.exists())


@tagged("post_install", "-at_install")
class TestHardeningWorkReportRpc(HttpCase):
    """The same forgery over JSON-RPC, as the web client would send it."""

    def test_author_cannot_backdate_over_json_rpc(self):
        company = self.env["res.company"].create({"name": "KF Hardening RPC Co"})
        clerk = new_test_user(
            self.env,
            "hwr_rpc_clerk",
            groups="kf_customer_service.group_kf_clerk",
            company_id=company.id,
            company_ids=[Command.set([company.id])],
        )
        self.assertFalse(clerk.has_group(MANAGER))
        report = (
            self.env["kf.work.report"]
            .with_user(clerk)
            .create({"report_type": "monthly", "date": date(2025, 2, 1), "company_id": company.id, "body": "<p>x</p>"})
        )
        self.authenticate("hwr_rpc_clerk", "hwr_rpc_clerk")
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "model": "kf.work.report",
                "method": "write",
                "args": [report.ids, {"state": "submitted", "date_submitted": "2025-03-01 09:00:00"}],
                "kwargs": {},
            },
        }
        response = self.url_open(
            "/web/dataset/call_kw/kf.work.report/write",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        ).json()
        self.assertEqual(response["error"]["data"]["name"], "odoo.exceptions.AccessError")
        report.invalidate_recordset()
        self.assertEqual((report.state, report.date_submitted), ("draft", False))


@tagged("post_install", "-at_install")
class TestHardeningAppraisalSheet(TransactionCase):
    """A manager could approve their own appraisal sheet, and anyone with
    write access could change an approved sheet (state, approver, dates,
    comment, lines) with a plain ORM write."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "KF Hardening Sheets Co"})
        users = _users(cls.env, cls.company, "hks")
        cls.clerk, cls.manager, cls.manager2 = users["clerk"], users["manager"], users["manager2"]
        cls.director, cls.director2 = users["director"], users["director2"]
        with freeze_time("2025-04-02 06:00:00"):
            cls.sheets = cls.env["kf.kpi.sheet"].compute_month(date(2025, 3, 1), cls.company)
        cls.sheet_clerk = cls.sheets.filtered(lambda s: s.user_id == cls.clerk)
        cls.sheet_manager = cls.sheets.filtered(lambda s: s.user_id == cls.manager)
        cls.sheet_department = cls.sheets.filtered(lambda s: s.scope == "department")
        # directors are not appraised; a director's sheet may still exist
        # (appraised before the promotion)
        cls.sheet_director = cls.env["kf.kpi.sheet"].create(
            {
                "scope": "employee",
                "user_id": cls.director.id,
                "company_id": cls.company.id,
                "date_from": date(2025, 3, 1),
                "date_to": date(2025, 3, 31),
            }
        )

    def test_manager_cannot_approve_own_sheet(self):
        self.assertEqual(self.sheet_manager.user_id, self.manager)
        self.assertFalse(self.manager.has_group(DIRECTOR))
        with self.assertRaises(AccessError):
            self.sheet_manager.with_user(self.manager).action_approve()
        with self.assertRaises(AccessError):
            self.sheet_manager.with_user(self.manager2).action_approve()
        with self.assertRaises(AccessError):
            self.sheet_manager.with_user(self.manager).write({"state": "approved", "approved_by_id": self.director.id})
        with self.assertRaises(AccessError):
            self.sheet_department.with_user(self.manager).action_approve()
        self.assertEqual(self.sheet_manager.state, "draft")
        self.sheet_manager.with_user(self.director).action_approve()
        self.assertEqual((self.sheet_manager.state, self.sheet_manager.approved_by_id), ("approved", self.director))

    def test_director_cannot_approve_own_sheet(self):
        self.assertEqual(self.sheet_director.user_id, self.director)
        with self.assertRaises(AccessError):
            self.sheet_director.with_user(self.director).action_approve()
        self.sheet_director.with_user(self.director2).action_approve()
        self.assertEqual(self.sheet_director.approved_by_id, self.director2)

    def test_appraised_cannot_comment_own_sheet(self):
        with self.assertRaises(AccessError):
            self.sheet_manager.with_user(self.manager).write({"note": "Great month"})
        self.sheet_manager.with_user(self.director).write({"note": "Good month"})
        self.assertEqual(self.sheet_manager.note, "Good month")

    def test_kpi_lines_are_never_user_written(self):
        line = self.sheet_clerk.line_ids[:1]
        self.assertTrue(line)
        for user in (self.clerk, self.manager):
            with self.assertRaises(AccessError):
                line.with_user(user).write({"actual": 100.0, "met": True})
            with self.assertRaises(AccessError):
                line.with_user(user).unlink()
            with self.assertRaises(AccessError):
                self.env["kf.kpi.sheet.line"].with_user(user).create(
                    {
                        "sheet_id": self.sheet_clerk.id,
                        "definition_id": line.definition_id.id,
                        "family": line.family,
                        "unit": line.unit,
                        "direction": line.direction,
                    }
                )

    def test_approved_sheet_is_frozen_for_every_write(self):
        sheet = self.sheet_clerk
        sheet.with_user(self.manager).action_approve()
        self.assertEqual(sheet.state, "approved")
        for vals in (
            {"state": "draft"},
            {"approved_by_id": self.manager2.id},
            {"date_approved": datetime(2025, 4, 1)},
            {"note": "Changed after approval"},
        ):
            with self.assertRaises(UserError, msg=vals):
                sheet.with_user(self.director).write(vals)
            with self.assertRaises(UserError, msg=vals):
                sheet.sudo().write(vals)
        line = sheet.line_ids[:1]
        with self.assertRaises(UserError):
            line.sudo().write({"actual": 1.0})
        with self.assertRaises(UserError):
            line.sudo().unlink()
        with self.assertRaises(UserError):
            self.env["kf.kpi.sheet.line"].sudo().create(
                {
                    "sheet_id": sheet.id,
                    "definition_id": line.definition_id.id,
                    "family": line.family,
                    "unit": line.unit,
                    "direction": line.direction,
                }
            )
        # the nightly recompute leaves it alone
        with freeze_time("2025-04-03 06:00:00"):
            self.env["kf.kpi.sheet"]._cron_compute_kpis()
        self.assertEqual(sheet.state, "approved")

    def test_reopen_by_director_with_reason(self):
        sheet = self.sheet_clerk
        sheet.with_user(self.manager).action_approve()
        with self.assertRaises(AccessError):
            sheet.with_user(self.manager).action_reopen("Wrong figures")
        with self.assertRaises(UserError):
            sheet.with_user(self.director).action_reopen("   ")
        with self.assertRaises(AccessError):
            self.env["kf.kpi.sheet.reopen"].with_user(self.manager).create(
                {"sheet_ids": [Command.set(sheet.ids)], "reason": "x"}
            )
        wizard = (
            self.env["kf.kpi.sheet.reopen"]
            .with_user(self.director)
            .create({"sheet_ids": [Command.set(sheet.ids)], "reason": "A complaint was booked on the wrong person"})
        )
        wizard.action_reopen()
        self.assertEqual((sheet.state, sheet.approved_by_id), ("draft", self.env["res.users"]))
        self.assertTrue(
            any("A complaint was booked on the wrong person" in str(m.body) for m in sheet.message_ids),
            "the reason is in the chatter",
        )
        sheet.with_user(self.director).action_recompute()

    def test_specialist_cannot_compute(self):
        self.assertFalse(self.clerk.has_group(MANAGER))
        with self.assertRaises(AccessError):
            self.env["kf.kpi.sheet"].with_user(self.clerk).compute_month(date(2025, 3, 1), self.company)


@tagged("post_install", "-at_install")
class TestHardeningReturnVisitKpi(TransactionCase):
    """A complaint closed without its return visit (a manager waived it:
    customer unreachable) had its planned visit cancelled, and a cancelled
    visit left the return-visit KPI: waiving raised the rate."""

    def test_waived_visit_stays_planned_not_done(self):
        company = self.env["res.company"].create({"name": "KF Hardening Visits Co"})
        users = _users(self.env, company, "hrv")
        clerk, manager = users["clerk"], users["manager"]
        customer = self.env["res.partner"].create({"name": "Visit Customer", "is_company": True})
        Visit = self.env["kf.visit"].with_company(company)
        vals = {
            "partner_id": customer.id,
            "visit_type": "return_visit",
            "channel": "phone",
            "date_planned": date(2025, 3, 20),
            "user_id": clerk.id,
            "company_id": company.id,
        }
        done, waived, cancelled = Visit.create([vals, vals, vals])
        done.write({"state": "done", "date_done": datetime(2025, 3, 20, 10), "outcome": "OK"})
        (waived | cancelled).write({"state": "cancelled"})
        ticket = (
            self.env["kf.ticket"]
            .with_company(company)
            .create(
                {
                    "subject": "Noisy pump",
                    "ticket_type": "complaint",
                    "partner_id": customer.id,
                    "user_id": clerk.id,
                    "company_id": company.id,
                    "date_received": datetime(2025, 3, 3, 9),
                }
            )
        )
        ticket.sudo().write(
            {
                "visit_id": waived.id,
                "visit_waiver_reason": "unreachable",
                "visit_waived_by_id": manager.id,
                "visit_waived_on": datetime(2025, 3, 21, 9),
            }
        )
        with freeze_time("2025-04-02 06:00:00"):
            sheets = self.env["kf.kpi.sheet"].compute_month(date(2025, 3, 1), company)
        line = sheets.filtered(lambda s: s.user_id == clerk).line_ids.filtered(lambda line: line.code == "KF-RVR")
        self.assertEqual((line.numerator, line.denominator, line.actual), (1, 2, 50.0))
        action = line.with_user(manager).action_open_records()
        self.assertEqual(self.env["kf.visit"].search(action["domain"]), done | waived)
