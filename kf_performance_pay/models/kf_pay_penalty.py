from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.misc import format_amount

from odoo.addons.kf_customer_service.models.kf_concurrency import hits_concurrent_rows

MANAGER_GROUP = "kf_customer_service.group_kf_manager"


class KfPayPenalty(models.Model):
    _name = "kf.pay.penalty"
    _description = "Penalty"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    # written by the server only (the workflow and the confirmation)
    SYSTEM_FIELDS = {
        "name",
        "state",
        "occurrence",
        "dismissal_flag",
        "step_id",
        "proposed_by_id",
        "confirmed_by_id",
        "confirmed_on",
        "cancel_reason",
        "employee_comment",
    }

    name = fields.Char(readonly=True, copy=False, default="/")
    user_id = fields.Many2one("res.users", "Employee", required=True, index=True, tracking=True, check_company=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, tracking=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    type_id = fields.Many2one(
        "kf.pay.penalty.type", "Penalty Type", required=True, index=True, tracking=True, check_company=True
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True, tracking=True)
    description = fields.Text()
    evidence_attachment_ids = fields.Many2many(
        "ir.attachment",
        "kf_pay_penalty_evidence_rel",
        "penalty_id",
        "attachment_id",
        "Evidence",
    )
    occurrence = fields.Integer(readonly=True, copy=False, help="Repeat number within the type's window.")
    step_id = fields.Many2one("kf.pay.penalty.step", "Step Applied", readonly=True, copy=False)
    manual_amount = fields.Boolean(related="step_id.manual_amount")
    amount = fields.Monetary(tracking=True, help="From the step, or entered by the manager when it has no figure.")
    dismissal_flag = fields.Boolean("Dismissal", readonly=True, copy=False, tracking=True)
    res_model = fields.Char("Source Model", readonly=True, index=True)
    res_id = fields.Many2oneReference("Source Record", model_field="res_model", readonly=True, index=True)
    state = fields.Selection(
        [("proposed", "Proposed"), ("confirmed", "Confirmed"), ("cancelled", "Cancelled")],
        default="proposed",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    proposed_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    confirmed_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    confirmed_on = fields.Datetime(readonly=True, copy=False)
    cancel_reason = fields.Text(readonly=True, copy=False, tracking=True)
    employee_comment = fields.Text(tracking=True, copy=False, help="The penalised employee's answer.")
    active = fields.Boolean(default=True, tracking=True)
    is_own = fields.Boolean(compute="_compute_is_own", help="The current user is the penalised employee.")

    def init(self):
        # one penalty of a type per source record: two scans meet on this index
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS kf_pay_penalty_source_unique
                   ON kf_pay_penalty (type_id, res_model, res_id) WHERE res_id IS NOT NULL"""
        )

    @api.depends_context("uid")
    @api.depends("user_id")
    def _compute_is_own(self):
        for penalty in self:
            penalty.is_own = penalty.user_id == self.env.user

    @api.constrains("state", "evidence_attachment_ids")
    def _check_evidence(self):
        for penalty in self:
            if penalty.state == "confirmed" and not penalty.evidence_attachment_ids:
                raise ValidationError(
                    self.env._("Penalty %(name)s needs at least one piece of evidence.", name=penalty.name)
                )

    @api.constrains("amount")
    def _check_amount(self):
        for penalty in self:
            if penalty.amount < 0:
                raise ValidationError(self.env._("A penalty amount is positive: it is deducted from the pay."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_decided(self):
        decided = self.filtered(lambda p: p.state != "proposed")
        if decided:
            raise UserError(
                self.env._(
                    "Confirmed and cancelled penalties are never deleted: %(names)s",
                    names=", ".join(decided.mapped("name")),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self._check_manager()
            for vals in vals_list:
                system = self.SYSTEM_FIELDS.intersection(k for k, v in vals.items() if v and v != "proposed")
                if system or vals.get("res_model") or vals.get("res_id"):
                    raise AccessError(self.env._("Penalties are confirmed and answered through their buttons."))
                if vals.get("user_id") == self.env.uid:
                    raise AccessError(self.env._("Nobody proposes a penalty for themselves."))
        for vals in vals_list:
            vals.setdefault("proposed_by_id", self.env.uid)
        penalties = super().create(vals_list)
        for penalty in penalties:
            penalty.sudo().name = self.env["ir.sequence"].sudo().next_by_code("kf.pay.penalty", penalty.date)
        penalties._attach_evidence()
        return penalties

    def write(self, vals):
        if not self.env.su:
            self._check_user_write(vals)
        res = super().write(vals)
        if "evidence_attachment_ids" in vals:
            self._attach_evidence()
        return res

    def _check_user_write(self, vals):
        """A user's write: the penalised employee writes their comment only,
        once confirmed; a manager edits a proposal of somebody else (the
        workflow fields are the buttons'); a decided penalty is locked."""
        user = self.env.user
        own = self.filtered(lambda p: p.user_id == user)
        if own:
            if set(vals) != {"employee_comment"} or own.filtered(lambda p: p.state != "confirmed"):
                raise AccessError(
                    self.env._("On your own penalty you can only write your comment, once it is confirmed.")
                )
            if self - own:
                raise AccessError(self.env._("Only the penalised employee comments on a penalty."))
            return
        self._check_manager()
        system = self.SYSTEM_FIELDS.intersection(vals)
        if system or {"res_model", "res_id"}.intersection(vals):
            raise AccessError(self.env._("Penalties are confirmed and answered through their buttons."))
        if vals.get("user_id") == user.id:
            raise AccessError(self.env._("Nobody proposes a penalty for themselves."))
        decided = self.filtered(lambda p: p.state != "proposed")
        if decided:
            raise UserError(
                self.env._(
                    "Penalty %(names)s is decided and cannot be changed; cancel it with a reason.",
                    names=", ".join(decided.mapped("name")),
                )
            )

    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager proposes, confirms or cancels penalties."))
        own = self.filtered(lambda p: p.user_id == self.env.user)
        if own:
            raise AccessError(self.env._("Nobody decides on a penalty against themselves."))

    def _attach_evidence(self):
        for penalty in self:
            penalty.evidence_attachment_ids.filtered(lambda a: not a.res_id).sudo().write(
                {"res_model": penalty._name, "res_id": penalty.id}
            )

    # ------------------------------------------------------------------ workflow
    def action_confirm(self):
        """The manager confirms with evidence: the occurrence within the
        type's window gives the step, its amount and the dismissal flag; the
        employee gets an activity and may answer."""
        self._check_manager()
        self.check_access("write")
        for penalty in self:
            if penalty.state != "proposed":
                raise UserError(self.env._("Only a proposed penalty can be confirmed: %(name)s", name=penalty.name))
            if not penalty.evidence_attachment_ids:
                raise UserError(
                    self.env._("Attach at least one piece of evidence before confirming %(name)s.", name=penalty.name)
                )
            penalty._kf_confirm_one()
        self._kf_notify_employee()
        return True

    def _kf_confirm_one(self):
        self.ensure_one()
        cr = self.env.cr
        self.flush_recordset()
        # two confirmations for one employee and type at once would both count
        # the same earlier penalties: the later one is refused
        probe = SQL(
            "SELECT id FROM kf_pay_penalty WHERE type_id = %s AND user_id = %s ORDER BY id FOR UPDATE",
            self.type_id.id,
            self.user_id.id,
        )
        if hits_concurrent_rows(cr, probe, keep=True):
            raise UserError(
                self.env._(
                    "Another penalty of %(user)s was confirmed at the same moment: confirm again.",
                    user=self.user_id.name,
                )
            )
        ptype = self.type_id
        start = ptype.kf_window_start(self.date)
        occurrence = self._kf_count_confirmed(ptype, self.user_id, start, self.date) + 1
        step = ptype.kf_step(occurrence)
        dismissal = bool(step.dismissal)
        if step.dismissal_repeat and start:
            previous_start = start - relativedelta(**{f"{ptype.window}s": 1})
            dismissal = dismissal or bool(
                self.search_count(
                    [
                        ("type_id", "=", ptype.id),
                        ("user_id", "=", self.user_id.id),
                        ("company_id", "=", self.company_id.id),
                        ("state", "=", "confirmed"),
                        ("step_id", "=", step.id),
                        ("date", ">=", previous_start),
                        ("date", "<", start),
                    ]
                )
            )
        amount = self.amount if step.manual_amount else step.amount
        if step.manual_amount and not amount:
            raise UserError(
                self.env._(
                    "Penalty %(name)s has no fixed figure (%(note)s): enter the amount before confirming.",
                    name=self.name,
                    note=step.note or ptype.name,
                )
            )
        self.sudo().write(
            {
                "state": "confirmed",
                "occurrence": occurrence,
                "step_id": step.id,
                "amount": amount,
                "dismissal_flag": dismissal,
                "confirmed_by_id": self.env.uid,
                "confirmed_on": fields.Datetime.now(),
            }
        )

    def _kf_count_confirmed(self, ptype, user, start, day):
        domain = [
            ("type_id", "=", ptype.id),
            ("user_id", "=", user.id),
            ("company_id", "=", self.company_id.id),
            ("state", "=", "confirmed"),
            ("date", "<=", day),
            ("id", "!=", self.id),
        ]
        if start:
            domain.append(("date", ">=", start))
        return self.sudo().with_context(active_test=False).search_count(domain)

    def _kf_notify_employee(self):
        """An activity for each penalised employee, in their language."""
        values = {}
        for penalty in self:
            user = penalty.user_id
            env = user.kf_lang_env()
            type_name = penalty.type_id.with_env(env).name
            summary = env._("Penalty: %(type)s", type=type_name)
            note = env._(
                "%(type)s on %(date)s (occurrence %(occurrence)s): %(amount)s deducted from your performance "
                "pay.%(dismissal)s You may answer in the comment of the penalty.",
                type=type_name,
                date=user.kf_format_date(penalty.date),
                occurrence=penalty.occurrence,
                amount=format_amount(env, penalty.amount, penalty.currency_id),
                dismissal=env._(" The rules provide for dismissal.") if penalty.dismissal_flag else "",
            )
            values[penalty.id] = (user, False, summary, note)
        self.env["mail.activity"].kf_create_activities(self, "mail.mail_activity_data_todo", values)

    def action_cancel(self, reason):
        """The manager cancels a penalty, with the reason in the chatter; a
        penalty already deducted by a reviewed or approved statement stays."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the penalty is cancelled."))
        self._check_manager()
        self.check_access("write")
        cancelled = self.filtered(lambda p: p.state == "cancelled")
        if cancelled:
            raise UserError(self.env._("Already cancelled: %(names)s", names=", ".join(cancelled.mapped("name"))))
        deducted = (
            self.env["kf.pay.statement.line"]
            .sudo()
            .search(
                [
                    ("source_key", "in", [p._kf_source_key() for p in self]),
                    ("statement_id.state", "!=", "draft"),
                ]
            )
        )
        if deducted:
            raise UserError(
                self.env._(
                    "These penalties are on a reviewed or approved pay statement: %(names)s. Reset the statement "
                    "or compensate with a reward.",
                    names=", ".join(deducted.statement_id.mapped("name")),
                )
            )
        self.sudo().write({"state": "cancelled", "cancel_reason": reason})
        for penalty in self:
            penalty.message_post(
                body=self.env._("Penalty cancelled by %(user)s: %(reason)s", user=self.env.user.name, reason=reason)
            )
        return True

    def action_open_cancel(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cancel Penalty"),
            "res_model": "kf.pay.penalty.cancel",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_penalty_id": self.id},
        }

    def action_open_source(self):
        self.ensure_one()
        if not self.res_model or not self.res_id:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def _kf_source_key(self):
        return f"penalty:{self.id}"

    def kf_set_comment(self, comment):
        """The penalised employee's answer (same rule as a plain write)."""
        self.write({"employee_comment": comment})
        return True
