import logging
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta
from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from odoo.addons.kf_customer_service.models.kf_concurrency import (
    advisory_xact_lock,
    hits_concurrent_rows,
    subscribe_pairs,
)

_lt = LazyTranslate(__name__)
_logger = logging.getLogger(__name__)

MANAGER_GROUP = "kf_customer_service.group_kf_manager"
DIRECTOR_GROUP = "kf_customer_service.group_kf_director"

# Registered computations: key -> label. Each key has a method
# ``_kpi_<key>(period, param)`` returning a ``KpiResult`` and a method
# ``_kpi_<key>_domain(period, param)`` returning (model, domain) of the
# records the figure is computed from (the drill-down).
KPI_METHODS = [
    ("satisfaction", _lt("Average satisfaction score of scored visits and completed surveys (as % of 5)")),
    ("complaint_closure", _lt("Complaints closed ÷ complaints received")),
    ("return_visit", _lt("Return visits done ÷ return visits planned")),
    ("sla_first_reply", _lt("Tickets replied within the SLA ÷ tickets received")),
    ("renewal", _lt("Contracts renewed ÷ contracts ending")),
    ("collection", _lt("Amount received ÷ amount due")),
    ("receivable_days", _lt("Receivable turnover days")),
    ("customer_growth", _lt("Customers under contract, year-on-year growth")),
    ("daily_report", _lt("Daily reports submitted ÷ working days")),
    ("monthly_report", _lt("Monthly reports submitted on time ÷ due")),
    ("order_on_time", _lt("Work orders done by their planned end ÷ work orders due")),
    ("problem_count", _lt("Confirmed problems of a type")),
    ("visit_count", _lt("Customer visits done")),
    ("manager_check", _lt("Manager's check visits done ÷ planned")),
    ("orphan_customers", _lt("Orphan customers (no active salesperson) held")),
    ("feedback_on_time", _lt("Service feedback forms handed in by 08:30 of the next working day ÷ forms due")),
    ("callback_same_day", _lt("Call-backs made the day the feedback form was reviewed ÷ call-backs")),
]


class KpiPeriod:
    """The month being appraised, its company and the appraised users."""

    def __init__(self, env, date_from, company, users=None):
        self.env = env
        self.date_from = date_from
        self.date_to = date_from + relativedelta(day=31)
        self.company = company
        self._users = users
        # datetimes are stored in UTC: the month runs from its first midnight
        # to the next month's first midnight in the company's time zone (its
        # working calendar's), so a ticket received at 02:00 on the 1st in
        # Shanghai counts in that month
        tz = pytz.timezone(company.resource_calendar_id.tz or env.user.tz or "UTC")
        self.dt_from = self._utc(tz, self.date_from)
        self.dt_to = self._utc(tz, self.date_to + timedelta(days=1))

    @property
    def users(self):
        """The appraised users (looked up only when a KPI needs them)."""
        if self._users is None:
            self._users = self.env["kf.kpi.sheet"]._appraised_users(self.company)
        return self._users

    @staticmethod
    def _utc(tz, day):
        return tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)


class KpiResult:
    """Figures per user id (False = records without a user) of one KPI."""

    def __init__(self, kind="ratio"):
        self.kind = kind  # ratio: num/den*100; avg: num/den/5*100; days; growth; count
        self.num = {}
        self.den = {}
        # department figures when they are not the sum of the users' (e.g.
        # distinct customers served by several specialists)
        self.department = None

    def add(self, user_id, num=0.0, den=0.0):
        self.num[user_id] = self.num.get(user_id, 0.0) + (num or 0.0)
        self.den[user_id] = self.den.get(user_id, 0.0) + (den or 0.0)

    def figures(self, user_id=None):
        """(numerator, denominator, actual, has_data) for a user, or for the
        whole department when user_id is None."""
        if user_id is None and self.department is not None:
            num, den = self.department
        elif user_id is None:
            num, den = sum(self.num.values()), sum(self.den.values())
        else:
            num, den = self.num.get(user_id, 0.0), self.den.get(user_id, 0.0)
        return (num, den, *self.value(num, den))

    def value(self, num, den):
        if self.kind == "count":
            return num, True
        if not den:
            return 0.0, False
        if self.kind == "ratio":
            return min(num / den * 100.0, 100.0), True
        if self.kind == "avg":
            return num / den / 5.0 * 100.0, True
        if self.kind == "days":
            return num / den * 365.0, True
        if self.kind == "growth":
            return (num - den) / den * 100.0, True
        return 0.0, False


