from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

MANAGER_GROUP = "kf_customer_service.group_kf_manager"
FAULT_CATEGORIES = [
    ("power", "Power supply"),
    ("communication", "Communication / loop"),
    ("detector", "Detector / field device"),
    ("controller", "Controller / panel"),
    ("linkage", "Linkage / interlock"),
    ("wiring", "Wiring"),
    ("software", "Programming / software"),
    ("other", "Other"),
]
# a repair of the same equipment for the same fault within this delay of the
# previous one is a rework
REWORK_MONTHS = 3
QUOTE_CONTENT_FIELDS = frozenset({"kf_fault_category", "kf_fault_cause", "kf_repair_plan", "kf_quote_line_ids"})
# written by the quote actions and the rework detection only
QUOTE_SYSTEM_FIELDS = frozenset(
    {
        "kf_quote_state",
        "kf_quote_approved_by_id",
        "kf_quote_approved_on",
        "kf_quote_signature",
        "kf_quote_signed_by",
        "kf_quote_signed_on",
        "kf_is_rework",
        "kf_rework_origin_id",
        "kf_rework_technician_id",
        "kf_rework_problem_id",
        "kf_rework_product_defect",
    }
)
# work order type -> service type of its feedback form
FEEDBACK_SERVICE_TYPES = {
    "commissioning": "commissioning",
    "repair": "repair",
    "maintenance": "maintenance",
    "initialisation": "inspection",
    "service": "maintenance",
}


