from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

ACK_HOURS_PARAM = "kf_dispatch.ack_hours"
DEFAULT_ACK_HOURS = 4.0
OPEN_STATES = ("dispatched", "accepted", "in_progress")
MANAGER_GROUP = "kf_customer_service.group_kf_manager"
# timing, escalation and customer-acceptance fields: written by the actions,
# the escalation scan and the portal acceptance, never by users
SYSTEM_FIELDS = frozenset(
    {
        "date_dispatched",
        "date_acknowledged",
        "date_start",
        "date_done",
        "date_closed",
        "dispatch_escalated",
        "ack_escalated",
        "overdue_escalated",
        "customer_signature",
        "customer_signed_by",
        "customer_signed_on",
    }
)
# a state written directly (kanban, RPC, import) runs the button of that state
STATE_ACTIONS = {
    "draft": "action_reset_draft",
    "dispatched": "action_dispatch",
    "accepted": "action_acknowledge",
    "in_progress": "action_start",
    "done": "action_done",
    "closed": "action_close",
    "cancelled": "action_cancel",
}


class KfDispatchOrder(models.Model):
    _name = "kf.dispatch.order"
    _description = "Work Order"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin", "kf.document.mixin"]
    _order = "priority desc, date_planned_start desc, id desc"
    _kf_sequence_code = "kf.dispatch.order"

    active = fields.Boolean(default=True)
    contract_id = fields.Many2one(
        "kf.service.contract",
        tracking=True,
        index=True,
        check_company=True,
        domain="[('partner_id', 'child_of', commercial_partner_id)]",
    )
    project_id = fields.Many2one(
        "project.project",
        required=True,
        tracking=True,
        index=True,
        check_company=True,
    )
    task_id = fields.Many2one(
        "project.task",
        groups="base.group_user",
        tracking=True,
        check_company=True,
        domain="[('project_id', '=', project_id)]",
    )
    line_ids = fields.One2many("kf.dispatch.order.line", "order_id", string="Equipment Lines", copy=True)
    work_content = fields.Text(help="What must be done on site.")
    address = fields.Text(
        string="Site Address",
        compute="_compute_address",
        store=True,
        readonly=False,
        help="Defaults to the customer's address; edit it when the site differs.",
    )
    contact_name = fields.Char(string="On-site Contact")
    contact_phone = fields.Char(string="On-site Contact Phone")
    team_id = fields.Many2one(
        "kf.dispatch.team",
        string="Executing Team",
        groups="base.group_user",
        tracking=True,
        index=True,
        check_company=True,
    )
    user_id = fields.Many2one(help="Person executing the work order; notified when it is dispatched.")
    dispatcher_id = fields.Many2one(
        "res.users",
        string="Dispatched By",
        groups="base.group_user",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        tracking=True,
    )
    date_planned_start = fields.Datetime(string="Planned Start", tracking=True, index=True)
    date_planned_end = fields.Datetime(string="Planned End", tracking=True, index=True)
    date_dispatched = fields.Datetime(string="Dispatched On", readonly=True, copy=False, groups="base.group_user")
    date_acknowledged = fields.Datetime(string="Acknowledged On", readonly=True, copy=False, groups="base.group_user")
    date_start = fields.Datetime(string="Actual Start", readonly=True, copy=False, tracking=True)
    date_done = fields.Datetime(string="Actual End", readonly=True, copy=False, tracking=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True, copy=False)
    kf_done_on_time = fields.Boolean(
        string="Done On Time",
        compute="_compute_kf_done_on_time",
        store=True,
        help="Done (or closed) no later than its planned end.",
    )
    priority = fields.Selection(
        [("0", "Normal"), ("1", "Urgent")],
        default="0",
        tracking=True,
        index=True,
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("dispatched", "Dispatched"),
            ("accepted", "Acknowledged"),
            ("in_progress", "In Progress"),
            ("done", "Done"),
            ("closed", "Accepted by Customer"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="draft",
        copy=False,
        tracking=True,
        index=True,
        group_expand="_group_expand_states",
    )
    completion_note = fields.Text(help="What was done; required to mark the order done.", groups="base.group_user")
    ticket_id = fields.Many2one(
        "kf.ticket",
        string="Origin Ticket",
        copy=False,
        index=True,
        check_company=True,
    )
    problem_ids = fields.One2many("kf.problem", "order_id", string="Problems", groups="base.group_user")
    problem_count = fields.Integer(compute="_compute_problem_count", groups="base.group_user")
    color = fields.Integer()
    # equipment, checklist and maintenance plan
    kf_order_type = fields.Selection(
        [
            ("service", "Service"),
            ("repair", "Repair"),
            ("maintenance", "Planned maintenance"),
            ("initialisation", "Initialisation test"),
            ("commissioning", "Commissioning"),
        ],
        string="Order Type",
        required=True,
        default="service",
        tracking=True,
        index=True,
    )
    equipment_id = fields.Many2one("kf.equipment", tracking=True, index="btree_not_null", check_company=True)
    point_count = fields.Integer(
        compute="_compute_point_count",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Points of the equipment handled by this order (copied from the equipment; commissioning "
        "pay is computed from it). Locked once the customer accepted the order.",
    )
    check_ids = fields.One2many("kf.dispatch.order.check", "order_id", string="Checklist", copy=True)
    check_point_total = fields.Integer(string="Points to Check", compute="_compute_check_progress", store=True)
    check_point_done = fields.Integer(string="Points Checked", compute="_compute_check_progress", store=True)
    check_progress = fields.Float(
        string="Checklist Completion (%)", compute="_compute_check_progress", store=True, aggregator="avg"
    )
    maintenance_plan_id = fields.Many2one(
        "kf.maintenance.plan", readonly=True, copy=False, index="btree_not_null", check_company=True
    )
    plan_line_id = fields.Many2one(
        "kf.maintenance.plan.line", string="Plan Check", readonly=True, copy=False, index="btree_not_null"
    )
    plan_key = fields.Char(
        readonly=True, copy=False, groups="base.group_user", help="Occurrence of the maintenance plan generated."
    )
    # acceptance certificate (验收单)
    certificate_attachment_ids = fields.Many2many(
        "ir.attachment",
        "kf_dispatch_order_certificate_rel",
        "order_id",
        "attachment_id",
        string="Acceptance Certificate",
        copy=False,
        help="Scan or photo of the acceptance certificate signed by the customer.",
    )
    certificate_date = fields.Date(string="Acceptance Date", copy=False, tracking=True)
    certificate_paper_archived = fields.Boolean(
        string="Paper Original Archived",
        groups="base.group_user",
        copy=False,
        tracking=True,
    )
    certificate_paper_location = fields.Char(
        string="Paper Archive Location",
        groups="base.group_user",
        copy=False,
        tracking=True,
        help="Where the paper original is filed (cabinet, binder...).",
    )
    certificate_complete = fields.Boolean(
        groups="base.group_user",
        compute="_compute_certificate_complete",
        store=True,
    )
    customer_signature = fields.Image(
        copy=False,
        attachment=True,
        max_width=1024,
        max_height=1024,
    )
    customer_signed_by = fields.Char(string="Signed By", readonly=True, copy=False, tracking=True)
    customer_signed_on = fields.Datetime(string="Signed On", readonly=True, copy=False, tracking=True)
    # escalation
    dispatch_escalated = fields.Boolean(
        groups="base.group_user",
        readonly=True,
        copy=False,
        help="Set by the escalation scan when the order was still not dispatched at its planned start.",
    )
    ack_escalated = fields.Boolean(
        string="Acknowledgement Escalated",
        groups="base.group_user",
        readonly=True,
        copy=False,
        help="Set by the escalation scan when the order was not acknowledged in time.",
    )
    overdue_escalated = fields.Boolean(
        groups="base.group_user",
        readonly=True,
        copy=False,
        help="Set by the escalation scan when the order passed its planned end.",
    )
    is_overdue = fields.Boolean(
        string="Overdue",
        compute="_compute_is_overdue",
        search="_search_is_overdue",
    )

    _sql_constraints = [
        (
            "planned_dates_check",
            "CHECK(date_planned_end IS NULL OR date_planned_start IS NULL OR date_planned_end >= date_planned_start)",
            "The planned end must not be before the planned start.",
        ),
        ("plan_key_uniq", "UNIQUE(plan_key)", "This occurrence of the maintenance plan was already generated."),
    ]

    @api.model
    def _group_expand_states(self, states, domain):
        return [key for key, _label in self._fields["state"].selection if key != "cancelled"]

    @api.depends("partner_id")
    def _compute_address(self):
        for order in self:
            partner = order.partner_id
            if not partner:
                continue
            parts = [
                partner.state_id.name,
                partner.city,
                partner.street,
                partner.street2,
            ]
            order.address = " ".join(p for p in parts if p) or order.address

    @api.depends("equipment_id")
    def _compute_point_count(self):
        for order in self:
            if order.equipment_id:
                order.point_count = order.equipment_id.point_count

    @api.depends("check_ids.point_count", "check_ids.done")
    def _compute_check_progress(self):
        for order in self:
            total = sum(order.check_ids.mapped("point_count"))
            done = sum(order.check_ids.filtered("done").mapped("point_count"))
            order.check_point_total = total
            order.check_point_done = done
            order.check_progress = 100.0 * done / total if total else (100.0 if order.check_ids else 0.0)

    def _compute_problem_count(self):
        groups = self.env["kf.problem"]._read_group([("order_id", "in", self.ids)], ["order_id"], ["__count"])
        counts = {order.id: count for order, count in groups}
        for order in self:
            order.problem_count = counts.get(order.id, 0)

    @api.depends("certificate_attachment_ids", "certificate_date")
    def _compute_certificate_complete(self):
        for order in self:
            order.certificate_complete = bool(order.certificate_attachment_ids and order.certificate_date)

    @api.depends("date_done", "date_planned_end")
    def _compute_kf_done_on_time(self):
        for order in self:
            order.kf_done_on_time = bool(
                order.date_done and order.date_planned_end and order.date_done <= order.date_planned_end
            )

    @api.depends("state", "date_planned_end")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for order in self:
            order.is_overdue = bool(
                order.state in OPEN_STATES and order.date_planned_end and order.date_planned_end < now
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue work orders."))
        overdue = [
            "&",
            ("state", "in", OPEN_STATES),
            ("date_planned_end", "<", fields.Datetime.now()),
        ]
        if (operator == "=") == value:
            return overdue
        return ["!", *overdue]

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for order in self:
            order.access_url = f"/my/kf-orders/{order.id}"
        return res

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Work Order %(name)s", name=self.name)

    @api.onchange("project_id")
    def _onchange_project_id(self):
        if self.task_id and self.task_id.project_id != self.project_id:
            self.task_id = False
        if self.project_id and not self.partner_id and self.project_id.partner_id:
            self.partner_id = self.project_id.partner_id

    @api.onchange("contract_id")
    def _onchange_contract_id(self):
        if self.contract_id.project_id and not self.project_id:
            self.project_id = self.contract_id.project_id

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        contact = self.partner_id if self.partner_id.parent_id else self.partner_id.child_ids[:1]
        if contact and not self.contact_name:
            self.contact_name = contact.name
            self.contact_phone = contact.mobile or contact.phone

    @api.onchange("team_id")
    def _onchange_team_id(self):
        if self.team_id and not self.user_id:
            self.user_id = self.team_id.leader_id

    @api.constrains("state", "check_ids")
    def _check_initialisation_complete(self):
        """An initialisation test is done only when its checklist covers
        every point of every equipment of its plan, all checked."""
        for order in self.filtered(lambda o: o.kf_order_type == "initialisation" and o.state in ("done", "closed")):
            covered = {}
            for check in order.check_ids:
                covered[check.equipment_id] = covered.get(check.equipment_id, 0) + check.point_count
            equipment = order.maintenance_plan_id.equipment_ids | order.check_ids.equipment_id
            short = equipment.filtered(lambda e, covered=covered: covered.get(e, 0) < e.point_count)
            if short or order.check_progress < 100.0:
                raise ValidationError(
                    self.env._(
                        "Work order %(name)s: the initialisation test must check every point (100%%) "
                        "before it is done (checked %(done)s of %(total)s points; incomplete: %(equipment)s).",
                        name=order.name,
                        done=order.check_point_done,
                        total=order.check_point_total,
                        equipment=", ".join(short.mapped("name")) or "-",
                    )
                )

    @api.constrains("certificate_paper_archived", "certificate_paper_location")
    def _check_certificate_paper_location(self):
        for order in self:
            if order.certificate_paper_archived and not (order.certificate_paper_location or "").strip():
                raise ValidationError(
                    self.env._(
                        "Work order %(name)s: say where the paper original of the acceptance certificate is archived.",
                        name=order.name,
                    )
                )

    @api.constrains("state", "certificate_attachment_ids", "certificate_date")
    def _check_certificate_to_close(self, closing=False):
        """A work order is closed (accepted by the customer) only with its
        acceptance certificate, whatever the path; ``closing`` checks orders
        about to be closed."""
        for order in self.filtered(lambda o: closing or o.state == "closed"):
            missing = []
            if not order.certificate_attachment_ids:
                missing.append(self.env._("certificate attachment"))
            if not order.certificate_date:
                missing.append(self.env._("acceptance date"))
            if missing:
                raise ValidationError(
                    self.env._(
                        "Work order %(name)s cannot be closed without the customer's acceptance "
                        "certificate (missing: %(missing)s).",
                        name=order.name,
                        missing=", ".join(missing),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                system = SYSTEM_FIELDS.intersection(key for key, value in vals.items() if value)
                if system or vals.get("state", "draft") != "draft":
                    self._raise_system_fields(system or {"state"})
        orders = super().create(vals_list)
        for order in orders:
            if order.certificate_attachment_ids:
                order.certificate_attachment_ids.sudo().write({"res_model": order._name, "res_id": order.id})
        return orders

    def write(self, vals):
        if not self.env.su:
            self._check_user_write(vals)
            if "state" in vals:
                # the buttons write the state as superuser after their checks
                other_vals = {key: value for key, value in vals.items() if key != "state"}
                res = self.write(other_vals) if other_vals else True
                moving = self.filtered(lambda o: o.state != vals["state"])
                if moving:
                    action = STATE_ACTIONS.get(vals["state"])
                    if not action:
                        raise UserError(self.env._("Unknown work order state: %(state)s", state=vals["state"]))
                    getattr(moving, action)()
                return res
        res = super().write(vals)
        if vals.get("certificate_attachment_ids"):
            for order in self:
                order.certificate_attachment_ids.filtered(lambda a: not a.res_id).sudo().write(
                    {"res_model": order._name, "res_id": order.id}
                )
        return res

    def _check_point_count_lock(self, vals):
        """The point count of an order accepted by the customer is what its
        pay is computed from: nobody changes it (nor its equipment) any more."""
        if not {"point_count", "equipment_id"}.intersection(vals):
            return
        locked = self.filtered(
            lambda o: (
                o.state == "closed"
                and (
                    ("point_count" in vals and vals["point_count"] != o.point_count)
                    or ("equipment_id" in vals and (vals["equipment_id"] or False) != o.equipment_id.id)
                )
            )
        )
        if locked:
            raise UserError(
                self.env._(
                    "The point count of work orders accepted by the customer is locked: %(names)s",
                    names=", ".join(locked.mapped("name")),
                )
            )

    def _kf_check_checklist_open(self):
        """The checklist of an order accepted by the customer is its record
        of what was checked: it no longer changes."""
        closed = self.filtered(lambda o: o.state == "closed")
        if closed:
            raise UserError(
                self.env._(
                    "The checklist of work orders accepted by the customer is locked: %(names)s",
                    names=", ".join(closed.mapped("name")),
                )
            )

    @api.model
    def _kf_create_planned(self, vals_list):
        """Create work orders generated by a scan (as superuser, without
        creation messages): numbers drawn in one go per company, then the
        orders and their checklists in one create each."""
        if not vals_list:
            return self.browse()
        Order = self.sudo().with_context(
            tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
        )
        by_company = {}
        for vals in vals_list:
            by_company.setdefault(vals["company_id"], []).append(vals)
        for company_id, company_vals in by_company.items():
            for vals, name in zip(company_vals, Order.kf_draw_numbers(company_id, len(company_vals)), strict=True):
                vals["name"] = name
        checks = [vals.pop("check_ids", []) for vals in vals_list]
        orders = Order.create(vals_list)
        check_vals = [
            {**command[2], "order_id": order.id}
            for order, commands in zip(orders, checks, strict=True)
            for command in commands
        ]
        self.env["kf.dispatch.order.check"].sudo().create(check_vals)
        return orders

    def _raise_system_fields(self, fnames):
        labels = ", ".join(sorted(self._fields[fname].get_description(self.env)["string"] for fname in fnames))
        raise AccessError(
            self.env._("These work order fields are set by the system and cannot be changed: %(fields)s", fields=labels)
        )

    def _check_user_write(self, vals):
        """Rules of a user's write: timing, escalation and acceptance fields
        are the system's; the executor of a dispatched order never moves its
        planned dates, hands it over or archives it (the on-time rate counts
        against them), a manager does."""
        self._check_point_count_lock(vals)
        system = SYSTEM_FIELDS.intersection(vals)
        if system:
            self._raise_system_fields(system)
        user = self.env.user
        if not {"date_planned_start", "date_planned_end", "user_id", "active"}.intersection(vals):
            return
        if user.has_group(MANAGER_GROUP):
            return
        own = self.filtered(lambda o: o.user_id == user and o.state != "draft")
        if own:
            raise AccessError(
                self.env._(
                    "Work orders %(names)s are yours: a manager changes their planned dates, executor or archiving.",
                    names=", ".join(own.mapped("name")),
                )
            )

    def _write_state(self, vals):
        """Buttons: the user must be allowed to write the order; the state
        and the system fields are then written as superuser."""
        self.check_access("write")
        return self.sudo().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _check_state(self, allowed, action_label):
        wrong = self.filtered(lambda o: o.state not in allowed)
        if wrong:
            raise UserError(
                self.env._(
                    "%(action)s is not possible for work orders %(names)s in their current state.",
                    action=action_label,
                    names=", ".join(wrong.mapped("name")),
                )
            )

    def _get_dispatch_missing_fields(self):
        """Labels of the fields an order still misses before dispatch."""
        self.ensure_one()
        missing = []
        for fname in ("user_id", "project_id", "address", "work_content"):
            value = self[fname]
            if isinstance(value, str):
                value = value.strip()
            if not value:
                missing.append(self._fields[fname].get_description(self.env)["string"])
        return missing

    def action_dispatch(self):
        self._check_state(("draft",), self.env._("Dispatching"))
        for order in self:
            missing = order._get_dispatch_missing_fields()
            if missing:
                raise UserError(
                    self.env._(
                        "Work order %(name)s cannot be dispatched, these fields are missing: %(fields)s",
                        name=order.name,
                        fields=", ".join(missing),
                    )
                )
        now = fields.Datetime.now()
        self._write_state(
            {
                "state": "dispatched",
                "date_dispatched": now,
                "date_acknowledged": False,
                "ack_escalated": False,
                "dispatcher_id": self.env.user.id,
            }
        )
        template = self.env.ref("kf_dispatch.mail_template_kf_dispatch_order_dispatched", raise_if_not_found=False)
        executors = self.env["res.users"].kf_activity_users(self, {order.id: order.user_id for order in self})
        for order in self:
            order.message_subscribe(partner_ids=order.user_id.partner_id.ids)
            deadline = order.date_planned_start.date() if order.date_planned_start else fields.Date.context_today(order)
            if executors[order.id]:
                order.activity_schedule(
                    "kf_dispatch.mail_activity_type_kf_dispatch_execute",
                    date_deadline=max(deadline, fields.Date.context_today(order)),
                    summary=executors[order.id].kf_lang_env()._("Execute work order %(name)s", name=order.name),
                    note=order.work_content,
                    user_id=executors[order.id].id,
                )
            body = Markup("<p>%s</p>") % order.user_id.kf_lang_env()._(
                "Work order dispatched to %(user)s. Please acknowledge it and start on time.",
                user=order.user_id.name,
            )
            if template:
                order.message_post_with_source(
                    template,
                    subtype_xmlid="mail.mt_comment",
                    partner_ids=order.user_id.partner_id.ids,
                )
            else:
                order.message_post(body=body, partner_ids=order.user_id.partner_id.ids)
        self.env["kf.wecom.message"]._kf_notify_dispatch(self)
        return True

    def action_acknowledge(self):
        self._check_state(("dispatched",), self.env._("Acknowledging"))
        self._write_state({"state": "accepted", "date_acknowledged": fields.Datetime.now()})
        return True

    def action_start(self):
        self._check_state(("dispatched", "accepted"), self.env._("Starting"))
        now = fields.Datetime.now()
        for order in self:
            vals = {"state": "in_progress", "date_start": order.date_start or now}
            if not order.date_acknowledged:
                vals["date_acknowledged"] = now
            order._write_state(vals)
        return True

    def action_done(self):
        self._check_state(("accepted", "in_progress"), self.env._("Completing"))
        missing = self.filtered(lambda o: not (o.completion_note or "").strip())
        if missing:
            raise UserError(
                self.env._(
                    "Write the completion note before marking these work orders done: %(names)s",
                    names=", ".join(missing.mapped("name")),
                )
            )
        now = fields.Datetime.now()
        for order in self:
            order._write_state(
                {"state": "done", "date_done": order.date_done or now, "date_start": order.date_start or now}
            )
        self.activity_feedback(
            ["kf_dispatch.mail_activity_type_kf_dispatch_execute"],
            feedback=self.env._("Work order done."),
        )
        self._schedule_callback_activity()
        template = self.env.ref("kf_dispatch.mail_template_kf_dispatch_order_done", raise_if_not_found=False)
        if template:
            for order in self:
                order._portal_ensure_token()
                order.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
        return True

    def _get_callback_user(self):
        """Clerk making the same-day call-back: the customer's specialist's
        clerk is not modelled, so take the first clerk-only user of the company,
        else the customer's specialist, else the dispatcher."""
        self.ensure_one()
        clerk_group = self.env.ref("kf_customer_service.group_kf_clerk")
        specialist_group = self.env.ref("kf_customer_service.group_kf_specialist")
        clerks = (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("groups_id", "in", clerk_group.id),
                    ("groups_id", "not in", specialist_group.id),
                    ("share", "=", False),
                    ("company_ids", "in", self.company_id.id),
                ],
                order="id",
                limit=1,
            )
        )
        return clerks or self.commercial_partner_id.kf_specialist_id or self.dispatcher_id or self.env.user

    def _schedule_callback_activity(self):
        today = fields.Date.context_today(self)
        for order in self:
            user = order._get_callback_user()
            order.activity_schedule(
                "kf_dispatch.mail_activity_type_kf_dispatch_callback",
                date_deadline=today,
                summary=user.kf_lang_env()._(
                    "Call %(customer)s back about work order %(name)s",
                    customer=order.partner_id.display_name,
                    name=order.name,
                ),
                user_id=user.id,
            )

    def action_close(self):
        """Closed once the customer accepted it; the acceptance certificate is
        checked by the model (``_check_certificate_to_close``)."""
        self._check_state(("done",), self.env._("Closing"))
        self._check_certificate_to_close(closing=True)
        self._write_state({"state": "closed", "date_closed": fields.Datetime.now()})
        return True

    def action_cancel(self):
        self._check_state(("draft", "dispatched", "accepted", "in_progress"), self.env._("Cancelling"))
        self._check_not_own_order()
        self._write_state({"state": "cancelled"})
        self.activity_unlink(
            [
                "kf_dispatch.mail_activity_type_kf_dispatch_execute",
                "kf_dispatch.mail_activity_type_kf_dispatch_escalation",
            ]
        )
        return True

    def action_reset_draft(self):
        self._check_state(("cancelled",), self.env._("Resetting to draft"))
        self._check_not_own_order()
        self._write_state(
            {
                "state": "draft",
                "date_dispatched": False,
                "date_acknowledged": False,
                "dispatch_escalated": False,
                "ack_escalated": False,
                "overdue_escalated": False,
            }
        )
        return True

    def _check_not_own_order(self):
        """Cancelling takes an order out of the on-time rate: its executor
        does not cancel (nor revive) it, a dispatcher or manager does."""
        user = self.env.user
        if self.env.su or user.has_group(MANAGER_GROUP):
            return
        own = self.filtered(lambda o: o.user_id == user)
        if own or not user.has_group("kf_customer_service.group_kf_clerk"):
            raise AccessError(
                self.env._(
                    "Only a dispatcher who does not execute them can cancel or reset work orders: %(names)s",
                    names=", ".join((own or self).mapped("name")),
                )
            )

    def action_portal_accept(self, signed_by, signature):
        """Customer acceptance from the portal: store the name and signature,
        keep the signature as acceptance certificate and close the order.
        Call it on a record the caller has checked the portal user may access."""
        self.ensure_one()
        if self.state != "done":
            raise UserError(self.env._("Only a completed work order can be accepted."))
        signed_by = (signed_by or "").strip()
        if not signed_by or not signature:
            raise UserError(self.env._("Your name and signature are required to accept the work order."))
        now = fields.Datetime.now()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._("Acceptance %(name)s signed by %(who)s.png", name=self.name, who=signed_by),
                "datas": signature,
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "image/png",
            }
        )
        self._write_state(
            {
                "customer_signature": signature,
                "customer_signed_by": signed_by,
                "customer_signed_on": now,
                "certificate_attachment_ids": [Command.link(attachment.id)],
                "certificate_date": fields.Date.context_today(self),
            }
        )
        self.message_post(
            body=self.env._("Work order accepted and signed by %(who)s on the customer portal.", who=signed_by),
            attachment_ids=attachment.ids,
        )
        self.action_close()
        return True

    def action_preview(self):
        """Open the record as the customer sees it on the portal."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "target": "self",
            "url": self.get_portal_url(),
        }

    def action_view_problems(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("kf_dispatch.kf_problem_action")
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {
            "default_order_id": self.id,
            "default_partner_id": self.partner_id.id,
            "default_project_id": self.project_id.id,
            "default_user_id": self.user_id.id,
        }
        return action

    # ------------------------------------------------------------------
    # Escalation
    # ------------------------------------------------------------------
    @api.model
    def _get_ack_hours(self):
        value = self.env["ir.config_parameter"].sudo().get_param(ACK_HOURS_PARAM)
        try:
            return max(float(value), 0.0) if value else DEFAULT_ACK_HOURS
        except ValueError:
            return DEFAULT_ACK_HOURS

    @api.model
    def _ack_threshold(self, company, ack_hours, now):
        """Orders dispatched before this moment are late to be acknowledged:
        ``ack_hours`` working hours before now on the company's calendar."""
        if not ack_hours:
            return now
        return company.kf_plan_working_hours(-ack_hours, now)

    @api.model
    def _cron_escalation_scan(self, limit=500):
        """Escalate, once each, the work orders still not dispatched at their
        planned start, those dispatched but not acknowledged within the
        configured working hours and those past their planned end; an overdue
        order also gets exactly one draft overdue problem. One activity per
        order (its reasons joined) for the team leader or the manager; a
        constant number of queries per category plus batched writes."""
        now = fields.Datetime.now()
        ack_hours = self._get_ack_hours()
        undispatched = self.search(self._escalation_undispatched_domain(now), order="date_planned_start", limit=limit)
        late_ack = self.browse()
        for (company,) in self._read_group(self._escalation_unacknowledged_domain(), ["company_id"]):
            late_ack |= self.search(
                self._escalation_late_ack_domain(company, ack_hours, now), order="date_dispatched", limit=limit
            )
        overdue = self.search(self._escalation_overdue_domain(now), order="date_planned_end", limit=limit)
        reasons = self._escalate(undispatched, late_ack, overdue, ack_hours)
        if len(undispatched) == limit or len(late_ack) >= limit or len(overdue) == limit:
            self.env["ir.cron"]._notify_progress(done=len(reasons), remaining=1)
        return len(undispatched) + len(late_ack) + len(overdue)

    @api.model
    def _escalation_undispatched_domain(self, now):
        """Draft orders past their planned start at ``now``, not escalated yet."""
        return [("state", "=", "draft"), ("dispatch_escalated", "=", False), ("date_planned_start", "<", now)]

    @api.model
    def _escalation_unacknowledged_domain(self):
        """Dispatched orders not acknowledged and not escalated yet, late or
        not (the delay depends on the company's calendar)."""
        return [("state", "=", "dispatched"), ("ack_escalated", "=", False), ("date_dispatched", "!=", False)]

    @api.model
    def _escalation_late_ack_domain(self, company, ack_hours, now):
        """The orders of ``company`` in ``_escalation_unacknowledged_domain()``
        dispatched more than ``ack_hours`` working hours before ``now``."""
        return [
            *self._escalation_unacknowledged_domain(),
            ("company_id", "=", company.id),
            ("date_dispatched", "<=", self._ack_threshold(company, ack_hours, now)),
        ]

    @api.model
    def _escalation_overdue_domain(self, now):
        """Open orders past their planned end at ``now``, not escalated yet."""
        return [("state", "in", OPEN_STATES), ("overdue_escalated", "=", False), ("date_planned_end", "<", now)]

    @api.model
    def _escalate(self, undispatched, late_ack, overdue, ack_hours):
        """Flag the orders as escalated for their reason, with one activity
        per order (its reasons joined) for the team leader or the manager,
        and one draft overdue problem per overdue order. Returns the
        reasons by order."""
        kinds = {}  # order -> [reason, ...]
        for reason, orders in (("undispatched", undispatched), ("late_ack", late_ack), ("overdue", overdue)):
            for order in orders:
                kinds.setdefault(order, []).append(reason)
        undispatched.sudo().write({"dispatch_escalated": True})
        late_ack.sudo().write({"ack_escalated": True})
        overdue.sudo().write({"overdue_escalated": True})
        reasons = {}  # order -> [summary, ...], in the language of whom the activity goes to
        if kinds:
            escalated = self.browse([order.id for order in kinds])
            assignees = self.env["res.users"].kf_activity_users(
                escalated, {order.id: order.team_id.leader_id for order in kinds}
            )
            for order, order_kinds in kinds.items():
                env = assignees[order.id].kf_lang_env()
                reasons[order] = [order._escalation_reason(env, kind, ack_hours) for kind in order_kinds]
            self.env["mail.activity"].kf_create_activities(
                escalated,
                "kf_dispatch.mail_activity_type_kf_dispatch_escalation",
                {
                    order.id: (assignees[order.id], False, "; ".join(summaries), False)
                    for order, summaries in reasons.items()
                },
                automated=False,
            )
        overdue._create_overdue_problems()
        self.env["kf.wecom.message"]._kf_notify_escalation(kinds, ack_hours)
        return reasons

    def _escalation_reason(self, env, kind, ack_hours):
        """Why this order is escalated (``kind``: undispatched, late_ack or
        overdue), written with ``env`` (the reader's language)."""
        self.ensure_one()
        if kind == "undispatched":
            return env._("Work order %(name)s is still not dispatched at its planned start", name=self.name)
        if kind == "late_ack":
            return env._(
                "Work order %(name)s not acknowledged by %(user)s within %(hours)s working hours",
                name=self.name,
                user=self.user_id.name,
                hours=ack_hours,
            )
        return env._("Work order %(name)s is past its planned end", name=self.name)

    def _create_overdue_problems(self):
        """One draft overdue problem per order, never two."""
        if not self:
            return self.env["kf.problem"]
        existing = (
            self.env["kf.problem"]
            .with_context(active_test=False)
            ._read_group(
                [("order_id", "in", self.ids), ("problem_type", "=", "overdue")],
                ["order_id"],
            )
        )
        done_ids = {order.id for (order,) in existing}
        vals_list = [
            {
                "problem_type": "overdue",
                "order_id": order.id,
                "partner_id": order.partner_id.id,
                "project_id": order.project_id.id,
                "user_id": order.user_id.id,
                "company_id": order.company_id.id,
                "date": fields.Date.context_today(self),
                "description": self.env._(
                    "Work order %(name)s was not completed by its planned end %(end)s.",
                    name=order.name,
                    end=fields.Datetime.to_string(order.date_planned_end),
                ),
            }
            for order in self
            if order.id not in done_ids
        ]
        return (
            self.env["kf.problem"]
            .sudo()
            # no creation message nor auto-subscription per problem: the
            # escalation activity on the order already tells the manager
            .with_context(tracking_disable=True)
            .create(vals_list)
        )
