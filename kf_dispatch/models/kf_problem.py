from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

MANAGER_GROUP = "kf_customer_service.group_kf_manager"
# the kinds of problem logged, in display order (public: addons that report on
# problems import this list instead of repeating it)
PROBLEM_TYPES = [
    ("overdue", "Overdue delivery"),
    ("complaint", "Complaint"),
    ("quality", "Quality"),
    ("acceptance", "Acceptance"),
    ("warranty", "Warranty"),
]
# states the appraisal counts
COUNTED_STATES = ("confirmed", "resolved")
# set by the actions and the manager's void / reassign methods only
SYSTEM_FIELDS = frozenset({"state", "date_confirmed", "date_resolved", "void_reason", "voided_by_id", "voided_on"})
# what a problem is and whom it counts against: fixed once confirmed
LOCKED_FIELDS = frozenset(
    {
        "problem_type",
        "date",
        "partner_id",
        "project_id",
        "order_id",
        "ticket_id",
        "user_id",
        "company_id",
        "description",
        "active",
    }
)


class KfProblem(models.Model):
    _name = "kf.problem"
    _description = "Problem Log Entry"
    _inherit = ["mail.thread", "mail.activity.mixin", "kf.document.mixin"]
    _order = "date desc, id desc"
    _kf_sequence_code = "kf.problem"

    active = fields.Boolean(default=True, tracking=True)
    problem_type = fields.Selection(
        PROBLEM_TYPES,
        string="Type",
        required=True,
        default="quality",
        tracking=True,
        index=True,
    )
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True, index=True)
    # a problem may concern no customer (e.g. one found internally)
    partner_id = fields.Many2one(required=False)
    project_id = fields.Many2one("project.project", tracking=True, index=True, check_company=True)
    order_id = fields.Many2one("kf.dispatch.order", string="Work Order", tracking=True, index=True, check_company=True)
    ticket_id = fields.Many2one("kf.ticket", tracking=True, index=True, check_company=True)
    user_id = fields.Many2one(help="Person accountable for the problem (counted in their appraisal).")
    equipment_id = fields.Many2one("kf.equipment", tracking=True, index="btree_not_null", check_company=True)
    description = fields.Text()
    cause = fields.Text(string="Root Cause")
    corrective_action = fields.Text()
    evidence_attachment_ids = fields.Many2many(
        "ir.attachment",
        "kf_problem_evidence_rel",
        "problem_id",
        "attachment_id",
        string="Evidence",
        help="Photos, documents or messages proving the problem; at least one is needed to confirm it.",
    )
    evidence_count = fields.Integer(compute="_compute_evidence_count", store=True)
    state = fields.Selection(
        [("draft", "Draft"), ("confirmed", "Confirmed"), ("resolved", "Resolved"), ("voided", "Voided")],
        required=True,
        default="draft",
        copy=False,
        tracking=True,
        index=True,
    )
    date_confirmed = fields.Date(string="Confirmed On", readonly=True, copy=False)
    date_resolved = fields.Date(string="Resolved On", readonly=True, copy=False)
    void_reason = fields.Text(readonly=True, copy=False, tracking=True)
    voided_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    voided_on = fields.Datetime(readonly=True, copy=False)

    @api.depends("evidence_attachment_ids")
    def _compute_evidence_count(self):
        for problem in self:
            problem.evidence_count = len(problem.evidence_attachment_ids)

    @api.onchange("order_id")
    def _onchange_order_id(self):
        order = self.order_id
        if order:
            self.partner_id = self.partner_id or order.partner_id
            self.project_id = self.project_id or order.project_id
            self.user_id = self.user_id or order.user_id

    @api.onchange("ticket_id")
    def _onchange_ticket_id(self):
        ticket = self.ticket_id
        if ticket:
            self.partner_id = self.partner_id or ticket.partner_id
            self.project_id = self.project_id or ticket.project_id
            self.user_id = self.user_id or ticket.user_id

    @api.constrains("state", "evidence_attachment_ids")
    def _check_evidence(self):
        for problem in self:
            if problem.state in COUNTED_STATES and not problem.evidence_attachment_ids:
                raise ValidationError(
                    self.env._(
                        "Problem %(name)s counts in the appraisal: it needs at least one piece of evidence.",
                        name=problem.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_counted(self):
        kept = self.filtered(lambda p: p.state != "draft")
        if kept:
            raise UserError(
                self.env._(
                    "Only draft problems can be deleted; void or archive the others: %(names)s",
                    names=", ".join(kept.mapped("name")),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                system = SYSTEM_FIELDS.intersection(key for key, value in vals.items() if value and value != "draft")
                if system:
                    self._raise_system_fields(system)
        problems = super().create(vals_list)
        problems._attach_evidence()
        return problems

    def write(self, vals):
        if not self.env.su:
            self._check_user_write(vals)
        res = super().write(vals)
        if "evidence_attachment_ids" in vals:
            self._attach_evidence()
        return res

    def _raise_system_fields(self, fnames):
        labels = ", ".join(sorted(self._fields[fname].get_description(self.env)["string"] for fname in fnames))
        raise AccessError(self.env._("These problem fields change through the buttons only: %(fields)s", fields=labels))

    def _check_user_write(self, vals):
        """Rules of a user's write (the actions and the system write as
        superuser after their own checks): the state and its dates are the
        buttons'; once confirmed, what the problem is and whom it counts
        against change only through a manager's void or reassignment (with a
        reason), archiving is a manager's, evidence can only be added; the
        appraised person never reassigns or archives their own problem."""
        system = SYSTEM_FIELDS.intersection(vals)
        if system:
            self._raise_system_fields(system)
        user = self.env.user
        is_manager = user.has_group(MANAGER_GROUP)
        locked = LOCKED_FIELDS.intersection(vals)
        evidence_removed = any(
            command[0] not in (Command.CREATE, Command.LINK)
            for command in vals.get("evidence_attachment_ids") or ()
            if isinstance(command, (list, tuple))
        )
        for problem in self:
            if problem.state == "draft":
                if problem.user_id == user and not is_manager and {"user_id", "active"}.intersection(vals):
                    raise AccessError(
                        self.env._(
                            "Problem %(name)s counts against you: you cannot reassign or archive it.", name=problem.name
                        )
                    )
                continue
            if is_manager:
                forbidden = {"user_id"}.intersection(locked) if problem.state in COUNTED_STATES else set()
            else:
                forbidden = locked
            if forbidden or (evidence_removed and not is_manager):
                raise AccessError(
                    self.env._(
                        "Problem %(name)s is %(state)s: a customer-service manager voids or reassigns it, "
                        "with a reason; evidence can only be added.",
                        name=problem.name,
                        state=dict(self._fields["state"]._description_selection(self.env))[problem.state],
                    )
                )

    def _attach_evidence(self):
        for problem in self:
            problem.evidence_attachment_ids.filtered(lambda a: not a.res_id).sudo().write(
                {"res_model": problem._name, "res_id": problem.id}
            )

    def action_confirm(self):
        not_draft = self.filtered(lambda p: p.state != "draft")
        if not_draft:
            raise UserError(
                self.env._("Only draft problems can be confirmed: %(names)s", names=", ".join(not_draft.mapped("name")))
            )
        no_evidence = self.filtered(lambda p: not p.evidence_attachment_ids)
        if no_evidence:
            raise UserError(
                self.env._(
                    "Attach at least one piece of evidence before confirming: %(names)s",
                    names=", ".join(no_evidence.mapped("name")),
                )
            )
        self.check_access("write")
        self.sudo().write({"state": "confirmed", "date_confirmed": fields.Date.context_today(self)})
        return True

    def action_resolve(self):
        not_confirmed = self.filtered(lambda p: p.state != "confirmed")
        if not_confirmed:
            raise UserError(
                self.env._(
                    "Only confirmed problems can be resolved: %(names)s",
                    names=", ".join(not_confirmed.mapped("name")),
                )
            )
        self.check_access("write")
        self.sudo().write({"state": "resolved", "date_resolved": fields.Date.context_today(self)})
        return True

    def action_reset_draft(self):
        """Back to draft: only a voided problem, by a manager (a counted one
        is voided, with a reason, instead)."""
        self._check_manager_not_appraised()
        not_voided = self.filtered(lambda p: p.state != "voided")
        if not_voided:
            raise UserError(
                self.env._(
                    "Only voided problems can be reset to draft: %(names)s",
                    names=", ".join(not_voided.mapped("name")),
                )
            )
        self.sudo().write(
            {
                "state": "draft",
                "date_confirmed": False,
                "date_resolved": False,
                "void_reason": False,
                "voided_by_id": False,
                "voided_on": False,
            }
        )
        return True

    def _check_manager_not_appraised(self):
        user = self.env.user
        if not user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager can void, reassign or reset problems."))
        own = self.filtered(lambda p: p.user_id == user)
        if own:
            raise AccessError(
                self.env._(
                    "These problems count against you: another customer-service manager must decide on them: %(names)s",
                    names=", ".join(own.mapped("name")),
                )
            )
        self.check_access("write")

    def action_void(self, reason):
        """The manager's void of problems, with the reason in the chatter:
        a voided problem no longer counts in the appraisal."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the problem is voided."))
        self._check_manager_not_appraised()
        voided = self.filtered(lambda p: p.state == "voided")
        if voided:
            raise UserError(
                self.env._("These problems are already voided: %(names)s", names=", ".join(voided.mapped("name")))
            )
        self.sudo().write(
            {
                "state": "voided",
                "void_reason": reason,
                "voided_by_id": self.env.user.id,
                "voided_on": fields.Datetime.now(),
            }
        )
        for problem in self:
            problem.message_post(
                body=self.env._("Problem voided by %(user)s: %(reason)s", user=self.env.user.name, reason=reason)
            )
        return True

    def action_reassign(self, user, reason):
        """The manager's reassignment of problems to another person, with the
        reason in the chatter."""
        reason = (reason or "").strip()
        if not reason or not user:
            raise UserError(self.env._("Choose the person and say why the problem is reassigned."))
        self._check_manager_not_appraised()
        for problem in self:
            previous = problem.user_id
            problem.sudo().user_id = user
            problem.message_post(
                body=self.env._(
                    "Problem reassigned by %(user)s from %(old)s to %(new)s: %(reason)s",
                    user=self.env.user.name,
                    old=previous.name or "-",
                    new=user.name,
                    reason=reason,
                )
            )
        return True

    def action_open_void(self):
        return self._open_wizard("kf.problem.void", self.env._("Void Problem"))

    def action_open_reassign(self):
        return self._open_wizard("kf.problem.reassign", self.env._("Reassign Problem"))

    def _open_wizard(self, model, name):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_problem_id": self.id},
        }
