import uuid
from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_datetime

from odoo.addons.kf_customer_service.models.kf_concurrency import subscribe_pairs

from .kf_ticket_sla import TICKET_TYPES

DEFAULT_REPLY_DAYS = 1.0
RETURN_VISIT_DAYS = 3.0
MANAGER_GROUP = "kf_customer_service.group_kf_manager"
# ticket types closed by a return visit
VISIT_TICKET_TYPES = ("complaint", "repair")
VISIT_WAIVER_REASONS = [
    ("unreachable", "Customer unreachable"),
    ("duplicate", "Duplicate"),
    ("withdrawn", "Withdrawn by the customer"),
]
# what the appraisal counts is written by the system (SLA scan, mail gateway,
# return visit, the manager's review and waiver methods), never by users
SYSTEM_FIELDS = frozenset(
    {
        "sla_deadline",
        "sla_breached",
        "sla_escalated",
        "first_reply_date",
        "date_resolved",
        "date_closed",
        "visit_id",
        "satisfaction_score",
        "survey_user_input_id",
        "manager_reviewed",
        "manager_reviewed_by_id",
        "manager_reviewed_on",
        "visit_waiver_reason",
        "visit_waiver_note",
        "visit_waived_by_id",
        "visit_waived_on",
    }
)


class KfTicket(models.Model):
    _name = "kf.ticket"
    _description = "Complaint / Repair Ticket"
    _inherit = ["portal.mixin", "mail.thread.cc", "mail.activity.mixin", "kf.document.mixin"]
    _order = "priority desc, id desc"
    _primary_email = "email_from"
    _mail_post_access = "read"
    _rec_names_search = ["name", "subject"]
    _kf_sequence_code = "kf.ticket"

    name = fields.Char(string="Number", index="trigram")
    subject = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    ticket_type = fields.Selection(
        TICKET_TYPES,
        string="Type",
        required=True,
        default="complaint",
        tracking=True,
        index=True,
    )
    channel = fields.Selection(
        [
            ("phone", "Phone"),
            ("wechat", "WeChat"),
            ("email", "E-mail"),
            ("portal", "Portal"),
            ("visit", "Visit"),
        ],
        required=True,
        default="phone",
        tracking=True,
        index=True,
    )
    # a ticket from an unknown e-mail address waits for triage without customer
    partner_id = fields.Many2one(required=False)
    contact_id = fields.Many2one(
        "res.partner",
        string="Contact Person",
        domain="[('id', 'child_of', commercial_partner_id)]",
    )
    email_from = fields.Char(string="E-mail", help="E-mail of the person reporting.")
    needs_triage = fields.Boolean(
        string="To Triage",
        compute="_compute_needs_triage",
        store=True,
        readonly=False,
        copy=False,
        tracking=True,
        index=True,
        groups="base.group_user",
        help="Set by the mail gateway when the sender could not be matched to exactly one customer "
        "(unknown, shared by several customers, or an employee's address); cleared when the customer is set.",
    )
    phone = fields.Char()
    equipment_id = fields.Many2one("kf.equipment", tracking=True, index="btree_not_null", check_company=True)
    kf_to_confirm = fields.Boolean(
        string="To Confirm",
        copy=False,
        tracking=True,
        index=True,
        groups="base.group_user",
        help="Reported anonymously through an equipment's QR code: a clerk confirms it is genuine.",
    )
    description = fields.Html(sanitize_style=True)
    project_id = fields.Many2one("project.project", tracking=True, check_company=True)
    contract_id = fields.Many2one(
        "kf.service.contract",
        tracking=True,
        check_company=True,
        domain="[('partner_id', 'child_of', commercial_partner_id)]",
    )
    order_id = fields.Many2one(
        "kf.dispatch.order",
        string="Related Work Order",
        tracking=True,
        check_company=True,
        help="Work order this ticket is about (e.g. a complaint on a job).",
    )
    order_ids = fields.One2many("kf.dispatch.order", "ticket_id", string="Work Orders")
    order_count = fields.Integer(string="Work Order Count", compute="_compute_order_count")
    problem_ids = fields.One2many("kf.problem", "ticket_id", string="Problems", groups="base.group_user")
    priority = fields.Selection(
        [("0", "Low"), ("1", "Normal"), ("2", "High")],
        default="1",
        tracking=True,
        index=True,
    )
    stage_id = fields.Many2one(
        "kf.ticket.stage",
        tracking=True,
        index=True,
        copy=False,
        ondelete="restrict",
        default=lambda self: self._default_stage_id(),
        group_expand="_read_group_stage_ids",
    )
    is_closed = fields.Boolean(related="stage_id.is_closed", store=True, index=True)
    is_resolved = fields.Boolean(related="stage_id.is_resolved", store=True)
    color = fields.Integer()
    resolution = fields.Text(help="How the ticket was resolved; required to resolve it.")
    date_resolved = fields.Datetime(string="Resolved On", readonly=True, copy=False)
    date_closed = fields.Datetime(string="Closed On", readonly=True, copy=False)
    # SLA
    date_received = fields.Datetime(
        string="Received On",
        required=True,
        default=fields.Datetime.now,
        tracking=True,
        index=True,
        help="When the customer reported it (the call, message or e-mail); the SLA counts from here.",
    )
    sla_deadline = fields.Datetime(
        string="Reply Deadline",
        compute="_compute_sla_deadline",
        store=True,
        copy=False,
        index=True,
        help="First reply due by this time (working days on the company calendar).",
    )
    first_reply_date = fields.Datetime(string="First Reply On", readonly=True, copy=False)
    sla_breached = fields.Boolean(
        string="SLA Breached",
        groups="base.group_user",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    sla_escalated = fields.Boolean(string="SLA Escalated", readonly=True, copy=False, groups="base.group_user")
    # closed loop
    visit_id = fields.Many2one(
        "kf.visit", string="Return Visit", readonly=True, copy=False, index=True, groups="base.group_user"
    )
    visit_state = fields.Selection(related="visit_id.state", string="Return Visit Status", groups="base.group_user")
    satisfaction_score = fields.Integer(
        groups="base.group_user",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="Score of the return visit, 1 (very unsatisfied) to 5 (very satisfied); 0 = not scored.",
    )
    manager_review_required = fields.Boolean(
        compute="_compute_manager_review_required",
        groups="base.group_user",
        help="Major complaints (high priority) must be reviewed by the manager before closing.",
    )
    manager_reviewed = fields.Boolean(readonly=True, copy=False, tracking=True, groups="base.group_user")
    manager_reviewed_by_id = fields.Many2one(
        "res.users", string="Reviewed By", readonly=True, copy=False, groups="base.group_user"
    )
    manager_reviewed_on = fields.Datetime(string="Reviewed On", readonly=True, copy=False, groups="base.group_user")
    manager_review_note = fields.Text(string="Review Note", copy=False, groups="base.group_user")
    visit_waiver_reason = fields.Selection(
        VISIT_WAIVER_REASONS,
        string="Return Visit Waived",
        readonly=True,
        copy=False,
        tracking=True,
        groups="base.group_user",
        help="Why a manager let this complaint or repair close without a return visit.",
    )
    visit_waiver_note = fields.Text(
        string="Waiver Note", readonly=True, copy=False, tracking=True, groups="base.group_user"
    )
    visit_waived_by_id = fields.Many2one(
        "res.users", string="Waived By", readonly=True, copy=False, tracking=True, groups="base.group_user"
    )
    visit_waived_on = fields.Datetime(
        string="Waived On", readonly=True, copy=False, tracking=True, groups="base.group_user"
    )
    survey_user_input_id = fields.Many2one(
        "survey.user_input",
        string="Satisfaction Survey Answer",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    # computed as superuser: the customer sees the link, not the answer record
    survey_url = fields.Char(string="Satisfaction Survey Link", compute="_compute_survey_url", compute_sudo=True)

    # ------------------------------------------------------------------
    # Defaults / computes
    # ------------------------------------------------------------------
    @api.model
    def _default_stage_id(self):
        return self.env["kf.ticket.stage"].search(
            [("is_closed", "=", False), ("is_resolved", "=", False)], order="sequence, id", limit=1
        )

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        return stages.search([("active", "=", True)], order="sequence, id")

    def _compute_order_count(self):
        groups = self.env["kf.dispatch.order"]._read_group([("ticket_id", "in", self.ids)], ["ticket_id"], ["__count"])
        counts = {ticket.id: count for ticket, count in groups}
        for ticket in self:
            ticket.order_count = counts.get(ticket.id, 0)

    @api.depends("ticket_type", "priority")
    def _compute_manager_review_required(self):
        for ticket in self:
            ticket.manager_review_required = ticket._is_major_complaint()

    @api.depends("partner_id")
    def _compute_needs_triage(self):
        """Only the mail gateway raises the flag (``message_new``); setting
        the customer clears it."""
        for ticket in self:
            if ticket.partner_id:
                ticket.needs_triage = False

    @api.depends("survey_user_input_id")
    def _compute_survey_url(self):
        for ticket in self:
            answer = ticket.survey_user_input_id.sudo()
            ticket.survey_url = answer.get_start_url() if answer else False

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for ticket in self:
            ticket.access_url = f"/my/kf-tickets/{ticket.id}"
        return res

    def _is_major_complaint(self):
        self.ensure_one()
        return self.ticket_type == "complaint" and self.priority == "2"

    @api.depends("name", "subject")
    def _compute_display_name(self):
        for ticket in self:
            ticket.display_name = f"{ticket.name} {ticket.subject}" if ticket.subject else ticket.name

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id:
            person = self.partner_id if self.partner_id.parent_id else self.partner_id.child_ids[:1]
            if person and not self.contact_id:
                self.contact_id = person
            if not self.user_id and self.partner_id.commercial_partner_id.kf_specialist_id:
                self.user_id = self.partner_id.commercial_partner_id.kf_specialist_id

    @api.onchange("contact_id")
    def _onchange_contact_id(self):
        if self.contact_id:
            self.email_from = self.contact_id.email or self.email_from
            self.phone = self.contact_id.mobile or self.contact_id.phone or self.phone

    # ------------------------------------------------------------------
    # SLA
    # ------------------------------------------------------------------
    @api.depends("date_received", "ticket_type", "company_id")
    def _compute_sla_deadline(self):
        """Deadlines in batch: one planning per company (its calendar and
        SLA rules) for all its tickets, not one per ticket."""
        slas = self.env["kf.ticket.sla"].sudo().search([("company_id", "in", self.company_id.ids)])
        reply_days = {(sla.ticket_type, sla.company_id.id): sla.reply_days for sla in slas}
        per_company = defaultdict(list)
        for ticket in self:
            if not ticket.date_received or not ticket.company_id:
                ticket.sla_deadline = False
                continue
            days = reply_days.get((ticket.ticket_type, ticket.company_id.id), DEFAULT_REPLY_DAYS)
            per_company[ticket.company_id].append((ticket, days))
        for company, items in per_company.items():
            deadlines = company.kf_add_working_days_batch([(days, ticket.date_received) for ticket, days in items])
            for (ticket, _days), deadline in zip(items, deadlines, strict=True):
                ticket.sla_deadline = deadline

    def kf_sla_deadline_display(self, partner=None):
        """The reply deadline as its reader sees it: in the time zone and
        language of ``partner`` (default: the current user's partner), else
        the company calendar's time zone. The acknowledgement e-mail (for
        its recipient) and the portal (for the portal user) both show this,
        so they promise the same instant as the form."""
        self.ensure_one()
        if not self.sla_deadline:
            return ""
        partner = partner if partner is not None else self.env.user.partner_id
        tz = partner.tz or self.company_id.resource_calendar_id.tz or self.env.context.get("tz") or "UTC"
        env = self.with_context(lang=partner.lang or self.env.lang).env
        return f"{format_datetime(env, self.sla_deadline, tz=tz, dt_format='short')} ({tz})"

    @api.model
    def _sla_to_recompute_domain(self, companies):
        """Tickets whose reply deadline follows the calendar and SLA rules of
        ``companies``: still waiting for their first reply, open and not
        breached yet (a breach already counted keeps its deadline)."""
        return [
            ("company_id", "in", companies.ids),
            ("is_closed", "=", False),
            ("first_reply_date", "=", False),
            ("sla_breached", "=", False),
        ]

    @api.model
    def _recompute_sla_deadlines(self, companies):
        """Recompute, in batch, the reply deadlines of the open tickets of
        ``companies`` after their calendar, public holidays, make-up working
        days or SLA rules changed."""
        if not companies:
            return self.browse()
        tickets = self.sudo().search(self._sla_to_recompute_domain(companies))
        if tickets:
            self.env.add_to_compute(self._fields["sla_deadline"], tickets)
            tickets._recompute_recordset(["sla_deadline"])
        return tickets

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self._check_system_fields({key for vals in vals_list for key, value in vals.items() if value})
        # the customers' specialists read at once for the batch
        partner_ids = [vals["partner_id"] for vals in vals_list if vals.get("partner_id") and not vals.get("user_id")]
        for vals in vals_list:
            if vals.get("partner_id") and not vals.get("user_id"):
                partner = self.env["res.partner"].browse(vals["partner_id"]).with_prefetch(partner_ids)
                specialist = partner.commercial_partner_id.kf_specialist_id
                if specialist:
                    vals["user_id"] = specialist.id
        if (
            "default_stage_id" not in self.env.context
            and "stage_id" not in self.env["ir.default"]._get_model_defaults(self._name)
            and any("stage_id" not in vals for vals in vals_list)
        ):
            # the default stage searched once for the batch, not per ticket
            stage = self._default_stage_id()
            for vals in vals_list:
                vals.setdefault("stage_id", stage.id)
        # the handlers are subscribed and told for the whole batch at once
        tickets = super(KfTicket, self.with_context(kf_handlers_subscribed=True)).create(vals_list)
        tickets = tickets.with_env(self.env)
        tickets._kf_subscribe_handlers()
        tickets._send_received_mail()
        return tickets

    def write(self, vals):
        if not self.env.su:
            self._check_user_write(vals)
        new_user = vals.get("user_id")
        stage = self.env["kf.ticket.stage"].browse(vals["stage_id"]) if "stage_id" in vals else None
        moving = self.filtered(lambda t: t.stage_id != stage) if stage is not None else self.browse()
        if moving:
            # whatever the path (button, kanban, RPC, import, any context), a
            # stage change obeys the same rules, checked once the other values
            # are written (the same write may fill the resolution)
            other_vals = {key: value for key, value in vals.items() if key != "stage_id"}
            if other_vals:
                super().write(other_vals)
            moving._check_stage_rules(stage)
            vals = {"stage_id": vals["stage_id"]}
        res = super().write(vals)
        if stage is not None:
            moving._on_stage_changed(stage)
            now = fields.Datetime.now()
            if stage.is_closed:
                self.filtered(lambda t: not t.date_closed).sudo().write({"date_closed": now})
            else:
                self.filtered("date_closed").sudo().write({"date_closed": False})
        if new_user:
            # one handler for all of them: one subscription
            self.message_subscribe(partner_ids=self.env["res.users"].browse(new_user).partner_id.ids)
        return res

    def _message_auto_subscribe_followers(self, updated_values, default_subtype_ids):
        """At creation the handler is left to ``_kf_subscribe_handlers``,
        which does it for all the created tickets at once."""
        res = super()._message_auto_subscribe_followers(updated_values, default_subtype_ids)
        if self.env.context.get("kf_handlers_subscribed") and updated_values.get("user_id"):
            handler = self.env["res.users"].sudo().browse(updated_values["user_id"]).partner_id.id
            res = [entry for entry in res if entry[0] != handler]
        return res

    def _kf_subscribe_handlers(self):
        """The handlers follow their new tickets (all the pairs in a few
        queries) and get Odoo's assignment notice, as when a ticket is created
        alone: none for a ticket one assigns to oneself, none for an archived
        handler, none without tracking."""
        tickets = self.sudo()
        subscribe_pairs(
            self.env,
            self._name,
            [(ticket.id, ticket.user_id.partner_id.id) for ticket in tickets if ticket.user_id.partner_id.active],
        )
        if self.env.context.get("tracking_disable"):
            # no auto-subscription, hence no notice, in Odoo's create either
            return
        by_handler = defaultdict(list)
        for ticket in tickets:
            if ticket.user_id.active and ticket.user_id != self.env.user:
                by_handler[ticket.user_id].append(ticket.id)
        for handler, ticket_ids in by_handler.items():
            self.browse(ticket_ids).with_context(lang=handler.partner_id.lang)._message_auto_subscribe_notify(
                handler.partner_id.ids, "mail.message_user_assigned"
            )

    def _check_system_fields(self, fnames):
        system = SYSTEM_FIELDS.intersection(fnames)
        if system:
            labels = ", ".join(sorted(self._fields[fname].get_description(self.env)["string"] for fname in system))
            raise AccessError(
                self.env._("These ticket fields are set by the system and cannot be changed: %(fields)s", fields=labels)
            )

    def _check_user_write(self, vals):
        """Rules of a user's write (the system writes as superuser): system
        fields are refused; the review note is the reviewing manager's; what
        the appraisal counts on a breached, closed or major ticket (its
        handler, type, priority, archiving, the date the SLA counts from) is
        changed by a manager only."""
        self._check_system_fields(vals)
        if "needs_triage" in vals and not vals["needs_triage"] and not vals.get("partner_id"):
            if any(not ticket.partner_id for ticket in self):
                raise UserError(self.env._("A ticket leaves triage when its customer is set."))
        user = self.env.user
        is_manager = user.has_group(MANAGER_GROUP)
        if "manager_review_note" in vals and (
            not is_manager or any(t.manager_reviewed or t.user_id == user for t in self)
        ):
            raise AccessError(
                self.env._(
                    "Only a customer-service manager who does not handle the ticket writes the review note, "
                    "before the review."
                )
            )
        if is_manager:
            return
        locked = set()
        for ticket in self:
            counted = ticket.is_closed or ticket.sudo().sla_breached
            reassigned = "user_id" in vals and ticket.user_id and vals["user_id"] != ticket.user_id.id
            if counted and (reassigned or {"active", "ticket_type", "priority"}.intersection(vals)):
                locked.add(ticket)
            if ticket._is_major_complaint() and (
                vals.get("priority", "2") != "2" or vals.get("ticket_type", "complaint") != "complaint"
            ):
                locked.add(ticket)
            if "date_received" in vals:
                received = fields.Datetime.to_datetime(vals["date_received"])
                # a later reception date would push the reply deadline back
                if received != ticket.date_received and (counted or not received or received > ticket.date_received):
                    locked.add(ticket)
        if locked:
            raise AccessError(
                self.env._(
                    "Only a customer-service manager can change the handler, type, priority, archiving or "
                    "reception date of breached, closed or major tickets: %(names)s",
                    names=", ".join(t.name for t in locked),
                )
            )

    def _check_stage_rules(self, stage):
        """The rules of entering ``stage``, checked before the tickets move."""
        if stage.is_resolved:
            self._check_can_resolve()
            self._check_not_closed()
        if stage.is_closed:
            self._check_can_close(stage)

    def _on_stage_changed(self, stage):
        """What entering ``stage`` does, on every path: a resolved ticket gets
        its resolution date and a return visit (unless one is planned or
        done), a closed one (not a cancelled one) its satisfaction survey.
        The stage's mail goes out through tracking (``_track_template``)."""
        if stage.is_resolved:
            self.sudo().write({"date_resolved": fields.Datetime.now()})
            for ticket in self.filtered(lambda t: not t.visit_id or t.visit_id.state == "cancelled"):
                ticket._create_return_visit()
        cancelled = self.env.ref("kf_dispatch.kf_ticket_stage_cancelled", raise_if_not_found=False)
        if stage.is_closed and stage != cancelled:
            for ticket in self:
                ticket._create_satisfaction_answer()

    def _track_template(self, changes):
        """The mail of the stage a ticket moves to (e.g. "resolved") goes to
        the customer, once per stage change, whatever the path. A ticket
        created in a stage gets none (see ``_track_post_template_finalize``)."""
        res = super()._track_template(changes)
        ticket = self[0]
        template = ticket.stage_id.template_id
        if "stage_id" in changes and template and ticket._kf_has_customer_email():
            # the mail links to the ticket's portal page
            ticket._portal_ensure_token()
            res["stage_id"] = (template, {"message_type": "notification", "subtype_xmlid": "mail.mt_comment"})
        return res

    def _track_post_template_finalize(self):
        """Tracking templates of a creation: none for a ticket, its stage mails
        tell the customer that the ticket moved (a ticket imported or created
        in a later stage gets only the acknowledgement)."""
        return True

    def _kf_has_customer_email(self):
        self.ensure_one()
        return bool(self.email_from or self.contact_id.email or self.partner_id.email)

    def _send_received_mail(self):
        """Post the acknowledgement on the tickets that have an e-mail. A batch
        is rendered in one pass per author (one composer for all its tickets,
        where ``message_post_with_source`` makes one per ticket) and its
        e-mails go through the queue; the author is the one a single ticket's
        message gets: the partner of the rendered sender address, else the
        current user."""
        template = self.env.ref("kf_dispatch.mail_template_kf_ticket_received", raise_if_not_found=False)
        if not template:
            return
        tickets = self.filtered(lambda t: t.email_from or t.contact_id.email or t.partner_id.email)
        for ticket in tickets.filtered(lambda t: not t.access_token):
            # the mail links to the ticket's portal page
            ticket.sudo().write({"access_token": str(uuid.uuid4())})
        tickets = tickets.with_context(kf_no_first_reply=True)
        if len(tickets) <= 1:
            if tickets:
                tickets.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
            return
        comment = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        for author, ticket_ids in tickets._kf_received_mail_authors(template).items():
            composer = (
                self.env["mail.compose.message"]
                .with_context(
                    default_composition_mode="comment",
                    default_model=self._name,
                    default_res_ids=ticket_ids,
                    default_template_id=template.id,
                )
                # the author set, the sender is given too (they are computed
                # together): the template's, rendered for each ticket
                .create(
                    {
                        "message_type": "notification",
                        "subtype_id": comment,
                        "author_id": author,
                        "email_from": template.email_from,
                    }
                )
            )
            # rendered as the template renders for one ticket (our own
            # template, trusted), posted by the current user
            for ticket_id, post_values in composer.sudo()._prepare_mail_values(ticket_ids).items():
                tickets.browse(ticket_id).message_post(**post_values)

    def _kf_received_mail_authors(self, template):
        """``{author partner id: ticket ids}``: the author of each ticket's
        acknowledgement, the partner of the sender address the template
        renders for it (else the current user), as the composer of one
        ticket sets it."""
        senders = template._render_field("email_from", self.ids)
        Thread = self.env["mail.thread"].with_context(active_test=False)
        author_of = {}
        result = defaultdict(list)
        for ticket_id in self.ids:
            sender = senders[ticket_id]
            if sender not in author_of:
                author_id = Thread._message_compute_author(None, sender, raise_on_email=False)[0] if sender else False
                author_of[sender] = author_id or self.env.user.partner_id.id
            result[author_of[sender]].append(ticket_id)
        return result

    # ------------------------------------------------------------------
    # Mail gateway
    # ------------------------------------------------------------------
    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A ticket per e-mail to the alias. The customer is matched on the
        sender's real address only; when it names no customer, several
        customers or an employee, the ticket has no customer and waits for
        triage."""
        values = dict(custom_values or {})
        email_from = msg_dict.get("email_from") or ""
        values.setdefault("name", self.env._("New"))
        values.setdefault("subject", msg_dict.get("subject") or self.env._("No Subject"))
        values.setdefault("description", msg_dict.get("body"))
        values.setdefault("channel", "email")
        values.setdefault("email_from", email_from)
        if not values.get("partner_id"):
            company = self.env["res.company"].browse(values.get("company_id")) or self.env.company
            contact = self._kf_gateway_find_contact(email_from, company)
            if contact:
                values["partner_id"] = contact.commercial_partner_id.id
                values.setdefault("contact_id", contact.id)
            else:
                values["needs_triage"] = True
        return super(KfTicket, self.with_context(mail_create_nolog=True)).message_new(msg_dict, custom_values=values)

    def message_update(self, msg_dict, update_vals=None):
        """The Cc list of a sender outside the ticket's customer is not added
        to the ticket's Cc (the suggested recipients of the answers)."""
        if any(
            not ticket._kf_is_ticket_party(msg_dict.get("author_id"), msg_dict.get("email_from")) for ticket in self
        ):
            msg_dict = dict(msg_dict, cc=False)
        return super().message_update(msg_dict, update_vals=update_vals)

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        """An incoming e-mail from someone outside the ticket's customer (for
        instance another customer's contact answering a thread) is kept for
        the staff as an internal note, and its sender does not become a
        follower: followers receive every answer of the ticket."""
        if (
            len(self) == 1
            and kwargs.get("message_type") == "email"
            and not self._kf_is_ticket_party(kwargs.get("author_id"), kwargs.get("email_from"))
        ):
            kwargs.pop("subtype_xmlid", None)
            kwargs["subtype_id"] = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
            responsible = self.sudo().user_id.partner_id
            kwargs["partner_ids"] = list(set(kwargs.get("partner_ids") or []) | set(responsible.ids))
            ticket = self.with_context(mail_create_nosubscribe=True)
            return super(KfTicket, ticket).message_post(**kwargs)
        return super().message_post(**kwargs)

    @api.model
    def _kf_gateway_sender_email(self, email_from):
        """The sender's real address, never the display name:
        ``"c1@customer.example" <x@elsewhere.example>`` is x@elsewhere.example;
        a From holding several addresses gives False."""
        return tools.email_normalize(email_from or "", strict=True)

    @api.model
    def _kf_gateway_is_internal_email(self, email):
        """Whether ``email`` (normalized) is an employee's or one of our
        companies' address: an employee is never the customer of a ticket."""
        users = self.env["res.users"].sudo().with_context(active_test=False)
        if users.search_count([("email_normalized", "=", email), ("share", "=", False)], limit=1):
            return True
        if "hr.employee" in self.env:
            employees = self.env["hr.employee"].sudo().with_context(active_test=False)
            if employees.search_count([("work_email", "=ilike", email)], limit=1):
                return True
        companies = self.env["res.company"].sudo().with_context(active_test=False)
        return bool(companies.search_count([("partner_id.email_normalized", "=", email)], limit=1))

    @api.model
    def _kf_gateway_find_contact(self, email_from, company):
        """The contact the sender's real address belongs to, when that address
        names exactly one customer (commercial partner) and no employee; an
        empty recordset otherwise. Only the customer book counts: companies
        and partners flagged as service customers, not the bare partners Odoo
        creates for unknown correspondents."""
        Partner = self.env["res.partner"]
        email = self._kf_gateway_sender_email(email_from)
        if not email or self._kf_gateway_is_internal_email(email):
            return Partner
        partners = (
            Partner.sudo()
            .search([("email_normalized", "=", email), ("company_id", "in", [False, company.id])], order="id")
            .filtered(lambda p: p.commercial_partner_id.is_company or p.commercial_partner_id.kf_is_customer)
        )
        if len(partners.commercial_partner_id) != 1:
            return Partner
        persons = partners.filtered("parent_id")
        return Partner.browse((persons or partners)[:1].id)

    def _kf_is_ticket_party(self, author_id, email_from):
        """Whether the author of an incoming e-mail takes part in the ticket:
        an employee, a contact of the ticket's customer, or the address that
        reported it."""
        self.ensure_one()
        ticket = self.sudo()
        author = self.env["res.partner"].sudo().browse(author_id or [])
        if author and any(not user.share for user in author.with_context(active_test=False).user_ids):
            return True
        if author and ticket.commercial_partner_id and author.commercial_partner_id == ticket.commercial_partner_id:
            return True
        sender = self._kf_gateway_sender_email(email_from)
        return bool(sender) and sender == self._kf_gateway_sender_email(ticket.email_from)

    def _message_post_after_hook(self, message, msg_values):
        """First reply: the first public message (not a note) an employee
        posts on the ticket."""
        res = super()._message_post_after_hook(message, msg_values)
        if self.env.context.get("kf_no_first_reply"):
            return res
        if message.message_type not in ("comment", "email", "email_outgoing"):
            return res
        if not message.subtype_id or message.subtype_id.internal:
            return res
        author_user = message.author_id.user_ids[:1]
        if not author_user or author_user.share:
            return res
        pending = self.filtered(lambda t: not t.first_reply_date)
        new_stage = self.env.ref("kf_dispatch.kf_ticket_stage_new", raise_if_not_found=False)
        progress_stage = self.env.ref("kf_dispatch.kf_ticket_stage_in_progress", raise_if_not_found=False)
        for ticket in pending:
            reply_date = message.date or fields.Datetime.now()
            vals = {"first_reply_date": reply_date}
            if ticket.sla_deadline and reply_date > ticket.sla_deadline:
                vals["sla_breached"] = True
            if new_stage and progress_stage and ticket.stage_id == new_stage:
                # answering the customer means the ticket is accepted and handled
                vals["stage_id"] = progress_stage.id
            ticket.sudo().write(vals)
        return res

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        for ticket in self:
            if ticket.contact_id and ticket.contact_id.email:
                ticket._message_add_suggested_recipient(
                    recipients, partner=ticket.contact_id, reason=self.env._("Contact Person")
                )
            elif ticket.email_from:
                ticket._message_add_suggested_recipient(
                    recipients, email=ticket.email_from, reason=self.env._("E-mail")
                )
        return recipients

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _get_stage(self, **flags):
        domain = [(name, "=", value) for name, value in flags.items()]
        return self.env["kf.ticket.stage"].search(domain, order="sequence, id", limit=1)

    def _check_can_resolve(self):
        missing = self.filtered(lambda t: not (t.resolution or "").strip())
        if missing:
            raise UserError(
                self.env._(
                    "Write the resolution before resolving these tickets: %(names)s",
                    names=", ".join(missing.mapped("name")),
                )
            )

    def _check_can_close(self, stage):
        if stage != self.env.ref("kf_dispatch.kf_ticket_stage_cancelled", raise_if_not_found=False):
            self._check_can_resolve()
            unreviewed = self.filtered(lambda t: t._is_major_complaint() and not t.sudo().manager_reviewed)
            if unreviewed:
                raise UserError(
                    self.env._(
                        "Major complaints must be reviewed by the customer-service manager before closing: %(names)s",
                        names=", ".join(unreviewed.mapped("name")),
                    )
                )
        if not self.env.su:
            self._check_return_visit()

    def _check_return_visit(self):
        """Complaints and repairs close (or are cancelled) after their return
        visit is done, unless a manager recorded why not."""
        missing = self.sudo().filtered(
            lambda t: t.ticket_type in VISIT_TICKET_TYPES and t.visit_id.state != "done" and not t.visit_waiver_reason
        )
        if missing:
            raise UserError(
                self.env._(
                    "Complaints and repairs close after their return visit is done; without it, a "
                    "customer-service manager must waive the visit and say why: %(names)s",
                    names=", ".join(missing.mapped("name")),
                )
            )

    def _check_manager_not_handler(self):
        """A manager records the review or waiver of tickets they do not
        handle: what counts against a person is never decided by them."""
        user = self.env.user
        if not user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only a customer-service manager can review complaints or waive return visits.")
            )
        own = self.filtered(lambda t: t.user_id == user)
        if own:
            raise AccessError(
                self.env._(
                    "You handle these tickets: another customer-service manager must review them or waive "
                    "their return visit: %(names)s",
                    names=", ".join(own.mapped("name")),
                )
            )
        self.check_access("write")

    def action_resolve(self):
        """Resolve: needs a resolution; plans the return visit within three
        working days and informs the customer."""
        self.write({"stage_id": self._get_stage(is_resolved=True).id})
        return True

    def _check_not_closed(self):
        """A closed ticket is reopened before it is resolved again."""
        closed = self.filtered("is_closed")
        if closed:
            raise UserError(
                self.env._("These tickets are already closed: %(names)s", names=", ".join(closed.mapped("name")))
            )

    def _create_return_visit(self):
        self.ensure_one()
        due = self.company_id.kf_add_working_days(RETURN_VISIT_DAYS, fields.Datetime.now())
        due_local = fields.Datetime.context_timestamp(self, due).date()
        visit = (
            self.env["kf.visit"]
            .sudo()
            .create(
                {
                    "partner_id": (self.partner_id.commercial_partner_id or self.partner_id).id,
                    "contact_id": self.contact_id.id,
                    "visit_type": "return_visit",
                    "channel": "phone",
                    "date_planned": due_local,
                    "user_id": (self.user_id or self.env.user).id,
                    "company_id": self.company_id.id,
                    "purpose": self.env._(
                        "Return visit after resolution of ticket %(name)s: %(subject)s\n%(resolution)s",
                        name=self.name,
                        subject=self.subject,
                        resolution=self.resolution,
                    ),
                    "source_model": self._name,
                    "source_id": self.id,
                }
            )
        )
        caller = self.env["res.users"].kf_activity_user(visit, visit.user_id)
        if caller:
            visit.activity_schedule(
                "mail.mail_activity_data_call",
                date_deadline=due_local,
                summary=caller.kf_lang_env()._("Return visit for ticket %(name)s", name=self.name),
                user_id=caller.id,
            )
        self.sudo().visit_id = visit
        return visit

    def _close_after_return_visit(self):
        """Called when the return visits are done: close the tickets with the
        visit's score; major complaints wait for the manager's review."""
        closed_stage = self.env.ref("kf_dispatch.kf_ticket_stage_closed")
        for ticket in self:
            ticket.satisfaction_score = ticket.visit_id.score
            if ticket._is_major_complaint() and not ticket.manager_reviewed:
                reviewer = self.env["res.users"].kf_activity_user(ticket, self.env.user, manager_first=True)
                if reviewer:
                    ticket.activity_schedule(
                        "kf_dispatch.mail_activity_type_kf_ticket_review",
                        summary=reviewer.kf_lang_env()._(
                            "Review major complaint %(name)s before closing", name=ticket.name
                        ),
                        user_id=reviewer.id,
                    )
                ticket.message_post(
                    body=self.env._("Return visit done; the complaint waits for the manager's review to close.")
                )
                continue
            ticket.write({"stage_id": closed_stage.id})

    def _create_satisfaction_answer(self):
        survey = self.env.ref("kf_dispatch.survey_kf_ticket_satisfaction", raise_if_not_found=False)
        if not survey or self.survey_user_input_id or not survey.sudo().active:
            return
        partner = self.contact_id or self.partner_id
        if not partner:
            return
        answer = survey.sudo()._create_answer(partner=partner, check_attempts=False)
        self.sudo().survey_user_input_id = answer

    def action_manager_review(self):
        """The manager's review of major complaints, the only way to set the
        review fields; closes those whose return visit is done."""
        self._check_manager_not_handler()
        self.sudo().write(
            {
                "manager_reviewed": True,
                "manager_reviewed_by_id": self.env.user.id,
                "manager_reviewed_on": fields.Datetime.now(),
            }
        )
        self.activity_feedback(["kf_dispatch.mail_activity_type_kf_ticket_review"])
        closed_stage = self.env.ref("kf_dispatch.kf_ticket_stage_closed")
        self.filtered(lambda t: t.visit_id.state == "done" and not t.is_closed).write({"stage_id": closed_stage.id})
        return True

    def action_close(self):
        """Close without waiting for the return visit (enquiries, suggestions,
        or a visit done elsewhere)."""
        for ticket in self.filtered(lambda t: t.visit_id.state == "done"):
            ticket.sudo().satisfaction_score = ticket.visit_id.score
        self.write({"stage_id": self.env.ref("kf_dispatch.kf_ticket_stage_closed").id})
        return True

    def action_cancel(self):
        self.write({"stage_id": self.env.ref("kf_dispatch.kf_ticket_stage_cancelled").id})
        self.visit_id.filtered(lambda v: v.state == "planned").sudo().action_cancel()
        return True

    def action_reopen(self):
        self.write({"stage_id": self._default_stage_id().id})
        self.sudo().write({"date_resolved": False})
        return True

    def action_open_visit_waiver(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Waive the Return Visit"),
            "res_model": "kf.ticket.visit.waiver",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }

    def action_waive_return_visit(self, reason, note=False):
        """The manager's record of why complaints or repairs close without a
        return visit, the only way to set the waiver fields; the reason goes
        to the chatter, the planned visit is cancelled and the ticket closed
        (cancelled when it is a duplicate or withdrawn)."""
        reasons = dict(self._fields["visit_waiver_reason"]._description_selection(self.env))
        if reason not in reasons:
            raise UserError(self.env._("Choose why the return visit is waived."))
        self._check_manager_not_handler()
        self.sudo().write(
            {
                "visit_waiver_reason": reason,
                "visit_waiver_note": note or False,
                "visit_waived_by_id": self.env.user.id,
                "visit_waived_on": fields.Datetime.now(),
            }
        )
        for ticket in self:
            ticket.message_post(
                body=self.env._(
                    "Return visit waived by %(user)s: %(reason)s. %(note)s",
                    user=self.env.user.name,
                    reason=reasons[reason],
                    note=note or "",
                )
            )
        self.sudo().visit_id.filtered(lambda v: v.state == "planned").action_cancel()
        still_open = self.filtered(lambda t: not t.is_closed)
        if reason in ("duplicate", "withdrawn"):
            still_open.action_cancel()
        else:
            still_open.action_close()
        return True

    def action_create_order(self):
        """Repair → work order prefilled from the ticket."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("kf_dispatch.kf_dispatch_order_action")
        project = self.project_id or self.contract_id.project_id or self.order_id.project_id
        action.update(
            {
                "views": [(False, "form")],
                "view_mode": "form",
                "target": "current",
                "context": {
                    "default_ticket_id": self.id,
                    "default_partner_id": self.partner_id.id,
                    "default_contract_id": self.contract_id.id,
                    "default_project_id": project.id,
                    "default_priority": "1" if self.priority == "2" else "0",
                    "default_contact_name": self.contact_id.name,
                    "default_contact_phone": self.phone or self.contact_id.mobile or self.contact_id.phone,
                    "default_work_content": self.env._(
                        "%(name)s %(subject)s\n%(description)s",
                        name=self.name,
                        subject=self.subject,
                        description=tools.html2plaintext(self.description or ""),
                    ),
                },
            }
        )
        return action

    def action_kf_confirm_report(self):
        """A clerk confirms a fault reported anonymously through a QR code."""
        for ticket in self.filtered("kf_to_confirm"):
            ticket.kf_to_confirm = False
            ticket.message_post(
                body=self.env._("Anonymous fault report confirmed by %(user)s.", user=self.env.user.name)
            )
        return True

    def action_preview(self):
        """Open the record as the customer sees it on the portal."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "target": "self",
            "url": self.get_portal_url(),
        }

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("kf_dispatch.kf_dispatch_order_action")
        action["domain"] = [("ticket_id", "=", self.id)]
        action["context"] = {"default_ticket_id": self.id, "default_partner_id": self.partner_id.id}
        return action

    def action_view_visit(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "kf.visit",
            "res_id": self.visit_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------------
    # SLA scan
    # ------------------------------------------------------------------
    @api.model
    def _cron_sla_scan(self, limit=5000):
        """Flag open tickets without a first reply past their deadline and
        give the manager one activity each (never twice), ``limit`` per run."""
        late = self.search(self._sla_to_escalate_domain(fields.Datetime.now()), order="sla_deadline", limit=limit)
        late._escalate_sla()
        if len(late) == limit:
            self.env["ir.cron"]._notify_progress(done=len(late), remaining=1)
        return len(late)

    @api.model
    def _sla_to_escalate_domain(self, now):
        """Open tickets without a first reply, past their reply deadline at
        ``now`` and not escalated yet."""
        return [
            ("is_closed", "=", False),
            ("first_reply_date", "=", False),
            ("sla_deadline", "<", now),
            ("sla_escalated", "=", False),
        ]

    def _escalate_sla(self):
        """Flag these tickets as breached and escalated, with a note each and
        an activity for the manager (else the handler)."""
        late = self
        if not late:
            return
        # one batched UPDATE and one batched chatter log instead of a tracking
        # message per ticket
        late.sudo().with_context(tracking_disable=True).write({"sla_breached": True, "sla_escalated": True})
        assignees = self.env["res.users"].kf_activity_users(
            late, {ticket.id: ticket.user_id for ticket in late}, manager_first=True
        )
        # the note and the activity in the language of whom the activity goes to
        late._message_log_batch(
            {
                ticket.id: assignees[ticket.id]
                .kf_lang_env()
                ._(
                    "SLA breached: no first reply by %(deadline)s.",
                    deadline=ticket.kf_sla_deadline_display(assignees[ticket.id].partner_id),
                )
                for ticket in late
            }
        )
        self.env["mail.activity"].kf_create_activities(
            late,
            "kf_dispatch.mail_activity_type_kf_ticket_sla",
            {
                ticket.id: (
                    assignees[ticket.id],
                    False,
                    assignees[ticket.id]
                    .kf_lang_env()
                    ._("Ticket %(name)s got no reply within the SLA", name=ticket.name),
                    False,
                )
                for ticket in late
            },
            automated=False,
        )
        self.env["kf.wecom.message"]._kf_notify_sla(late)
