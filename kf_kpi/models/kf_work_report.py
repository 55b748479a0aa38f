from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

REPORT_TYPES = [
    ("daily", "Daily Report"),
    ("monthly", "Monthly Review and Plan"),
    ("half_year", "Half-Year Summary"),
    ("annual", "Annual Summary"),
]
REMINDER_ACTIVITY_XMLID = "kf_kpi.mail_activity_type_kf_work_report"


class KfWorkReport(models.Model):
    """Work reports of the department's job descriptions (seed 000, KF-01):
    a daily report every working day, the monthly review and plan by the 3rd
    of the following month, the half-year summary in October and the annual
    summary in April of the following year."""

    _name = "kf.work.report"
    _description = "Work Report"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, report_type, user_id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    report_type = fields.Selection(
        REPORT_TYPES, string="Type", required=True, default="daily", tracking=True, index=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Author",
        required=True,
        default=lambda self: self.env.user,
        tracking=True,
        index=True,
        domain="[('share', '=', False)]",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    date = fields.Date(
        string="Period",
        required=True,
        default=fields.Date.context_today,
        index=True,
        help="The day of a daily report; the first day of the month, half-year or year the report covers.",
    )
    date_due = fields.Date(string="Due Date", compute="_compute_date_due", store=True, index=True)
    body = fields.Html(string="Content", sanitize_style=True)
    plan = fields.Html(string="Plan", sanitize_style=True, help="Plan for the next period (monthly report).")
    state = fields.Selection(
        [("draft", "Draft"), ("submitted", "Submitted"), ("reviewed", "Reviewed")],
        default="draft",
        required=True,
        tracking=True,
        index=True,
    )
    date_submitted = fields.Datetime(string="Submitted On", readonly=True, copy=False, tracking=True)
    on_time = fields.Boolean(string="On Time", compute="_compute_on_time", store=True)
    is_late = fields.Boolean(string="Overdue", compute="_compute_is_late", search="_search_is_late")
    reviewer_id = fields.Many2one("res.users", string="Reviewed By", readonly=True, copy=False, tracking=True)
    date_reviewed = fields.Datetime(string="Reviewed On", readonly=True, copy=False)
    review_comment = fields.Text(string="Reviewer's Comment", tracking=True)
    reminder_sent = fields.Boolean(readonly=True, copy=False)

    _sql_constraints = [
        (
            "period_uniq",
            "unique(user_id, report_type, date, company_id)",
            "This person already has a report of this type for this period.",
        ),
    ]

    @api.depends("report_type", "date", "user_id")
    def _compute_name(self):
        labels = dict(self._fields["report_type"]._description_selection(self.env))
        for report in self:
            if not report.date:
                report.name = labels.get(report.report_type)
                continue
            if report.report_type == "daily":
                period = report.date.isoformat()
            elif report.report_type == "monthly":
                period = report.date.strftime("%Y-%m")
            else:
                period = str(report.date.year)
            report.name = f"{labels.get(report.report_type)} {period} {report.user_id.name or ''}".strip()

    @api.model
    def _period_start(self, report_type, day):
        if report_type == "monthly":
            return day + relativedelta(day=1)
        if report_type in ("half_year", "annual"):
            return date(day.year, 1, 1)
        return day

    @api.model
    def _due_date(self, report_type, period):
        """Daily: the same day; monthly: the 3rd of the following month;
        half-year: end of October; annual: end of April of the next year."""
        if report_type == "monthly":
            return period + relativedelta(day=3, months=1)
        if report_type == "half_year":
            return date(period.year, 10, 31)
        if report_type == "annual":
            return date(period.year + 1, 4, 30)
        return period

    @api.depends("report_type", "date")
    def _compute_date_due(self):
        for report in self:
            report.date_due = report.date and self._due_date(report.report_type, report.date)

    @api.depends("date_submitted", "date_due")
    def _compute_on_time(self):
        for report in self:
            report.on_time = bool(
                report.date_submitted
                and report.date_due
                and fields.Date.context_today(report, report.date_submitted) <= report.date_due
            )

    def _compute_is_late(self):
        today = fields.Date.context_today(self)
        for report in self:
            report.is_late = report.state == "draft" and bool(report.date_due) and report.date_due < today

    def _search_is_late(self, operator, value):
        today = fields.Date.context_today(self)
        late = ["&", ("state", "=", "draft"), ("date_due", "<", today)]
        positive = (operator == "=" and value) or (operator == "!=" and not value)
        return late if positive else ["!", *late]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("date") and vals.get("report_type"):
                day = fields.Date.to_date(vals["date"])
                vals["date"] = self._period_start(vals["report_type"], day)
        return super().create(vals_list)

    def write(self, vals):
        if {"body", "plan", "date", "report_type", "user_id"} & set(vals):
            if any(report.state == "reviewed" for report in self):
                raise UserError(_("A reviewed report can no longer be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_submitted(self):
        if any(report.state != "draft" for report in self):
            raise UserError(_("A submitted report cannot be deleted."))

    # ------------------------------------------------------------- actions
    def action_submit(self):
        for report in self:
            if report.state != "draft":
                raise UserError(_("Report %(name)s is already submitted.", name=report.name))
            if report.user_id != self.env.user and not self.env.user.has_group("kf_customer_service.group_kf_manager"):
                raise UserError(_("Only the author can submit report %(name)s.", name=report.name))
            if not report.body or not report.body.striptags().strip():
                raise UserError(_("Write the report before submitting it: %(name)s is empty.", name=report.name))
        self.write({"state": "submitted", "date_submitted": fields.Datetime.now()})
        self.activity_feedback([REMINDER_ACTIVITY_XMLID])
        return True

    def action_review(self):
        if not self.env.user.has_group("kf_customer_service.group_kf_manager"):
            raise UserError(_("Only a customer-service manager can review reports."))
        if any(report.state != "submitted" for report in self):
            raise UserError(_("Only submitted reports can be reviewed."))
        self.write({"state": "reviewed", "reviewer_id": self.env.uid, "date_reviewed": fields.Datetime.now()})
        return True

    def action_return(self):
        """Send a submitted report back to its author (the comment says why)."""
        if not self.env.user.has_group("kf_customer_service.group_kf_manager"):
            raise UserError(_("Only a customer-service manager can return reports."))
        if any(report.state != "submitted" for report in self):
            raise UserError(_("Only submitted reports can be returned to their author."))
        self.write({"state": "draft", "date_submitted": False})
        return True

    # ----------------------------------------------------------------- cron
    @api.model
    def _expected_reports(self, company, users, today):
        """(user, type, period) of the reports that must exist by today."""
        expected = []
        calendar = company.resource_calendar_id
        if calendar and today in calendar._kf_working_dates(today, today):
            expected += [(user.id, "daily", today) for user in users]
        last_month = today + relativedelta(day=1, months=-1)
        expected += [(user.id, "monthly", last_month) for user in users]
        if today.month >= 10:
            expected += [(user.id, "half_year", date(today.year, 1, 1)) for user in users]
        if today.month >= 4:
            expected += [(user.id, "annual", date(today.year - 1, 1, 1)) for user in users]
        return expected

    @api.model
    def _cron_report_reminders(self, batch_size=1000):
        """Daily: make sure each appraised person has today's daily report and
        the monthly / half-year / annual reports of the periods that fell due
        (as drafts to fill in), then give one reminder activity per report not
        submitted by its due date. Idempotent: reports are unique per person,
        type and period, and a report is reminded once."""
        today = fields.Date.context_today(self)
        Sheet = self.env["kf.kpi.sheet"]
        Report = self.sudo()
        for company in self.env["res.company"].sudo().search([]):
            users = Sheet._appraised_users(company)
            if not users:
                continue
            expected = self._expected_reports(company, users, today)
            periods = {period for _uid, _type, period in expected}
            existing = set(
                Report.with_context(active_test=False)
                .search_fetch(
                    [("company_id", "=", company.id), ("user_id", "in", users.ids), ("date", "in", list(periods))],
                    ["user_id", "report_type", "date"],
                )
                .mapped(lambda r: (r.user_id.id, r.report_type, r.date))
            )
            missing = [key for key in expected if key not in existing]
            if missing:
                Report.with_context(tracking_disable=True, mail_create_nolog=True).create(
                    [
                        {"user_id": uid, "report_type": rtype, "date": period, "company_id": company.id}
                        for uid, rtype, period in missing
                    ]
                )
        late = Report.search(
            [("state", "=", "draft"), ("date_due", "<", today), ("reminder_sent", "=", False)],
            limit=batch_size,
            order="date_due, id",
        )
        if late:
            activity_type = self.env.ref(REMINDER_ACTIVITY_XMLID)
            model_id = self.env["ir.model"]._get_id(self._name)
            self.env["mail.activity"].sudo().create(
                [
                    {
                        "res_model_id": model_id,
                        "res_id": report.id,
                        "activity_type_id": activity_type.id,
                        "automated": True,
                        "user_id": report.user_id.id,
                        "date_deadline": today,
                        "summary": self.env._(
                            "Submit %(report)s (due %(date)s)", report=report.name, date=report.date_due
                        ),
                    }
                    for report in late
                ]
            )
            late.write({"reminder_sent": True})
            remaining = Report.search_count(
                [("state", "=", "draft"), ("date_due", "<", today), ("reminder_sent", "=", False)]
            )
            self.env["ir.cron"]._notify_progress(done=len(late), remaining=remaining)
        return True