class KfKpiSheet(models.Model):
    _name = "kf.kpi.sheet"
    _description = "Monthly KPI Appraisal Sheet"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, scope desc, user_id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    date_from = fields.Date(string="First Day", required=True, index=True, readonly=True)
    month = fields.Char(compute="_compute_month", store=True, index=True, help="The month, as YYYY-MM.")
    date_to = fields.Date(string="Month End", required=True, readonly=True)
    scope = fields.Selection(
        [("employee", "Employee"), ("department", "Department")],
        required=True,
        default="employee",
        readonly=True,
        index=True,
    )
    user_id = fields.Many2one("res.users", string="Employee", index=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True, readonly=True
    )
    state = fields.Selection(
        [("draft", "To Approve"), ("approved", "Approved")],
        default="draft",
        required=True,
        tracking=True,
        index=True,
    )
    line_ids = fields.One2many("kf.kpi.sheet.line", "sheet_id", string="KPIs")
    total_score = fields.Float(compute="_compute_totals", store=True, digits=(16, 1), aggregator="avg")
    met_count = fields.Integer(string="KPIs Met", compute="_compute_totals", store=True)
    line_count = fields.Integer(string="KPIs Measured", compute="_compute_totals", store=True)
    date_computed = fields.Datetime(string="Computed On", readonly=True)
    approved_by_id = fields.Many2one("res.users", readonly=True, tracking=True)
    date_approved = fields.Datetime(string="Approved On", readonly=True, tracking=True)
    note = fields.Text(string="Manager's Comment", tracking=True)
    # the appraised employee's answer to the approved sheet
    ack_state = fields.Selection(
        [("pending", "Awaiting Acknowledgement"), ("acknowledged", "Acknowledged"), ("appealed", "Appealed")],
        string="Employee's Answer",
        readonly=True,
        tracking=True,
        copy=False,
        help="Set when the sheet is approved; the appraised employee acknowledges it or appeals with a comment.",
    )
    ack_date = fields.Datetime(string="Answered On", readonly=True, copy=False)
    appeal_comment = fields.Text(readonly=True, copy=False, tracking=True)

    def init(self):
        # one sheet per employee (or department) per month and company;
        # COALESCE because the department sheet has no user
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS kf_kpi_sheet_period_uniq
               ON kf_kpi_sheet (company_id, date_from, scope, COALESCE(user_id, 0))"""
        )

    @api.depends("date_from")
    def _compute_month(self):
        for sheet in self:
            sheet.month = sheet.date_from.strftime("%Y-%m") if sheet.date_from else False

    @api.depends("date_from", "scope", "user_id")
    def _compute_name(self):
        for sheet in self:
            who = sheet.user_id.name if sheet.scope == "employee" else self.env._("Customer Service Department")
            month = sheet.date_from.strftime("%Y-%m") if sheet.date_from else ""
            sheet.name = f"{month} {who or ''}".strip()

    @api.depends("line_ids.score", "line_ids.weight", "line_ids.has_data", "line_ids.met")
    def _compute_totals(self):
        for sheet in self:
            measured = sheet.line_ids.filtered("has_data")
            weight = sum(measured.mapped("weight"))
            sheet.total_score = sum(measured.mapped("score")) / weight * 100.0 if weight else 0.0
            sheet.met_count = len(measured.filtered("met"))
            sheet.line_count = len(measured)

    # ------------------------------------------------------------------ freeze
    # written by Odoo's mail machinery, allowed on a frozen sheet
    FROZEN_FREE_FIELDS = {"message_main_attachment_id", "activity_ids", "message_follower_ids"}
    # written by the server only: the computation, approval and reopening
    SYSTEM_FIELDS = {
        "state",
        "approved_by_id",
        "date_approved",
        "date_computed",
        "date_from",
        "date_to",
        "month",
        "scope",
        "user_id",
        "company_id",
        "line_ids",
        "total_score",
        "met_count",
        "line_count",
        "ack_state",
        "ack_date",
        "appeal_comment",
    }

    # the employee's answer, the only change an approved sheet takes
    ANSWER_FIELDS = {"ack_state", "ack_date", "appeal_comment"}

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(set(vals) & self.SYSTEM_FIELDS for vals in vals_list):
            raise AccessError(self.env._("Appraisal sheets are created by the KPI computation."))
        return super().create(vals_list)

    def write(self, vals):
        """The status, approver and figures of a sheet are the server's; a user
        write only changes the comment of a draft sheet of someone else. An
        approved sheet changes only through ``action_reopen``."""
        fnames = set(vals) - self.FROZEN_FREE_FIELDS
        if fnames and any(sheet.state == "approved" for sheet in self):
            if not (
                self.env.su
                and (
                    self.env.context.get("kf_kpi_sheet_reopen")
                    or (self.env.context.get("kf_kpi_sheet_answer") and fnames <= self.ANSWER_FIELDS)
                )
            ):
                raise UserError(self.env._("An approved appraisal sheet is frozen: it cannot be changed."))
        if not self.env.su and fnames:
            if fnames & self.SYSTEM_FIELDS:
                raise AccessError(
                    self.env._(
                        "The status, approval and figures of an appraisal sheet are set by the server, not written."
                    )
                )
            if "note" in fnames:
                self._check_comment_author()
        return super().write(vals)

    def _check_comment_author(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager can comment appraisal sheets."))
        own = self.filtered(lambda sheet: sheet.user_id == self.env.user)
        if own:
            raise AccessError(
                self.env._("Nobody comments their own appraisal sheet: %(names)s.", names=", ".join(own.mapped("name")))
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_approved(self):
        if any(sheet.state == "approved" for sheet in self):
            raise UserError(self.env._("An approved appraisal sheet cannot be deleted."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_user(self):
        if not self.env.su:
            raise AccessError(
                self.env._("Appraisal sheets are created and replaced by the KPI computation, not deleted.")
            )

    # ------------------------------------------------------------- approval
    def _check_approver(self):
        """Nobody approves (or reopens) their own sheet; a manager's sheet and
        the department's are a director's to approve."""
        user = self.env.user
        if not user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager can approve appraisal sheets."))
        for sheet in self:
            if sheet.user_id == user:
                raise AccessError(self.env._("Nobody approves their own appraisal sheet: %(name)s.", name=sheet.name))
            needs_director = sheet.scope == "department" or (sheet.user_id and sheet.user_id.has_group(MANAGER_GROUP))
            if needs_director and not user.has_group(DIRECTOR_GROUP):
                raise AccessError(
                    self.env._(
                        "The appraisal sheet %(name)s is a manager's or the department's: a director approves it.",
                        name=sheet.name,
                    )
                )

    def action_approve(self):
        to_approve = self.filtered(lambda s: s.state == "draft")
        if not to_approve:
            raise UserError(self.env._("These appraisal sheets are already approved."))
        to_approve._check_approver()
        to_approve.check_access("write")
        to_approve.sudo().write(
            {
                "state": "approved",
                "approved_by_id": self.env.uid,
                "date_approved": fields.Datetime.now(),
                "ack_state": "pending" if to_approve.user_id else False,
            }
        )
        for sheet in to_approve.filtered("user_id"):
            sheet.sudo()._kf_ask_acknowledgement()
        return True

    def _kf_ask_acknowledgement(self):
        """The appraised employee is told their sheet is approved, in their
        language, with a to-do to acknowledge it or appeal."""
        self.ensure_one()
        employee = self.user_id
        env = employee.kf_lang_env()
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=env._("Acknowledge your appraisal sheet %(name)s or appeal", name=self.name),
            user_id=employee.id,
        )

    # ------------------------------------------------------ employee's answer
    def _check_own_approved_sheet(self):
        """Only the appraised employee answers their own approved sheet, once."""
        self.check_access("read")
        for sheet in self:
            if sheet.user_id != self.env.user:
                raise AccessError(
                    self.env._(
                        "Only the appraised employee acknowledges or appeals the appraisal sheet %(name)s.",
                        name=sheet.name,
                    )
                )
            if sheet.state != "approved" or sheet.ack_state != "pending":
                raise UserError(
                    self.env._(
                        "The appraisal sheet %(name)s is not waiting for your answer: it is acknowledged or "
                        "appealed once, after its approval.",
                        name=sheet.name,
                    )
                )

    def _kf_answer(self, vals, body):
        self.sudo().with_context(kf_kpi_sheet_answer=True).write(dict(vals, ack_date=fields.Datetime.now()))
        for sheet in self.sudo():
            sheet.activity_ids.filtered(lambda act: act.user_id == self.env.user).action_feedback()
            sheet.message_post(body=body, author_id=self.env.user.partner_id.id, subtype_xmlid="mail.mt_note")

    def action_acknowledge(self):
        """The appraised employee acknowledges their approved sheet."""
        self._check_own_approved_sheet()
        self._kf_answer({"ack_state": "acknowledged"}, self.env._("Appraisal sheet acknowledged by the employee."))
        return True

    def action_appeal(self, comment):
        """The appraised employee appeals their approved sheet with a comment;
        the approver (else the department's manager) gets a to-do. The figures
        stay frozen: a director reopens the sheet if the appeal is upheld."""
        comment = (comment or "").strip()
        if not comment:
            raise UserError(self.env._("Say why you appeal the appraisal sheet."))
        self._check_own_approved_sheet()
        self._kf_answer(
            {"ack_state": "appealed", "appeal_comment": comment},
            self.env._("Appraisal sheet appealed by the employee: %(comment)s", comment=comment),
        )
        reviewers = self.env["res.users"].kf_activity_users(
            self.sudo(), {sheet.id: sheet.approved_by_id for sheet in self.sudo()}
        )
        for sheet in self.sudo():
            reviewer = reviewers[sheet.id]
            if reviewer:
                sheet.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=reviewer.kf_lang_env()._("Review the appeal of appraisal sheet %(name)s", name=sheet.name),
                    note=comment,
                    user_id=reviewer.id,
                )
        return True

    def action_open_appeal_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Appeal Appraisal Sheet"),
            "res_model": "kf.kpi.sheet.appeal",
            "view_mode": "form",
            "target": "new",
            "context": {"default_sheet_id": self.id},
        }

    def action_reopen(self, reason):
        """Unfreeze approved sheets (a director, not on their own sheet, with
        a reason that goes to the chatter)."""
        if not self.env.user.has_group(DIRECTOR_GROUP):
            raise AccessError(self.env._("Only a customer-service director can reopen an approved appraisal sheet."))
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for reopening the appraisal sheet."))
        if any(sheet.state != "approved" for sheet in self):
            raise UserError(self.env._("Only approved appraisal sheets can be reopened."))
        own = self.filtered(lambda sheet: sheet.user_id == self.env.user)
        if own:
            raise AccessError(self.env._("Nobody reopens their own appraisal sheet: %(name)s.", name=own[0].name))
        self.check_access("write")
        self.sudo().with_context(kf_kpi_sheet_reopen=True).write(
            {"state": "draft", "approved_by_id": False, "date_approved": False, "ack_state": False}
        )
        for sheet in self:
            sheet.message_post(body=self.env._("Appraisal sheet reopened: %(reason)s", reason=reason))
        return True

    def action_open_reopen_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reopen Appraisal Sheet"),
            "res_model": "kf.kpi.sheet.reopen",
            "view_mode": "form",
            "target": "new",
            "context": {"default_sheet_ids": self.ids},
        }

    def action_recompute(self):
        approved = self.filtered(lambda s: s.state == "approved")
        if approved:
            raise UserError(
                self.env._(
                    "Approved appraisal sheets are frozen and cannot be recomputed: %(names)s",
                    names=", ".join(approved.mapped("name")),
                )
            )
        for (company, date_from), _sheets in self.grouped(lambda s: (s.company_id, s.date_from)).items():
            self.compute_month(date_from, company)
        return True

    # ------------------------------------------------------------------ export
    @api.model
    def _kf_month_sheets(self, month):
        """The sheets of a month the current user may read, in export order:
        the department's, then the employees' by name."""
        return self.search([("date_from", "=", month)], order="scope, user_id, id")

    def _kf_appraised_label(self):
        """Who the sheet appraises: the employee's name, or the department."""
        self.ensure_one()
        if self.scope == "employee" and self.sudo().user_id.name:
            return self.sudo().user_id.name
        return self.env._("Customer Service Department")

    @api.model
    def xlsx_rows(self, month):
        """Yield one summary row per sheet of a month the current user may read
        (record rules apply: a specialist gets their own and the department's),
        the department's first, then the employees' by name.

        Each row is a dict: ``date_from``, ``appraised`` (the employee's name
        or the department), ``scope`` and ``state`` (labels), ``total_score``,
        ``met_count`` and ``measured_count`` (KPIs met / with data)."""
        scopes = dict(self._fields["scope"]._description_selection(self.env))
        states = dict(self._fields["state"]._description_selection(self.env))
        for sheet in self._kf_month_sheets(month):
            yield {
                "date_from": sheet.date_from,
                "appraised": sheet._kf_appraised_label(),
                "scope": scopes.get(sheet.scope, sheet.scope),
                "state": states.get(sheet.state, sheet.state),
                "total_score": sheet.total_score,
                "met_count": sheet.met_count,
                "measured_count": sheet.line_count,
            }

    # ------------------------------------------------------------- computation
    # the fields of the sheets the computation reads, fetched with them
    _KF_COMPUTE_FIELDS = ["scope", "user_id", "state", "date_from", "month", "company_id"]
    # the fields of the KPI definitions it reads
    _KF_DEFINITION_FIELDS = [
        "code",
        "sequence",
        "family",
        "unit",
        "direction",
        "target",
        "weight",
        "applies_to",
        "method",
        "method_param",
    ]

    def _kf_period(self):
        self.ensure_one()
        return KpiPeriod(self.env, self.date_from, self.company_id)

    @api.model
    def _kpi_method_selection(self):
        return [(key, self.env._(label)) for key, label in KPI_METHODS]

    @api.model
    def _appraised_users(self, company):
        """Internal users of the department (clerk, specialist, manager) in the
        company; directors appraise, they are not appraised."""
        # ids from the (cached) xml ids: no query to check the groups exist
        clerk = self.env["ir.model.data"]._xmlid_to_res_id("kf_customer_service.group_kf_clerk")
        director = self.env["ir.model.data"]._xmlid_to_res_id("kf_customer_service.group_kf_director")
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("groups_id", "in", clerk),
                    ("groups_id", "not in", director),
                    ("share", "=", False),
                    ("company_ids", "in", company.id),
                ],
                order="name",
            )
        )

    @api.model
    def compute_month(self, date_from=None, company=None):
        """Compute (or recompute) the appraisal sheets of a month: one per
        appraised employee and one for the department. Approved sheets are left
        untouched; draft sheets get their lines replaced. Each KPI is one or two
        grouped queries over the month, whatever the number of records."""
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager can compute appraisal sheets."))
        company = company or self.env.company
        date_from = (date_from or fields.Date.context_today(self)) + relativedelta(day=1)
        users = self._appraised_users(company)
        period = KpiPeriod(self.env, date_from, company, users)
        Sheet = self.sudo()
        # one run at a time per company and month (the cron, a manager's Compute)
        advisory_xact_lock(self.env.cr, (self._name, company.id, date_from.isoformat()))
        existing = Sheet.search_fetch(
            [("company_id", "=", company.id), ("date_from", "=", date_from)], self._KF_COMPUTE_FIELDS
        )
        by_key = {(s.scope, s.user_id.id): s for s in existing}
        to_create = [
            (scope, uid or False)
            for scope, uid in [("department", False)] + [("employee", u.id) for u in users]
            if (scope, uid) not in by_key
        ]
        created = None if self._kf_computed_meanwhile(existing) else Sheet._kf_insert_sheets(period, to_create)
        if created is None:
            _logger.info("KPI sheets of %s for company %s computed by a concurrent run", date_from, company.id)
            return existing
        for sheet in created:
            by_key[(sheet.scope, sheet.user_id.id)] = sheet
        drafts = Sheet.browse([s.id for s in by_key.values() if s.state == "draft"])
        if not drafts:
            return Sheet.browse([s.id for s in by_key.values()])
        # the new sheets have no line yet
        self.env["kf.kpi.sheet.line"].sudo()._kf_delete_of(drafts - created)
        definitions = (
            self.env["kf.kpi.definition"]
            .sudo()
            .search_fetch([("company_id", "in", [False, company.id])], self._KF_DEFINITION_FIELDS)
        )
        line_vals = []
        sheet_keys = [(sheet.id, sheet.scope, sheet.user_id.id) for sheet in drafts]
        for definition in definitions:
            result = getattr(self, f"_kpi_{definition.method}")(period, definition.method_param)
            applies_to = definition.applies_to
            line_vals += definition._kf_lines_vals(
                [
                    (sheet_id, *result.figures(None if scope == "department" else user_id))
                    for sheet_id, scope, user_id in sheet_keys
                    if not (scope == "department" and applies_to == "employee")
                    and not (scope == "employee" and applies_to == "department")
                ]
            )
        self._kf_save_lines(drafts, line_vals)
        return Sheet.browse([s.id for s in by_key.values()])

    def _kf_save_lines(self, drafts, line_vals):
        """Save the computed lines of the draft sheets ``drafts`` and each
        sheet's totals, in a few queries whatever the number of employees:
        the lines get their stored copies of the sheet and their status in
        their values and are inserted in one statement
        (``kf.kpi.sheet.line._kf_insert``), the totals are computed from the
        same values and written in one statement."""
        Line = self.env["kf.kpi.sheet.line"].sudo().with_context(kf_kpi_computing=True)
        sheet_values = {
            sheet.id: {
                "user_id": sheet.user_id.id,
                "date_from": sheet.date_from,
                "month": sheet.month,
                "scope": sheet.scope,
                "company_id": sheet.company_id.id,
            }
            for sheet in drafts
        }
        definitions = self.env["kf.kpi.definition"].sudo().browse({vals["definition_id"] for vals in line_vals})
        codes = {definition.id: definition.code for definition in definitions}
        totals = {sheet.id: [0.0, 0.0, 0, 0] for sheet in drafts}  # score, weight, met, measured
        status = {(has_data, met): Line._kf_status_vals(has_data, met) for has_data in (0, 1) for met in (0, 1)}
        for vals in line_vals:
            vals.update(sheet_values[vals["sheet_id"]], code=codes[vals["definition_id"]])
            vals.update(status[bool(vals["has_data"]), bool(vals["met"])])
            if vals["has_data"]:
                total = totals[vals["sheet_id"]]
                total[0] += vals["score"]
                total[1] += vals["weight"]
                total[2] += 1 if vals["met"] else 0
                total[3] += 1
        Line._kf_insert(drafts, line_vals)
        drafts._kf_write_totals(
            {
                sheet_id: (score / weight * 100.0 if weight else 0.0, met, measured)
                for sheet_id, (score, weight, met, measured) in totals.items()
            }
        )

    def _kf_write_totals(self, totals):
        """Write ``{sheet id: (total_score, met_count, line_count)}`` and the
        computation time on the draft sheets ``self`` in one statement (the
        same values ``_compute_totals`` gives from their lines; none of these
        fields is tracked)."""
        self.flush_recordset()
        fields_ = [self._fields[fname] for fname in ("total_score", "met_count", "line_count")]
        ids = list(totals)
        columns = [
            [field.convert_to_column(totals[sheet_id][index], self) for sheet_id in ids]
            for index, field in enumerate(fields_)
        ]
        self.env.cr.execute(
            SQL(
                """UPDATE kf_kpi_sheet s
                      SET total_score = x.total_score, met_count = x.met_count, line_count = x.line_count,
                          date_computed = %(now)s, write_date = %(now)s, write_uid = %(uid)s
                     FROM unnest(%(ids)s::int[], %(scores)s::float8[], %(met)s::int[], %(measured)s::int[])
                       AS x(id, total_score, met_count, line_count)
                    WHERE s.id = x.id""",
                now=self.env.cr.now(),
                uid=self.env.uid,
                ids=ids,
                scores=columns[0],
                met=columns[1],
                measured=columns[2],
            )
        )
        self.browse(ids).invalidate_recordset(
            ["total_score", "met_count", "line_count", "date_computed", "write_date", "write_uid"]
        )

    @api.model
    def _kf_computed_meanwhile(self, existing):
        """True when a run that committed after this transaction began already
        recomputed the month's sheets ``existing``: their new state is
        invisible here and this run would fail on them. Locks them otherwise."""
        lock = SQL("SELECT id FROM kf_kpi_sheet WHERE id = ANY(%s) ORDER BY id FOR UPDATE", existing.ids)
        return bool(existing) and hits_concurrent_rows(self.env.cr, lock, keep=True)

    @api.model
    def _kf_insert_sheets(self, period, keys):
        """Create the draft sheets of ``period`` for ``keys`` (``(scope,
        user id or False)``) as ``create`` makes them — their stored fields,
        the creator following them, their creation message — in a few
        statements whatever their number (``create`` inserts them by a
        hundred and logs each message through the ORM). Returns None, having
        created nothing, when a run that committed after this transaction
        began created some of them: they are invisible here and inserting
        them again would fail on the unique index."""
        if not keys:
            return self.browse()
        cr = self.env.cr
        month = period.date_from.strftime("%Y-%m")  # as _compute_month
        query = SQL(
            """INSERT INTO kf_kpi_sheet (company_id, date_from, date_to, month, scope, user_id, state,
                                         create_uid, create_date, write_uid, write_date)
               SELECT %(company)s, %(date_from)s, %(date_to)s, %(month)s, x.scope, x.user_id, 'draft',
                      %(uid)s, %(now)s, %(uid)s, %(now)s
                 FROM unnest(%(scopes)s::varchar[], %(users)s::int[]) AS x(scope, user_id)
               ON CONFLICT DO NOTHING
               RETURNING id""",
            company=period.company.id,
            date_from=period.date_from,
            date_to=period.date_to,
            month=month,
            uid=self.env.uid,
            now=cr.now(),
            scopes=[scope for scope, _uid in keys],
            users=[uid or None for _scope, uid in keys],
        )
        savepoint = cr.savepoint(flush=False)
        try:
            cr.execute(query, log_exceptions=False)
        except errors.SerializationFailure:
            savepoint.close(rollback=True)
            return None
        ids = [row[0] for row in cr.fetchall()]
        savepoint.close(rollback=len(ids) != len(keys))
        if len(ids) != len(keys):
            return None
        sheets = self.search_fetch([("id", "in", ids)], self._KF_COMPUTE_FIELDS, order="id")
        if not self.env.context.get("mail_create_nosubscribe") and self.env.user.active:
            subscribe_pairs(self.env, self._name, [(sheet_id, self.env.user.partner_id.id) for sheet_id in ids])
        if not self.env.context.get("mail_create_nolog"):
            sheets._kf_log_creation()
        return sheets

    def _kf_log_creation(self):
        """Log the chatter's creation message on the new sheets ``self`` as
        ``create`` logs it (Odoo's batch log: one author, body, subtype and
        message id for the batch) in a few queries whatever their number: the
        first sheet's message is logged by Odoo, the others' are copies of
        its row."""
        first, others = self[:1], self[1:]
        message = first._message_log_batch({first.id: first._creation_message()})
        if not others:
            return
        Message = self.env["mail.message"]
        Message.flush_model()
        columns = SQL(", ").join(
            SQL.identifier(fname)
            for fname, field in Message._fields.items()
            if field.store and field.column_type and fname not in ("id", "res_id")
        )
        self.env.cr.execute(
            SQL(
                """INSERT INTO mail_message (res_id, %(columns)s)
                   SELECT x.res_id, %(columns)s
                     FROM mail_message, unnest(%(ids)s::int[]) AS x(res_id)
                    WHERE mail_message.id = %(message)s""",
                columns=columns,
                ids=others.ids,
                message=message.id,
            )
        )
        Message.invalidate_model()
        self.invalidate_recordset(["message_ids"])

    @api.model
    def _cron_compute_kpis(self):
        """Daily: refresh the current month's sheets and (re)compute last
        month's until they are approved. Idempotent: sheets are unique per
        employee and month, draft lines are replaced."""
        today = fields.Date.context_today(self)
        for company in self.env["res.company"].sudo().search(self._companies_to_compute_domain()):
            if not self._appraised_users(company):
                continue
            self.compute_month(today + relativedelta(day=1, months=-1), company)
            self.compute_month(today + relativedelta(day=1), company)
        return True

    @api.model
    def _companies_to_compute_domain(self):
        """The companies whose sheets the daily run computes (those with
        appraised users)."""
        return [("active", "=", True)]

    # --------------------------------------------------- the registered KPIs
    def _kf_group(self, result, model, domain, aggregates, user_field="user_id", num_index=None, den_index=0):
        """One grouped query by user; add aggregate values to ``result``."""
        rows = self.env[model].sudo().with_context(active_test=False)._read_group(domain, [user_field], aggregates)
        for row in rows:
            user = row[0]
            values = row[1:]
            result.add(
                user.id or False,
                num=values[num_index] if num_index is not None else 0.0,
                den=values[den_index] if den_index is not None else 0.0,
            )
        return result

    def _kf_ratio(self, model, base_domain, num_domain, user_field="user_id"):
        result = KpiResult("ratio")
        self._kf_group(result, model, base_domain, ["__count"], user_field, num_index=None, den_index=0)
        self._kf_group(result, model, base_domain + num_domain, ["__count"], user_field, num_index=0, den_index=None)
        return result

    def _kf_company(self, period):
        return [("company_id", "=", period.company.id)]

    # satisfaction: average score of the month's responses (scored visits and
    # completed ticket surveys), as % of 5. The responses are the satisfaction
    # summary's, so the KPI and the summary give the same figure; a response
    # counts in the month of its specialist's local day.
    def _kpi_satisfaction_domain(self, period, param):
        Report = self.env["kf.kpi.satisfaction.report"]
        return Report._name, Report.responses_domain(period.date_from, period.company)

    def _kpi_satisfaction(self, period, param):
        model, domain = self._kpi_satisfaction_domain(period, param)
        result = KpiResult("avg")
        return self._kf_group(result, model, domain, ["score:sum", "__count"], num_index=0, den_index=1)

    # complaint closure: complaints received in the month (not cancelled), closed
    def _kpi_complaint_closure_domain(self, period, param):
        cancelled = self.env["ir.model.data"]._xmlid_to_res_id("kf_dispatch.kf_ticket_stage_cancelled")
        return "kf.ticket", [
            *self._kf_company(period),
            ("ticket_type", "=", "complaint"),
            ("date_received", ">=", period.dt_from),
            ("date_received", "<", period.dt_to),
            ("stage_id", "!=", cancelled),
        ]

    def _kpi_complaint_closure(self, period, param):
        model, domain = self._kpi_complaint_closure_domain(period, param)
        return self._kf_ratio(model, domain, [("is_closed", "=", True)])

    # return visits planned in the month, done. A cancelled visit does not
    # count, except the visit of a complaint or repair a manager let close
    # without it (waiver: customer unreachable, duplicate, withdrawn): it stays
    # planned-but-not-done, so waiving never improves the rate.
    def _kpi_return_visit_domain(self, period, param):
        return "kf.visit", [
            *self._kf_company(period),
            ("visit_type", "=", "return_visit"),
            ("date_planned", ">=", period.date_from),
            ("date_planned", "<=", period.date_to),
            "|",
            ("state", "!=", "cancelled"),
            ("kf_ticket_ids.visit_waiver_reason", "!=", False),
        ]

    def _kpi_return_visit(self, period, param):
        model, domain = self._kpi_return_visit_domain(period, param)
        return self._kf_ratio(model, domain, [("state", "=", "done")])

    # tickets received in the month with a deadline, not breached
    def _kpi_sla_first_reply_domain(self, period, param):
        cancelled = self.env["ir.model.data"]._xmlid_to_res_id("kf_dispatch.kf_ticket_stage_cancelled")
        return "kf.ticket", [
            *self._kf_company(period),
            ("date_received", ">=", period.dt_from),
            ("date_received", "<", period.dt_to),
            ("sla_deadline", "!=", False),
            ("stage_id", "!=", cancelled),
        ]

    def _kpi_sla_first_reply(self, period, param):
        model, domain = self._kpi_sla_first_reply_domain(period, param)
        return self._kf_ratio(model, domain, [("sla_breached", "=", False)])

    # contracts ending in the month, renewed
    def _kpi_renewal_domain(self, period, param):
        return "kf.service.contract", [
            *self._kf_company(period),
            ("state", "in", ["running", "expired", "renewed", "lost"]),
            ("date_end", ">=", period.date_from),
            ("date_end", "<=", period.date_to),
        ]

    def _kpi_renewal(self, period, param):
        model, domain = self._kpi_renewal_domain(period, param)
        return self._kf_ratio(model, domain, [("state", "=", "renewed")])

    # Collections come from accounting: the receivable lines of the posted
    # customer invoices and credit notes of KF contracts, attributed to the
    # invoice's salesperson (the schedule line's responsible when invoiced),
    # and their reconciliations (account.partial.reconcile, counted on their
    # max_date). A figure of a past month uses only what was recorded as at
    # that month's end, never today's residuals.
    def _kf_receivable_lines_sql(self, period):
        return SQL(
            """SELECT aml.id, aml.balance, aml.debit, aml.date, aml.date_maturity,
                      m.invoice_user_id AS uid, m.move_type
                 FROM account_move_line aml
                 JOIN account_move m ON m.id = aml.move_id
                 JOIN account_account acc ON acc.id = aml.account_id
                WHERE m.company_id = %(company)s
                  AND m.state = 'posted'
                  AND m.kf_contract_id IS NOT NULL
                  AND m.move_type IN ('out_invoice', 'out_refund')
                  AND acc.account_type = 'asset_receivable'
                  AND aml.date <= %(date_to)s""",
            company=period.company.id,
            date_to=period.date_to,
        )

    def _kf_invoice_domain(self, period):
        return [
            *self._kf_company(period),
            ("kf_contract_id", "!=", False),
            ("state", "=", "posted"),
        ]

    # collection: of the invoices falling due in the month, the part paid by
    # the month's end ÷ the amount due (credit notes reduce the amount due)
    def _kpi_collection_domain(self, period, param):
        return "account.move", [
            *self._kf_invoice_domain(period),
            ("move_type", "=", "out_invoice"),
            ("invoice_date_due", ">=", period.date_from),
            ("invoice_date_due", "<=", period.date_to),
        ]

    def _kpi_collection(self, period, param):
        rows = self.env.execute_query(
            SQL(
                """WITH due AS (
                       SELECT * FROM (%(lines)s) AS rec
                        WHERE rec.move_type = 'out_invoice'
                          AND rec.date_maturity BETWEEN %(date_from)s AND %(date_to)s
                   ), settled AS (
                       SELECT due.uid, p.amount, cm.move_type = 'out_refund' AS credited
                         FROM account_partial_reconcile p
                         JOIN due ON due.id = p.debit_move_id
                         JOIN account_move_line cl ON cl.id = p.credit_move_id
                         JOIN account_move cm ON cm.id = cl.move_id
                        WHERE p.max_date <= %(date_to)s
                   )
                   SELECT uid, SUM(received), SUM(due) FROM (
                       SELECT uid, 0.0 AS received, debit AS due FROM due
                       UNION ALL
                       SELECT uid, CASE WHEN credited THEN 0.0 ELSE amount END,
                              CASE WHEN credited THEN -amount ELSE 0.0 END
                         FROM settled
                   ) AS t GROUP BY uid""",
                lines=self._kf_receivable_lines_sql(period),
                date_from=period.date_from,
                date_to=period.date_to,
            )
        )
        result = KpiResult("ratio")
        for uid, received, due in rows:
            result.add(uid or False, num=float(received or 0.0), den=float(due or 0.0))
        return result

    # receivable turnover days = average receivables ÷ revenue * 365, where
    # average receivables = (receivables at the month's opening + at its
    # close) ÷ 2, each the invoices' and credit notes' receivable balance
    # dated up to that day less what was reconciled up to that day, and
    # revenue = the invoices less credit notes dated in the 365 days up to the
    # month's end. Target ≤ 75 days.
    def _kpi_receivable_days_domain(self, period, param):
        return "account.move", [
            *self._kf_invoice_domain(period),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("date", ">", period.date_to - timedelta(days=365)),
            ("date", "<=", period.date_to),
        ]

    def _kpi_receivable_days(self, period, param):
        rows = self.env.execute_query(
            SQL(
                """WITH rec AS (%(lines)s),
                   settled AS (
                       SELECT rec.uid, p.max_date, -p.amount AS amount
                         FROM account_partial_reconcile p JOIN rec ON rec.id = p.debit_move_id
                        WHERE p.max_date <= %(date_to)s
                       UNION ALL
                       SELECT rec.uid, p.max_date, p.amount
                         FROM account_partial_reconcile p JOIN rec ON rec.id = p.credit_move_id
                        WHERE p.max_date <= %(date_to)s
                   )
                   SELECT uid, SUM(opening), SUM(closing), SUM(revenue) FROM (
                       SELECT uid, CASE WHEN date < %(date_from)s THEN balance ELSE 0.0 END AS opening,
                              balance AS closing,
                              CASE WHEN date > %(year_from)s THEN balance ELSE 0.0 END AS revenue
                         FROM rec
                       UNION ALL
                       SELECT uid, CASE WHEN max_date < %(date_from)s THEN amount ELSE 0.0 END, amount, 0.0
                         FROM settled
                   ) AS t GROUP BY uid""",
                lines=self._kf_receivable_lines_sql(period),
                date_from=period.date_from,
                date_to=period.date_to,
                year_from=period.date_to - timedelta(days=365),
            )
        )
        result = KpiResult("days")
        for uid, opening, closing, revenue in rows:
            result.add(
                uid or False, num=(float(opening or 0.0) + float(closing or 0.0)) / 2.0, den=float(revenue or 0.0)
            )
        return result

    # customer growth: customers under contract at month end vs a year before
    def _kf_active_contracts(self, period, at):
        return [
            *self._kf_company(period),
            ("state", "not in", ["draft", "cancelled"]),
            ("date_start", "<=", at),
            ("date_end", ">=", at),
        ]

    def _kpi_customer_growth_domain(self, period, param):
        return "kf.service.contract", self._kf_active_contracts(period, period.date_to)

    def _kpi_customer_growth(self, period, param):
        result = KpiResult("growth")
        model = "kf.service.contract"
        now = self._kf_active_contracts(period, period.date_to)
        before = self._kf_active_contracts(period, period.date_to - relativedelta(years=1))
        aggregate = ["commercial_partner_id:count_distinct"]
        self._kf_group(result, model, now, aggregate, num_index=0, den_index=None)
        self._kf_group(result, model, before, aggregate, num_index=None, den_index=0)
        # a customer served by two specialists counts once for the department
        Contract = self.env[model].sudo().with_context(active_test=False)
        result.department = (
            Contract._read_group(now, [], aggregate)[0][0],
            Contract._read_group(before, [], aggregate)[0][0],
        )
        return result

    # daily reports submitted for the working days of the month so far
    def _kf_working_days(self, period):
        end = min(period.date_to, fields.Date.context_today(self))
        if end < period.date_from:
            return 0
        return len(period.company.kf_working_dates(period.date_from, end))

    def _kpi_daily_report_domain(self, period, param):
        return "kf.work.report", [
            *self._kf_company(period),
            ("report_type", "=", "daily"),
            ("state", "in", ["submitted", "reviewed"]),
            ("date", ">=", period.date_from),
            ("date", "<=", period.date_to),
        ]

    def _kpi_daily_report(self, period, param):
        model, domain = self._kpi_daily_report_domain(period, param)
        result = KpiResult("ratio")
        self._kf_group(result, model, domain, ["__count"], num_index=0, den_index=None)
        days = self._kf_working_days(period)
        for user in period.users:
            result.add(user.id, den=days)
        return result

    # monthly reports due in the month, submitted on time
    def _kpi_monthly_report_domain(self, period, param):
        return "kf.work.report", [
            *self._kf_company(period),
            ("report_type", "=", "monthly"),
            ("date_due", ">=", period.date_from),
            ("date_due", "<=", period.date_to),
        ]

    def _kpi_monthly_report(self, period, param):
        model, domain = self._kpi_monthly_report_domain(period, param)
        return self._kf_ratio(model, domain, [("on_time", "=", True)])

    # work orders due in the month, done by their planned end
    def _kpi_order_on_time_domain(self, period, param):
        return "kf.dispatch.order", [
            *self._kf_company(period),
            ("state", "not in", ["draft", "cancelled"]),
            ("date_planned_end", ">=", period.dt_from),
            ("date_planned_end", "<", period.dt_to),
        ]

    def _kpi_order_on_time(self, period, param):
        model, domain = self._kpi_order_on_time_domain(period, param)
        return self._kf_ratio(model, domain, [("kf_done_on_time", "=", True)])

    # problems of a type confirmed in the month (the appraised person's)
    def _kpi_problem_count_domain(self, period, param):
        domain = [
            *self._kf_company(period),
            ("state", "in", ["confirmed", "resolved"]),
            ("date", ">=", period.date_from),
            ("date", "<=", period.date_to),
        ]
        if param:
            domain.append(("problem_type", "=", param))
        return "kf.problem", domain

    def _kpi_problem_count(self, period, param):
        model, domain = self._kpi_problem_count_domain(period, param)
        result = KpiResult("count")
        return self._kf_group(result, model, domain, ["__count"], num_index=0, den_index=None)

    # customer visits (not return visits) done in the month, by whoever made them
    def _kpi_visit_count_domain(self, period, param):
        return "kf.visit", [
            *self._kf_company(period),
            ("visit_type", "=", "visit"),
            ("state", "=", "done"),
            ("date_done", ">=", period.dt_from),
            ("date_done", "<", period.dt_to),
        ]

    def _kpi_visit_count(self, period, param):
        model, domain = self._kpi_visit_count_domain(period, param)
        result = KpiResult("count")
        return self._kf_group(result, model, domain, ["__count"], num_index=0, den_index=None)

    # the manager's quarterly check visits planned in the month (created by
    # the maintenance plans), done
    def _kpi_manager_check_domain(self, period, param):
        return "kf.visit", [
            *self._kf_company(period),
            ("kf_purpose", "=", "manager_check"),
            ("state", "!=", "cancelled"),
            ("date_planned", ">=", period.date_from),
            ("date_planned", "<=", period.date_to),
        ]

    def _kpi_manager_check(self, period, param):
        model, domain = self._kpi_manager_check_domain(period, param)
        return self._kf_ratio(model, domain, [("state", "=", "done")])

    # orphan customers of the company at computation time, counted for the
    # specialist who holds them; those nobody holds are the manager's
    def _kpi_orphan_customers_domain(self, period, param):
        """Orphan customer companies of the company: its own partners and
        those under contract with it."""
        contracts = (
            self.env["kf.service.contract"]
            .sudo()
            ._read_group(
                [*self._kf_company(period), ("state", "not in", ["draft", "cancelled"])], ["commercial_partner_id"]
            )
        )
        return "res.partner", [
            ("kf_is_orphan", "=", True),
            ("kf_is_customer", "=", True),
            ("is_company", "=", True),
            "|",
            ("company_id", "=", period.company.id),
            ("id", "in", [partner.id for (partner,) in contracts]),
        ]

    def _kpi_orphan_customers_user_domain(self, period, user):
        """The orphan customers counted for ``user``: those they hold, and
        for the company's manager also those nobody (active) holds."""
        if user == period.company.kf_get_manager():
            return ["|", ("kf_specialist_id", "in", [user.id, False]), ("kf_specialist_id.active", "=", False)]
        return [("kf_specialist_id", "=", user.id), ("kf_specialist_id.active", "=", True)]

    def _kpi_orphan_customers(self, period, param):
        model, domain = self._kpi_orphan_customers_domain(period, param)
        result = KpiResult("count")
        rows = self.env[model].sudo()._read_group(domain, ["kf_specialist_id"], ["__count"])
        manager = period.company.kf_get_manager()
        for specialist, count in rows:
            holder = specialist if specialist.active else manager
            result.add(holder.id or False, num=count)
        return result

    # service feedback forms (first versions) due in the month, handed in on
    # time (signed by 08:30 of the next working day), by engineer
    def _kpi_feedback_on_time_domain(self, period, param):
        return "kf.service.feedback", [
            *self._kf_company(period),
            ("previous_id", "=", False),
            ("date_due", ">=", period.dt_from),
            ("date_due", "<", period.dt_to),
        ]

    def _kpi_feedback_on_time(self, period, param):
        model, domain = self._kpi_feedback_on_time_domain(period, param)
        return self._kf_flag_ratio(model, domain, "is_on_time", True)

    # the clerks' call-backs of the month, made the day of the manager's review
    def _kpi_callback_same_day_domain(self, period, param):
        return "kf.service.callback", [
            *self._kf_company(period),
            ("date", ">=", period.dt_from),
            ("date", "<", period.dt_to),
        ]

    def _kpi_callback_same_day_user_domain(self, period, user):
        return [("clerk_id", "=", user.id)]

    def _kpi_callback_same_day(self, period, param):
        model, domain = self._kpi_callback_same_day_domain(period, param)
        return self._kf_flag_ratio(model, domain, "is_late", False, user_field="clerk_id")

    def _kf_flag_ratio(self, model, domain, flag, good, user_field="user_id"):
        """Share of the records whose boolean ``flag`` equals ``good``, per
        user, in one grouped query."""
        result = KpiResult("ratio")
        rows = (
            self.env[model].sudo().with_context(active_test=False)._read_group(domain, [user_field, flag], ["__count"])
        )
        for user, value, count in rows:
            result.add(user.id or False, num=count if bool(value) == good else 0, den=count)
        return result