class KfDispatchOrder(models.Model):
    """Repair quote, rework detection and service feedback forms of a work
    order."""

    _inherit = "kf.dispatch.order"  # pylint: disable=consider-merging-classes-inherited

    kf_fault_category = fields.Selection(FAULT_CATEGORIES, string="Fault Category", tracking=True)
    kf_fault_cause = fields.Text(string="Fault Cause", groups="base.group_user")
    kf_repair_plan = fields.Text(string="Repair Plan", groups="base.group_user")
    kf_quote_line_ids = fields.One2many("kf.repair.quote.line", "order_id", string="Quote Lines", copy=False)
    kf_quote_currency_id = fields.Many2one(related="company_id.currency_id", string="Quote Currency")
    kf_quote_amount = fields.Monetary(
        string="Quote Total",
        currency_field="kf_quote_currency_id",
        compute="_compute_kf_quote_amount",
        store=True,
    )
    kf_quote_state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_approve", "Waiting for Approval"),
            ("approved", "Approved"),
            ("consented", "Customer Consented"),
        ],
        string="Quote Status",
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    kf_quote_approved_by_id = fields.Many2one(
        "res.users", string="Quote Approved By", readonly=True, copy=False, groups="base.group_user"
    )
    kf_quote_approved_on = fields.Datetime(string="Quote Approved On", readonly=True, copy=False)
    kf_quote_signature = fields.Image(
        string="Quote Signature", copy=False, attachment=True, max_width=1024, max_height=1024, readonly=True
    )
    kf_quote_signed_by = fields.Char(string="Quote Signed By", readonly=True, copy=False, tracking=True)
    kf_quote_signed_on = fields.Datetime(string="Quote Signed On", readonly=True, copy=False, tracking=True)
    kf_is_rework = fields.Boolean(
        string="Rework",
        readonly=True,
        copy=False,
        tracking=True,
        help="A repair of the same equipment for the same fault within three months of a previous one: "
        "free of charge, counted as a quality problem of the original technician.",
    )
    kf_rework_origin_id = fields.Many2one(
        "kf.dispatch.order", string="Original Repair", readonly=True, copy=False, groups="base.group_user"
    )
    kf_rework_technician_id = fields.Many2one(
        "res.users", string="Original Technician", readonly=True, copy=False, groups="base.group_user"
    )
    kf_rework_problem_id = fields.Many2one(
        "kf.problem", string="Rework Problem", readonly=True, copy=False, groups="base.group_user"
    )
    kf_rework_product_defect = fields.Boolean(
        string="Product Quality Defect",
        readonly=True,
        copy=False,
        tracking=True,
        groups="base.group_user",
        help="Set by a manager: the repeated fault comes from the product, not from the previous repair.",
    )
    kf_feedback_ids = fields.One2many(
        "kf.service.feedback", "order_id", string="Feedback Forms", groups="base.group_user"
    )
    kf_feedback_count = fields.Integer(
        string="Feedback Form Count", compute="_compute_kf_feedback_count", groups="base.group_user"
    )

    @api.depends("kf_quote_line_ids.price_subtotal", "kf_is_rework")
    def _compute_kf_quote_amount(self):
        for order in self:
            order.kf_quote_amount = 0.0 if order.kf_is_rework else sum(order.kf_quote_line_ids.mapped("price_subtotal"))

    def _compute_kf_feedback_count(self):
        groups = self.env["kf.service.feedback"]._read_group(
            [("order_id", "in", self.ids), ("next_version_id", "=", False)], ["order_id"], ["__count"]
        )
        counts = {order.id: count for order, count in groups}
        for order in self:
            order.kf_feedback_count = counts.get(order.id, 0)

    @api.constrains("state", "kf_quote_state", "kf_order_type")
    def _check_repair_consent(self):
        """Work on a repair starts only once the customer consented to the
        approved quote, whatever writes the state."""
        for order in self:
            if (
                order.kf_order_type == "repair"
                and order.state in ("in_progress", "done", "closed")
                and order.kf_quote_state != "consented"
            ):
                raise ValidationError(
                    self.env._(
                        "Work order %(name)s is a repair: work starts only after the customer has consented "
                        "to the approved quote.",
                        name=order.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                system = QUOTE_SYSTEM_FIELDS.intersection(key for key, value in vals.items() if value)
                if system - {"kf_quote_state"} or vals.get("kf_quote_state", "draft") != "draft":
                    self._raise_system_fields(system or {"kf_quote_state"})
        orders = super().create(vals_list)
        orders._kf_detect_rework()
        return orders

    def write(self, vals):
        res = super().write(vals)
        if {"kf_order_type", "equipment_id", "kf_fault_category"}.intersection(vals):
            self._kf_detect_rework()
        return res

    def _check_user_write(self, vals):
        res = super()._check_user_write(vals)
        system = QUOTE_SYSTEM_FIELDS.intersection(vals)
        if system:
            self._raise_system_fields(system)
        if QUOTE_CONTENT_FIELDS.intersection(vals):
            self._kf_check_quote_editable()
        if "kf_order_type" in vals:
            started = self.filtered(lambda o: o.kf_quote_state != "draft" and vals["kf_order_type"] != o.kf_order_type)
            started._kf_check_quote_editable()
        return res

    def _kf_check_quote_editable(self):
        """A quote submitted for approval, approved or consented is not
        changed: reset it to draft (before the customer's consent) first."""
        locked = self.filtered(lambda o: o.kf_quote_state != "draft")
        if locked:
            raise UserError(
                self.env._(
                    "The repair quote of work orders %(names)s is submitted, approved or signed by the customer: "
                    "it cannot be changed.",
                    names=", ".join(locked.mapped("name")),
                )
            )

    # ------------------------------------------------------------------
    # Rework
    # ------------------------------------------------------------------
    def _kf_rework_candidates_domain(self):
        """Earlier repairs that make this order a rework."""
        self.ensure_one()
        since = fields.Datetime.now() - relativedelta(months=REWORK_MONTHS)
        return [
            ("id", "!=", self.id),
            ("kf_order_type", "=", "repair"),
            ("equipment_id", "=", self.equipment_id.id),
            ("kf_fault_category", "=", self.kf_fault_category),
            ("state", "in", ("done", "closed")),
            ("date_done", ">=", since),
        ]

    def _kf_detect_rework(self):
        """Flag as rework the repairs (not started) that repeat a repair of
        the same equipment and fault within three months, and log one draft
        quality problem against the original technician."""
        todo = self.filtered(
            lambda o: (
                o.kf_order_type == "repair"
                and o.equipment_id
                and o.kf_fault_category
                and not o.kf_is_rework
                and o.kf_quote_state == "draft"
                and o.state in ("draft", "dispatched", "accepted")
            )
        )
        Order = self.sudo().with_context(active_test=False)
        for order in todo:
            origin = Order.search(order._kf_rework_candidates_domain(), order="date_done desc", limit=1)
            if not origin:
                continue
            problem = (
                self.env["kf.problem"]
                .sudo()
                .create(
                    {
                        "problem_type": "quality",
                        "order_id": order.id,
                        "partner_id": order.partner_id.id,
                        "project_id": order.project_id.id,
                        "user_id": origin.user_id.id,
                        "company_id": order.company_id.id,
                        "date": fields.Date.context_today(order),
                        "description": self.env._(
                            "Rework: %(equipment)s failed again (%(fault)s) within three months of repair "
                            "%(origin)s by %(user)s.",
                            equipment=order.equipment_id.display_name,
                            fault=dict(self._fields["kf_fault_category"]._description_selection(self.env))[
                                order.kf_fault_category
                            ],
                            origin=origin.name,
                            user=origin.user_id.name or "-",
                        ),
                    }
                )
            )
            order.sudo().write(
                {
                    "kf_is_rework": True,
                    "kf_rework_origin_id": origin.id,
                    "kf_rework_technician_id": origin.user_id.id,
                    "kf_rework_problem_id": problem.id,
                }
            )

    def action_kf_rework_product_defect(self, reason):
        """A manager's exception: the repeated fault is a product quality
        defect, so the rework problem does not count against the technician."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager can declare a product quality defect."))
        not_rework = self.filtered(lambda o: not o.kf_is_rework or o.kf_rework_product_defect)
        if not_rework:
            raise UserError(
                self.env._(
                    "These work orders are not reworks waiting for a decision: %(names)s",
                    names=", ".join(not_rework.mapped("name")),
                )
            )
        self._write_state({"kf_rework_product_defect": True})
        problems = self.sudo().kf_rework_problem_id.filtered(lambda p: p.state != "voided")
        problems.with_user(self.env.user).action_void(reason)
        return True

    # ------------------------------------------------------------------
    # Quote
    # ------------------------------------------------------------------
    def _kf_check_repair(self):
        wrong = self.filtered(lambda o: o.kf_order_type != "repair")
        if wrong:
            raise UserError(
                self.env._(
                    "Only repair work orders have a repair quote: %(names)s", names=", ".join(wrong.mapped("name"))
                )
            )

    def _kf_check_quote_state(self, allowed):
        wrong = self.filtered(lambda o: o.kf_quote_state not in allowed)
        if wrong:
            raise UserError(
                self.env._(
                    "This is not possible for the repair quote of work orders %(names)s in its current status.",
                    names=", ".join(wrong.mapped("name")),
                )
            )

    def action_kf_quote_submit(self):
        """Send the quote to the manager for approval."""
        self._kf_check_repair()
        self._kf_check_quote_state(("draft",))
        for order in self:
            missing = [
                order._fields[fname].get_description(self.env)["string"]
                for fname in ("kf_fault_category", "kf_fault_cause", "kf_repair_plan")
                if not (order[fname] or "").strip()
            ]
            if not order.kf_quote_line_ids and not order.kf_is_rework:
                missing.append(order._fields["kf_quote_line_ids"].get_description(self.env)["string"])
            if missing:
                raise UserError(
                    self.env._(
                        "The repair quote of work order %(name)s is incomplete: %(fields)s",
                        name=order.name,
                        fields=", ".join(missing),
                    )
                )
        self._write_state({"kf_quote_state": "to_approve"})
        managers = self.env["res.users"].kf_activity_users(self, manager_first=True)
        values = {}
        for order in self:
            user = managers[order.id]
            values[order.id] = (
                user,
                False,
                user.kf_lang_env()._("Approve the repair quote of work order %(name)s", name=order.name),
                False,
            )
        self.env["mail.activity"].kf_create_activities(
            self, "kf_dispatch.mail_activity_type_kf_quote_approval", values, notify=True
        )
        return True

    def action_kf_quote_approve(self):
        """The manager approves the quote before it goes to the customer."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager can approve a repair quote."))
        self._kf_check_quote_state(("to_approve",))
        self._write_state(
            {
                "kf_quote_state": "approved",
                "kf_quote_approved_by_id": self.env.user.id,
                "kf_quote_approved_on": fields.Datetime.now(),
            }
        )
        self.sudo().activity_feedback(
            ["kf_dispatch.mail_activity_type_kf_quote_approval"], feedback=self.env._("Quote approved.")
        )
        return True

    def action_kf_quote_reset(self):
        """Back to draft to change a quote the customer has not signed."""
        self._kf_check_quote_state(("to_approve", "approved"))
        self._write_state({"kf_quote_state": "draft", "kf_quote_approved_by_id": False, "kf_quote_approved_on": False})
        self.sudo().activity_unlink(["kf_dispatch.mail_activity_type_kf_quote_approval"])
        return True

    def kf_quote_consent(self, signed_by, signature):
        """The customer's consent to the approved quote, signed on the
        engineer's phone (the order's executor) or on the customer portal
        (call it on the sudo record after the portal access check)."""
        self.ensure_one()
        if not self.env.su and self.user_id != self.env.user:
            raise AccessError(
                self.env._(
                    "Work order %(name)s is not assigned to you: you cannot collect its signature.", name=self.name
                )
            )
        if self.kf_quote_state != "approved":
            raise UserError(
                self.env._("The repair quote of work order %(name)s is not approved for signature.", name=self.name)
            )
        signed_by = (signed_by or "").strip()
        if not signed_by or not signature:
            raise UserError(self.env._("The customer's name and signature are required to consent to the quote."))
        self._write_state(
            {
                "kf_quote_state": "consented",
                "kf_quote_signature": signature,
                "kf_quote_signed_by": signed_by,
                "kf_quote_signed_on": fields.Datetime.now(),
            }
        )
        self.message_post(
            body=self.env._(
                "Repair quote (%(amount)s) consented and signed by %(who)s.",
                amount=self.kf_quote_amount,
                who=signed_by,
            )
        )
        return True

    # ------------------------------------------------------------------
    # Feedback forms
    # ------------------------------------------------------------------
    def action_done(self):
        res = super().action_done()
        self._kf_ensure_feedback_forms()
        return res

    def _kf_ensure_feedback_forms(self):
        """Every finished on-site job has a feedback form: a draft one is
        created for the orders done without any, due the next working morning."""
        Feedback = self.env["kf.service.feedback"].sudo().with_context(active_test=False)
        having = {order.id for (order,) in Feedback._read_group([("order_id", "in", self.ids)], ["order_id"])}
        vals_list = [
            {
                "order_id": order.id,
                "service_type": FEEDBACK_SERVICE_TYPES.get(order.kf_order_type, "maintenance"),
                "date_arrival": order.date_start,
                "date_leave": order.date_done,
            }
            for order in self
            if order.id not in having and order.date_done
        ]
        return Feedback.with_context(mail_create_nolog=True).create(vals_list)

    def action_view_kf_feedback(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("kf_dispatch.kf_service_feedback_action")
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"default_order_id": self.id}
        return action
