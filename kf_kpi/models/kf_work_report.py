from bisect import bisect_left
from collections import defaultdict
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.kf_customer_service.models.kf_concurrency import advisory_xact_lock, hits_concurrent_rows

REPORT_TYPES = [
    ("daily", "Daily Report"),
    ("monthly", "Monthly Review and Plan"),
    ("half_year", "Half-Year Summary"),
    ("annual", "Annual Summary"),
]
REMINDER_ACTIVITY_XMLID = "kf_kpi.mail_activity_type_kf_work_report"
# how far a due date falling on a day off may move to find a working day
DUE_ROLL_DAYS = 31
# written by the server only (submit / review / return methods, computes, cron)
SYSTEM_FIELDS = {
    "state",
    "date_submitted",
    "on_time",
    "reviewer_id",
    "date_reviewed",
    "reminder_sent",
    "date_due",
    "name",
}
# what the report is about: fixed once the report exists
PERIOD_FIELDS = {"report_type", "user_id", "company_id", "date"}
CONTENT_FIELDS = {"body", "plan"}


class KfWorkReport(models.Model):
    """Work reports the department's job descriptions require of each
    employee: a daily report every working day, the monthly review and plan by the 3rd
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
    plan = fields.Html(sanitize_style=True, help="Plan for the next period (monthly report).")
    state = fields.Selection(
        [("draft", "Draft"), ("submitted", "Submitted"), ("reviewed", "Reviewed")],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
        readonly=True,
    )
    date_submitted = fields.Datetime(string="Submitted On", readonly=True, copy=False, tracking=True)
    on_time = fields.Boolean(compute="_compute_on_time", store=True)
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
        for report in self:
            report.name = report._kf_title(self.env)

    def _kf_title(self, env):
        """The report's title (type, period, author) in the language of ``env``."""
        self.ensure_one()
        label = dict(self._fields["report_type"]._description_selection(env)).get(self.report_type)
        if not self.date:
            return label
        if self.report_type == "daily":
            period = self.date.isoformat()
        elif self.report_type == "monthly":
            period = self.date.strftime("%Y-%m")
        else:
            period = str(self.date.year)
        return f"{label} {period} {self.user_id.name or ''}".strip()

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

    @api.depends("report_type", "date", "company_id")
    def _compute_date_due(self):
        """The due date of the period, moved to the next working day of the
        company's calendar when it falls on a weekend or public holiday (one
        reading of the calendar per company)."""
        per_company = defaultdict(list)
        for report in self:
            report.date_due = report.date and self._due_date(report.report_type, report.date)
            if report.date_due:
                per_company[report.company_id].append(report)
        for company, reports in per_company.items():
            dues = [report.date_due for report in reports]
            working = sorted(company.kf_working_dates(min(dues), max(dues) + timedelta(days=DUE_ROLL_DAYS)))
            for report in reports:
                index = bisect_left(working, report.date_due)
                if index < len(working):
                    report.date_due = working[index]

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
            if not self.env.su and (
                {key for key, value in vals.items() if value and key in SYSTEM_FIELDS} - {"state"}
                or vals.get("state", "draft") != "draft"
            ):
                raise AccessError(
                    self.env._("A work report starts as a draft: its submission and review are recorded by the server.")
                )
            if vals.get("date") and vals.get("report_type"):
                day = fields.Date.to_date(vals["date"])
                vals["date"] = self._period_start(vals["report_type"], day)
        return super().create(vals_list)

    def write(self, vals):
        """Submission and review are the server's (``action_*`` methods, which
        write as superuser): a user write never sets the state, the submission
        time or the reviewer, never moves a report to another period or
        person, and never touches content once submitted."""
        if not self.env.su:
            self._check_user_write(set(vals))
        if (CONTENT_FIELDS | PERIOD_FIELDS | {"review_comment"}) & set(vals):
            if any(report.state == "reviewed" for report in self):
                raise UserError(self.env._("A reviewed report can no longer be changed."))
        return super().write(vals)

    def _check_user_write(self, fnames):
        if fnames & SYSTEM_FIELDS:
            raise AccessError(
                self.env._(
                    "The status, submission time and reviewer of a work report are set by the Submit and Review "
                    "buttons, not written directly."
                )
            )
        if fnames & PERIOD_FIELDS:
            raise AccessError(
                self.env._("The type, period and author of a work report cannot be changed once created.")
            )
        if fnames & CONTENT_FIELDS and any(report.state != "draft" for report in self):
            raise UserError(
                self.env._("A submitted report can no longer be changed; the reviewer can return it to you.")
            )
        if "review_comment" in fnames:
            self._check_reviewer()

    def _check_reviewer(self):
        """A manager reviews the reports of others, never their own."""
        if not self.env.user.has_group("kf_customer_service.group_kf_manager"):
            raise AccessError(self.env._("Only a customer-service manager can review reports."))
        own = self.filtered(lambda report: report.user_id == self.env.user)
        if own:
            raise AccessError(
                self.env._("Nobody reviews their own report: %(names)s.", names=", ".join(own.mapped("name")))
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_submitted(self):
        if any(report.state != "draft" for report in self):
            raise UserError(self.env._("A submitted report cannot be deleted."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_late_own(self):
        """A report past its due date counts against its author: only a
        manager other than the author removes it."""
        if self.env.su:
            return
        today = fields.Date.context_today(self)
        late = self.filtered(lambda report: report.date_due and report.date_due < today)
        if late and (
            not self.env.user.has_group("kf_customer_service.group_kf_manager") or self.env.user in late.user_id
        ):
            raise AccessError(
                self.env._(
                    "An overdue report can only be deleted by a manager: %(names)s.",
                    names=", ".join(late.mapped("name")),
                )
            )

    # ------------------------------------------------------------- actions
    def action_submit(self):
        for report in self:
            if report.state != "draft":
                raise UserError(self.env._("Report %(name)s is already submitted.", name=report.name))
            if report.user_id != self.env.user and not self.env.user.has_group("kf_customer_service.group_kf_manager"):
                raise UserError(self.env._("Only the author can submit report %(name)s.", name=report.name))
            if not report.body or not report.body.striptags().strip():
                raise UserError(
                    self.env._("Write the report before submitting it: %(name)s is empty.", name=report.name)
                )
        self.check_access("write")
        # the submission time is the server's clock, never the user's
        self.sudo().write({"state": "submitted", "date_submitted": fields.Datetime.now()})
        self.activity_feedback([REMINDER_ACTIVITY_XMLID])
        return True

    def action_review(self):
        self._check_reviewer()
        if any(report.state != "submitted" for report in self):
            raise UserError(self.env._("Only submitted reports can be reviewed."))
        self.check_access("write")
        self.sudo().write({"state": "reviewed", "reviewer_id": self.env.uid, "date_reviewed": fields.Datetime.now()})
        return True

    def action_return(self):
        """Send a submitted report back to its author (the comment says why)."""
        self._check_reviewer()
        if any(report.state != "submitted" for report in self):
            raise UserError(self.env._("Only submitted reports can be returned to their author."))
        self.check_access("write")
        self.sudo().write({"state": "draft", "date_submitted": False})
        return True

    # ----------------------------------------------------------------- cron
    @api.model
    def _expected_reports(self, company, users, today):
        """(user, type, period) of the reports that must exist by today."""
        expected = []
        if today in company.kf_working_dates(today, today):
            expected += [(user.id, "daily", today) for user in users]
        last_month = today + relativedelta(day=1, months=-1)
        expected += [(user.id, "monthly", last_month) for user in users]
        if today.month >= 10:
            expected += [(user.id, "half_year", date(today.year, 1, 1)) for user in users]
        if today.month >= 4:
            expected += [(user.id, "annual", date(today.year - 1, 1, 1)) for user in users]
        return expected

    @api.model
    def _kf_lock_query(self, ids):
        return SQL("SELECT id FROM kf_work_report WHERE id = ANY(%s) ORDER BY id FOR UPDATE", ids)

    @api.model
    def _kf_not_created_meanwhile(self, company, keys):
        """The (user, type, period) keys of ``keys`` that no transaction
        committed (or is committing) since this one began."""

        def probe(subset):
            return SQL(
                """INSERT INTO kf_work_report (user_id, report_type, date, company_id, state)
                   SELECT u, t, d, %s, 'draft' FROM unnest(%s::int[], %s::varchar[], %s::date[]) AS x(u, t, d)
                   ON CONFLICT DO NOTHING""",
                company.id,
                [key[0] for key in subset],
                [key[1] for key in subset],
                [key[2] for key in subset],
            )

        if not keys or not hits_concurrent_rows(self.env.cr, probe(keys)):
            return keys
        return [key for key in keys if not hits_concurrent_rows(self.env.cr, probe([key]))]

    @api.model
    def _cron_report_reminders(self, batch_size=1000):
        """Daily: make sure each appraised person has today's daily report and
        the monthly / half-year / annual reports of the periods that fell due
        (as drafts to fill in), then give one reminder activity per report not
        submitted by its due date. Idempotent: reports are unique per person,
        type and period, and a report is reminded once. Two runs at the same
        time (the cron and a manual run) take turns; the later one skips the
        reports and reminders the earlier one committed."""
        today = fields.Date.context_today(self)
        Report = self.sudo()
        advisory_xact_lock(self.env.cr, (self._name, "_cron_report_reminders"))
        for company in self.env["res.company"].sudo().search(self._companies_to_remind_domain()):
            self._create_due_reports(company, today)
        late = Report.search(self._reports_to_remind_domain(today), limit=batch_size, order="date_due, id")
        if late and hits_concurrent_rows(self.env.cr, self._kf_lock_query(late.ids), keep=True):
            # reminded or submitted by a transaction committed after this one began
            late = late.filtered(lambda r: not hits_concurrent_rows(self.env.cr, self._kf_lock_query(r.ids), keep=True))
        if late:
            self.env["mail.activity"].kf_create_activities(
                late,
                REMINDER_ACTIVITY_XMLID,
                {
                    report.id: (
                        report.user_id,
                        today,
                        report.user_id.kf_lang_env()._(
                            "Submit %(report)s (due %(date)s)",
                            report=report._kf_title(report.user_id.kf_lang_env()),
                            date=report.user_id.kf_format_date(report.date_due),
                        ),
                        False,
                    )
                    for report in late
                },
                notify=True,
            )
            late.write({"reminder_sent": True})
            remaining = Report.search_count(self._reports_to_remind_domain(today))
            self.env["ir.cron"]._notify_progress(done=len(late), remaining=remaining)
        return True

    @api.model
    def _companies_to_remind_domain(self):
        """The companies whose appraised people get their reports and
        reminders."""
        return [("active", "=", True)]

    @api.model
    def _reports_to_remind_domain(self, today):
        """Draft reports past their due date at ``today``, not reminded yet."""
        return [("state", "=", "draft"), ("date_due", "<", today), ("reminder_sent", "=", False)]

    @api.model
    def _create_due_reports(self, company, today):
        """Create the draft reports the appraised people of ``company`` owe at
        ``today`` and do not have yet, leaving those another run committed
        meanwhile (the caller holds the advisory lock)."""
        users = self.env["kf.kpi.sheet"]._appraised_users(company)
        if not users:
            return
        Report = self.sudo()
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
        missing = self._kf_not_created_meanwhile(company, [key for key in expected if key not in existing])
        if missing:
            Report.with_context(tracking_disable=True, mail_create_nolog=True).create(
                [
                    {"user_id": uid, "report_type": rtype, "date": period, "company_id": company.id}
                    for uid, rtype, period in missing
                ]
            )
