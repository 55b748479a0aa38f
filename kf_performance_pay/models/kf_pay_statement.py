import logging
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_round
from odoo.tools.misc import format_date

from odoo.addons.kf_customer_service.models.kf_concurrency import advisory_xact_lock, hits_concurrent_rows

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "kf_customer_service.group_kf_manager"
DIRECTOR_GROUP = "kf_customer_service.group_kf_director"
# pay falling due this many months before the statement month and not on any
# statement yet (its month was reviewed before it was known) is paid now
LOOKBACK_MONTHS = 12


class KfPayPeriod:
    """The statement month being computed, its company and pay rules.

    ``date_from``/``date_to``: the month; ``window_from``: the first day pay
    still unpaid is taken from; ``dt_from``/``dt_to``/``dt_window_from``: the
    same bounds as UTC datetimes (midnight in the company calendar's time
    zone), for datetime fields; ``rules``: ``kf.pay.rule.kf_rule_set``;
    ``memo``: a dict the sources may keep lookups in for the computation
    (e.g. dates formatted per language)."""

    def __init__(self, env, date_from, company):
        self.env = env
        self.company = company
        self.date_from = date_from
        self.date_to = date_from + relativedelta(day=31)
        self.window_from = date_from - relativedelta(months=LOOKBACK_MONTHS)
        self.tz = pytz.timezone(company.resource_calendar_id.tz or "Asia/Shanghai")
        self.dt_from = self.utc(date_from)
        self.dt_to = self.utc(self.date_to + timedelta(days=1))
        self.dt_window_from = self.utc(self.window_from)
        self.rules = env["kf.pay.rule"].kf_rule_set(company)
        self.memo = {}

    def utc(self, day):
        """Midnight starting ``day`` in the company's time zone, as UTC naive."""
        return self.tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

    def format_date(self, env, day):
        """``odoo.tools.misc.format_date`` in ``env``'s language, memoised."""
        key = ("format_date", env.lang, day)
        if key not in self.memo:
            self.memo[key] = format_date(env, day)
        return self.memo[key]

    def local_date(self, dt):
        """The company-local day of a UTC naive datetime."""
        return pytz.utc.localize(dt).astimezone(self.tz).date() if dt else None


