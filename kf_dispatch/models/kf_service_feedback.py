from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .kf_dispatch_order_quote import FEEDBACK_SERVICE_TYPES

# the stamp (kf.run.stamp) of the day's list of missing and late forms
FEEDBACK_LIST_JOB = "kf.feedback.list"

MANAGER_GROUP = "kf_customer_service.group_kf_manager"
SERVICE_TYPES = [
    ("commissioning", "Commissioning"),
    ("repair", "Repair"),
    ("maintenance", "Maintenance"),
    ("return_visit", "Return visit"),
    ("inspection", "Inspection / acceptance"),
    ("training", "Training"),
]
# the form of a job is handed in by this local time of the next working day
FEEDBACK_DUE_TIME = time(8, 30)
# what the engineer fills in (and the customer signs)
CONTENT_FIELDS = ("service_type", "date_arrival", "date_leave", "work_done", "result")


class KfServiceFeedback(models.Model):
    """Customer service feedback form (客户服务信息反馈单) of an on-site job,
    signed by the customer. A signed form is locked; a correction is a new
    version that needs a new signature, the previous one kept and linked."""

    _name = "kf.service.feedback"
    _description = "Service Feedback Form"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_due desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    order_id = fields.Many2one(
        "kf.dispatch.order", string="Work Order", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="order_id.partner_id", string="Customer", store=True, index=True)
    user_id = fields.Many2one(
        "res.users", string="Engineer", readonly=True, index=True, default=lambda self: self.env.user
    )
    service_type = fields.Selection(SERVICE_TYPES, required=True, default="repair", tracking=True)
    date_arrival = fields.Datetime(string="Arrival", tracking=True)
    date_leave = fields.Datetime(string="Departure", tracking=True)
    work_done = fields.Text()
    result = fields.Text()
    customer_signature = fields.Image(copy=False, attachment=True, max_width=1024, max_height=1024, readonly=True)
    signed_by = fields.Char(readonly=True, copy=False, tracking=True)
    signed_on = fields.Datetime(readonly=True, copy=False, tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("signed", "Signed"), ("reviewed", "Reviewed")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    version = fields.Integer(default=1, readonly=True, copy=False)
    previous_id = fields.Many2one("kf.service.feedback", string="Previous Version", readonly=True, copy=False)
    next_version_id = fields.Many2one(
        "kf.service.feedback", string="Corrected By", readonly=True, copy=False, index="btree_not_null"
    )
    date_due = fields.Datetime(
        string="Due",
        compute="_compute_date_due",
        store=True,
        help="08:30 (company calendar's time) of the next working day after the job.",
    )
    is_on_time = fields.Boolean(string="Handed In On Time", compute="_compute_is_on_time", store=True)
    late_listed = fields.Boolean(readonly=True, copy=False)
    reviewed_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    reviewed_on = fields.Datetime(readonly=True, copy=False, tracking=True)
    callback_ids = fields.One2many("kf.service.callback", "feedback_id", string="Call-backs")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("order_version_uniq", "UNIQUE(order_id, version)", "A work order has one feedback form per version."),
    ]

    @api.depends("order_id.name", "version")
    def _compute_name(self):
        for form in self:
            form.name = f"{form.order_id.name or ''} v{form.version}"

    @api.depends("date_leave", "order_id.date_done", "company_id")
    def _compute_date_due(self):
        """08:30 local on the first working day after the job's local day,
        one working-dates read per company for the whole batch."""
        by_company = defaultdict(list)
        for form in self:
            job = form.date_leave or form.order_id.date_done
            form.date_due = False
            if job:
                by_company[form.company_id].append((form, job))
        for company, items in by_company.items():
            tz = pytz.timezone(company.resource_calendar_id.tz or "Asia/Shanghai")
            days = {form: pytz.utc.localize(job).astimezone(tz).date() for form, job in items}
            first, last = min(days.values()), max(days.values())
            working = sorted(company.kf_working_dates(first + timedelta(days=1), last + timedelta(days=45)))
            for form, day in days.items():
                due_day = next((d for d in working if d > day), day + timedelta(days=1))
                local = tz.localize(datetime.combine(due_day, FEEDBACK_DUE_TIME))
                form.date_due = local.astimezone(pytz.utc).replace(tzinfo=None)

    @api.depends("signed_on", "date_due")
    def _compute_is_on_time(self):
        for form in self:
            form.is_on_time = bool(form.signed_on and form.date_due and form.signed_on <= form.date_due)

    @api.constrains("date_arrival", "date_leave")
    def _check_dates(self):
        for form in self:
            if form.date_arrival and form.date_leave and form.date_leave < form.date_arrival:
                raise ValidationError(
                    self.env._("Feedback form %(name)s: the departure is before the arrival.", name=form.name)
                )

    # ------------------------------------------------------------------
    # CRUD guards
    # ------------------------------------------------------------------
    def _is_manager(self):
        return self.env.user.has_group(MANAGER_GROUP)

    def _check_assigned(self, orders):
        """Only the engineer the order is assigned to (or a manager) fills
        its form."""
        if self.env.su or self._is_manager():
            return
        foreign = orders.filtered(lambda o: o.user_id != self.env.user)
        if foreign:
            raise AccessError(
                self.env._(
                    "Work orders %(names)s are not assigned to you: you cannot fill their feedback form.",
                    names=", ".join(foreign.mapped("name")),
                )
            )

    @api.model
    def _kf_default_service_type(self, order):
        """The service type of an order's form, from the order's type."""
        return FEEDBACK_SERVICE_TYPES.get(order.kf_order_type, "maintenance")

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            allowed = {"order_id", *CONTENT_FIELDS}
            for vals in vals_list:
                refused = set(vals) - allowed
                if refused:
                    self._raise_refused(refused)
            orders = self.env["kf.dispatch.order"].browse([vals.get("order_id") for vals in vals_list])
            self._check_assigned(orders)
        for vals in vals_list:
            order = self.env["kf.dispatch.order"].browse(vals.get("order_id")).sudo()
            if order.user_id and "user_id" not in vals:
                vals["user_id"] = order.user_id.id
            if not vals.get("service_type"):
                vals["service_type"] = self._kf_default_service_type(order)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            signed = self.filtered(lambda f: f.state != "draft")
            if signed:
                raise UserError(
                    self.env._(
                        "Feedback forms %(names)s are signed by the customer and locked: make a new version "
                        "to correct them.",
                        names=", ".join(signed.mapped("name")),
                    )
                )
            refused = set(vals) - {*CONTENT_FIELDS, "active", "message_main_attachment_id"}
            if refused:
                self._raise_refused(refused)
            self._check_assigned(self.order_id)
        return super().write(vals)

    def _raise_refused(self, fnames):
        labels = ", ".join(sorted(self._fields[f].get_description(self.env)["string"] for f in fnames))
        raise AccessError(
            self.env._(
                "These feedback form fields are set by the system and cannot be changed: %(fields)s", fields=labels
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed(self):
        if self.filtered(lambda f: f.state != "draft" or f.previous_id):
            raise UserError(self.env._("Signed feedback forms and their versions are kept: archive them instead."))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def kf_sign(self, signed_by, signature):
        """The customer signs the filled-in form on the engineer's phone."""
        self.ensure_one()
        self._check_assigned(self.order_id)
        if self.state != "draft" or self.next_version_id:
            raise UserError(self.env._("Feedback form %(name)s is already signed.", name=self.name))
        missing = [
            self._fields[f].get_description(self.env)["string"]
            for f in CONTENT_FIELDS
            if not (isinstance(self[f], str) and self[f].strip()) and not (self[f] and not isinstance(self[f], str))
        ]
        if missing:
            raise UserError(
                self.env._(
                    "Fill in the feedback form before the customer signs it (missing: %(fields)s).",
                    fields=", ".join(missing),
                )
            )
        signed_by = (signed_by or "").strip()
        if not signed_by or not signature:
            raise UserError(self.env._("The customer's name and signature are required."))
        self.sudo().write(
            {
                "state": "signed",
                "customer_signature": signature,
                "signed_by": signed_by,
                "signed_on": fields.Datetime.now(),
            }
        )
        self.message_post(body=self.env._("Signed by the customer %(who)s.", who=signed_by))
        return True

    def action_review(self):
        """The manager's review; the clerk then calls the customer back the
        same day."""
        if not self._is_manager():
            raise AccessError(self.env._("Only a customer-service manager reviews feedback forms."))
        wrong = self.filtered(lambda f: f.state != "signed")
        if wrong:
            raise UserError(
                self.env._("Only signed forms can be reviewed: %(names)s", names=", ".join(wrong.mapped("name")))
            )
        now = fields.Datetime.now()
        self.sudo().write({"state": "reviewed", "reviewed_by_id": self.env.user.id, "reviewed_on": now})
        values = {}
        for form in self:
            clerk = form.order_id.sudo()._get_callback_user()
            values[form.id] = (
                clerk,
                fields.Date.context_today(form.with_user(clerk)),
                clerk.kf_lang_env()._(
                    "Call %(customer)s back today about work order %(name)s",
                    customer=form.partner_id.display_name,
                    name=form.order_id.name,
                ),
                False,
            )
        self.env["mail.activity"].kf_create_activities(
            self, "kf_dispatch.mail_activity_type_kf_feedback_callback", values, notify=True
        )
        return True

    def action_new_version(self):
        """Correct a signed form: a new draft version, to be signed again;
        the signed one stays, linked to it."""
        self.ensure_one()
        self._check_assigned(self.order_id)
        if self.state == "draft" or self.next_version_id:
            raise UserError(
                self.env._(
                    "Only the latest signed version of a feedback form can be corrected: %(name)s", name=self.name
                )
            )
        new = self.sudo().copy(
            {"version": self.version + 1, "previous_id": self.id, "user_id": self.user_id.id, "late_listed": True}
        )
        self.sudo().write({"next_version_id": new.id})
        self.message_post(body=self.env._("Corrected by version %(version)s.", version=new.version))
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": new.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Morning list of missing and late forms
    # ------------------------------------------------------------------
    @api.model
    def _feedback_missing_domain(self, now):
        """First versions still not signed after their due time."""
        return [("previous_id", "=", False), ("state", "=", "draft"), ("date_due", "<", now)]

    @api.model
    def _feedback_late_domain(self):
        """First versions signed after their due time, not listed yet."""
        return [
            ("previous_id", "=", False),
            ("state", "!=", "draft"),
            ("is_on_time", "=", False),
            ("late_listed", "=", False),
        ]

    @api.model
    def _cron_feedback_overdue_scan(self, limit=2000):
        """Each morning, one activity per company manager listing the forms
        missing or handed in late; once per day (a second run, even at the
        same time, finds the day's activity and leaves)."""
        now = fields.Datetime.now()
        Form = self.sudo().with_context(active_test=False)
        missing = Form.search(self._feedback_missing_domain(now), order="date_due", limit=limit)
        late = Form.search(self._feedback_late_domain(), order="date_due", limit=limit)
        by_company = defaultdict(lambda: self.browse())
        for form in missing | late:
            by_company[form.company_id] |= form
        listed = self.browse()
        for company, forms in by_company.items():
            listed |= self._kf_list_for_manager(company, forms, late)
        (late & listed).write({"late_listed": True})
        return len(listed)

    @api.model
    def _kf_list_for_manager(self, company, forms, late):
        """One activity for the company's manager listing ``forms``, at most
        once a day: a run that finds the day's list made (by a concurrent
        run too) leaves."""
        manager = company.kf_get_manager()
        if not manager:
            return self.browse()
        env = manager.kf_lang_env()
        today = fields.Date.context_today(self.with_user(manager))
        if not self.env["kf.run.stamp"].sudo().kf_claim(FEEDBACK_LIST_JOB, company, today):
            return self.browse()
        rows = Markup("").join(
            Markup("<li>%s</li>")
            % env._(
                "%(form)s (%(customer)s, %(engineer)s): due %(due)s, %(status)s",
                form=form.name,
                customer=form.partner_id.display_name,
                engineer=form.user_id.name or "-",
                due=manager.kf_format_datetime(form.date_due),
                status=env._("handed in late") if form in late else env._("missing"),
            )
            for form in forms
        )
        summary = env._("Feedback forms missing or late: %(count)s", count=len(forms))
        self.env["mail.activity"].kf_create_activities(
            forms[:1],
            "kf_dispatch.mail_activity_type_kf_feedback_overdue",
            {forms[0].id: (manager, today, summary, Markup("<ul>%s</ul>") % rows)},
        )
        return forms