class KfPayStatement(models.Model):
    _name = "kf.pay.statement"
    _description = "Performance pay statement"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, user_id"

    # written by the server only (compute_month and the workflow)
    SYSTEM_FIELDS = {
        "name",
        "user_id",
        "company_id",
        "date_from",
        "date_to",
        "state",
        "line_ids",
        "date_computed",
        "reviewed_by_id",
        "reviewed_on",
        "approved_by_id",
        "approved_on",
    }

    name = fields.Char(compute="_compute_name", store=True)
    user_id = fields.Many2one("res.users", "Employee", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date("Month", required=True, index=True, readonly=True)
    month = fields.Char("Pay Month", compute="_compute_name", store=True, help="The statement's month, YYYY-MM.")
    date_to = fields.Date(required=True, readonly=True)
    state = fields.Selection(
        [("draft", "Draft"), ("reviewed", "Reviewed"), ("approved", "Approved")],
        default="draft",
        required=True,
        tracking=True,
        readonly=True,
    )
    line_ids = fields.One2many("kf.pay.statement.line", "statement_id", "Lines", readonly=True)
    amount_earned = fields.Monetary("Earned", compute="_compute_amounts", store=True)
    amount_deducted = fields.Monetary("Deducted", compute="_compute_amounts", store=True)
    amount_total = fields.Monetary("Performance Pay", compute="_compute_amounts", store=True, tracking=True)
    line_count = fields.Integer(compute="_compute_amounts", store=True)
    date_computed = fields.Datetime("Computed On", readonly=True)
    reviewed_by_id = fields.Many2one("res.users", readonly=True, tracking=True)
    reviewed_on = fields.Datetime(readonly=True)
    approved_by_id = fields.Many2one("res.users", readonly=True, tracking=True)
    approved_on = fields.Datetime(readonly=True)
    note = fields.Text()

    _sql_constraints = [
        (
            "kf_pay_statement_unique",
            "UNIQUE(company_id, date_from, user_id)",
            "An employee has one pay statement per month and company.",
        ),
    ]

    @api.depends("user_id", "date_from")
    def _compute_name(self):
        for statement in self:
            month = statement.date_from.strftime("%Y-%m") if statement.date_from else ""
            statement.month = month
            statement.name = f"{statement.user_id.name or ''} {month}".strip()

    @api.depends("line_ids.amount")
    def _compute_amounts(self):
        for statement in self:
            amounts = statement.line_ids.mapped("amount")
            statement.amount_earned = sum(a for a in amounts if a > 0)
            statement.amount_deducted = -sum(a for a in amounts if a < 0)
            statement.amount_total = sum(amounts)
            statement.line_count = len(amounts)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Pay statements are created by computing the month."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            if set(vals) & self.SYSTEM_FIELDS:
                raise UserError(self.env._("Pay statements are written by the computation and the approval only."))
            if self.filtered(lambda s: s.state != "draft"):
                raise UserError(self.env._("A reviewed or approved pay statement cannot be changed."))
            if not self.env.user.has_group(MANAGER_GROUP):
                raise AccessError(self.env._("Only a customer-service manager can annotate a pay statement."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_reviewed(self):
        if self.filtered(lambda s: s.state != "draft"):
            raise UserError(self.env._("A reviewed or approved pay statement is never deleted."))

    # ------------------------------------------------------------------ workflow
    def action_review(self):
        """The manager checks the draft: it is frozen for the director."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager reviews pay statements."))
        for statement in self:
            if statement.state != "draft":
                raise UserError(self.env._("Only a draft pay statement can be reviewed."))
            if statement.user_id == self.env.user:
                raise AccessError(self.env._("Nobody reviews their own pay statement."))
        self.sudo().write({"state": "reviewed", "reviewed_by_id": self.env.uid, "reviewed_on": fields.Datetime.now()})

    def action_reset_draft(self):
        """Back to draft before the director's approval (to recompute it)."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager can reset a pay statement."))
        if self.filtered(lambda s: s.state != "reviewed"):
            raise UserError(self.env._("Only a reviewed pay statement goes back to draft; an approved one is locked."))
        self.sudo().write({"state": "draft", "reviewed_by_id": False, "reviewed_on": False})

    def action_approve(self):
        """The director approves: the statement is locked for good."""
        if not self.env.user.has_group(DIRECTOR_GROUP):
            raise AccessError(self.env._("Only the customer-service director approves pay statements."))
        for statement in self:
            if statement.state != "reviewed":
                raise UserError(self.env._("A pay statement is approved after the manager's review."))
            if statement.user_id == self.env.user:
                raise AccessError(self.env._("Nobody approves their own pay statement."))
        self.sudo().write({"state": "approved", "approved_by_id": self.env.uid, "approved_on": fields.Datetime.now()})

    def action_recompute(self):
        companies_months = {(s.company_id, s.date_from) for s in self}
        for company, month in companies_months:
            self.compute_month(month, company)

    # ------------------------------------------------------------------ computation
    @api.model
    def _kf_pay_sources(self):
        """Names of the methods ``method(period) -> [item, …]`` that produce
        the pay items. Each addon part extends the list (super() + [name]).

        An item is a dict: ``user_id`` (beneficiary), ``category`` (a key of
        ``kf.pay.statement.line.category``), ``name``, ``amount`` (signed),
        ``quantity``, ``rate``, ``rule_id`` (the kf.pay.rule applied),
        ``res_model`` and ``res_ids`` (the records it comes from: the
        drill-down), ``source_key`` (unique: what is paid once, whichever
        month pays it), ``date_due`` (the day it falls due), ``transferable``
        (True: when the beneficiary left before it fell due, it goes to their
        pay successor instead of being forfeited). Items due after the period
        or before its window are ignored; those already on another statement
        are left out."""
        return []

    @api.model
    def _kf_pay_post_items(self, period, items):
        """Hook after the items of the month are known (already paid and
        forfeited ones removed): returns the items to save, e.g. with the
        shares computed from them."""
        return items

    @api.model
    def _kf_pay_users(self, company):
        """Users who get a statement every month, even an empty one: the
        department (clerks, specialists, managers; not directors)."""
        return self.env["kf.kpi.sheet"]._appraised_users(company)

    @api.model
    def compute_month(self, date_from=None, company=None):
        """Compute (or recompute) the pay statements of a month: one per
        department employee and per other beneficiary. Reviewed and approved
        statements are left untouched; draft statements get their lines
        replaced. Every source is a few grouped queries over the month,
        whatever the number of employees."""
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager can compute pay statements."))
        company = company or self.env.company
        date_from = (date_from or fields.Date.context_today(self)) + relativedelta(day=1)
        Statement = self.sudo()
        # one computation at a time per company, whatever the month: a month
        # pays what earlier months left unpaid, so two months computed at
        # once could both take it
        advisory_xact_lock(self.env.cr, (self._name, company.id))
        if self._kf_computed_meanwhile(company, retry=not self.env.context.get("kf_pay_cron")):
            _logger.info("Pay statements of company %s computed by a concurrent run", company.id)
            return Statement.browse()
        period = KfPayPeriod(self.env, date_from, company)
        items = self._kf_collect_items(period)
        existing = Statement.search([("company_id", "=", company.id), ("date_from", "=", date_from)])
        by_user = {s.user_id.id: s for s in existing}
        user_ids = set(self._kf_pay_users(company).ids) | {item["user_id"] for item in items}
        to_create = [
            {"user_id": uid, "company_id": company.id, "date_from": date_from, "date_to": period.date_to}
            for uid in sorted(user_ids)
            if uid not in by_user
        ]
        if to_create:
            for statement in Statement.create(to_create):
                by_user[statement.user_id.id] = statement
        drafts = {uid: s for uid, s in by_user.items() if s.state == "draft"}
        if drafts:
            self._kf_save_lines(period, drafts, items)
        return Statement.browse([s.id for s in by_user.values()])

    @api.model
    def _kf_collect_items(self, period):
        """The pay items due in the period (and its window) not paid yet by
        another statement, with leavers' items transferred or forfeited."""
        items = []
        for source in self._kf_pay_sources():
            items += getattr(self, source)(period)
        start = max(period.window_from, period.company.sudo().kf_pay_date_start or period.window_from)
        items = [i for i in items if start <= i["date_due"] <= period.date_to]
        items = self._kf_apply_leavers(period, items)
        paid = self._kf_paid_keys(period, [i["source_key"] for i in items])
        items = [i for i in items if i["source_key"] not in paid]
        return self._kf_pay_post_items(period, items)

    @api.model
    def _kf_paid_keys(self, period, keys):
        """The source keys already on a statement of the company other than
        the draft statements of this month (which are being recomputed)."""
        if not keys:
            return set()
        self.env["kf.pay.statement.line"].flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT l.source_key FROM kf_pay_statement_line l
                     JOIN kf_pay_statement s ON s.id = l.statement_id
                    WHERE s.company_id = %s AND l.source_key = ANY(%s)
                      AND NOT (s.date_from = %s AND s.state = 'draft')""",
                period.company.id,
                list(set(keys)),
                period.date_from,
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _kf_apply_leavers(self, period, items):
        """An employee who left (``kf.pay.leaver``) forfeits what falls due
        after the day they left; a transferable item goes to the leaver's
        successor when one is named."""
        leavers = self.env["kf.pay.leaver"].kf_leavers(period.company, {i["user_id"] for i in items})
        if not leavers:
            return items
        kept = []
        for item in items:
            leaver = leavers.get(item["user_id"])
            if not leaver or item["date_due"] <= leaver[0]:
                kept.append(item)
            elif item.get("transferable") and leaver[1]:
                kept.append(dict(item, user_id=leaver[1], transferred_from=item["user_id"]))
        return kept

    @api.model
    def _kf_save_lines(self, period, drafts, items):
        """Replace the lines of the draft statements (user id → statement)
        and their totals in a few statements whatever the number of
        employees or lines (``kf.pay.statement.line._kf_replace``)."""
        currency = period.company.currency_id
        Line = self.env["kf.pay.statement.line"].sudo()
        vals_list = []
        for item in items:
            statement = drafts.get(item["user_id"])
            if not statement:
                continue  # reviewed/approved this month: paid by the next draft statement
            vals_list.append(Line._kf_vals_from_item(statement, item, currency))
        Line._kf_replace(self.sudo().browse([s.id for s in drafts.values()]), vals_list)

    def _kf_computed_meanwhile(self, company, retry=False):
        """True when another computation for ``company`` committed after this
        transaction began (its statements and lines are invisible here, and
        this run would pay twice what it paid). Each run stamps the
        company's ``kf.pay.run`` row, so the later run meets the earlier
        one's stamp. With ``retry`` (a manager's button) the serialization
        failure is raised instead: Odoo replays the request in a new
        transaction, which sees it all."""
        cr = self.env.cr
        create = SQL(
            """INSERT INTO kf_pay_run (company_id, date_computed) VALUES (%s, now() at time zone 'UTC')
               ON CONFLICT (company_id) DO NOTHING""",
            company.id,
        )
        lock = SQL("SELECT id FROM kf_pay_run WHERE company_id = %s FOR UPDATE", company.id)
        for probe in (create, lock):
            if retry:
                cr.execute(probe)
            elif hits_concurrent_rows(cr, probe, keep=True):
                return True
        cr.execute(
            SQL("UPDATE kf_pay_run SET date_computed = now() at time zone 'UTC' WHERE company_id = %s", company.id)
        )
        return False

    @api.model
    def _companies_to_compute_domain(self):
        """Companies whose statements the daily cron computes."""
        return [("kf_manager_id", "!=", False)]

    @api.model
    def _cron_compute_statements(self):
        """Daily: refresh the current month's and last month's draft
        statements. Idempotent: statements are unique per employee and month,
        draft lines are replaced, reviewed and approved ones left alone."""
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].sudo().search(self._companies_to_compute_domain())
        for company in companies:
            for month in (today + relativedelta(months=-1, day=1), today + relativedelta(day=1)):
                self.sudo().with_context(kf_pay_cron=True).compute_month(month, company)

    @staticmethod
    def kf_round(amount, currency):
        return float_round(amount, precision_rounding=currency.rounding)
