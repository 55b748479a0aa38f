from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .kf_concurrency import hits_concurrent_rows

# contracts entering the renewal pipeline (or expiring) per call of the scan
RENEWAL_BATCH = 2000

RENEWAL_DAYS_PARAM = "kf_customer_service.renewal_days"
DEFAULT_RENEWAL_DAYS = 30
RENEWAL_ACTIVITY_XMLID = "kf_customer_service.mail_activity_type_kf_renewal"
MANAGER_GROUP_XMLID = "kf_customer_service.group_kf_manager"
# written by the renewal methods only, never by a user's write
RENEWAL_SYSTEM_FIELDS = frozenset(
    {
        "predecessor_id",
        "successor_id",
        "renewal_quote_state",
        "renewal_quote_approved_by_id",
        "renewal_quote_approved_on",
        "renewal_price_change",
    }
)


class KfServiceContract(models.Model):
    _name = "kf.service.contract"
    _description = "Service Contract"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin", "kf.document.mixin"]
    _order = "date_end desc, id desc"
    _kf_sequence_code = "kf.service.contract"

    name = fields.Char(string="Number", index="trigram")
    active = fields.Boolean(default=True, tracking=True)
    commercial_partner_id = fields.Many2one(string="Commercial Entity")
    contract_type = fields.Selection(
        [
            ("maintenance", "Maintenance"),
            ("emc", "EMC (energy management)"),
            ("engineering", "Engineering"),
            ("service", "Service"),
        ],
        string="Type",
        required=True,
        default="maintenance",
        tracking=True,
    )
    date_start = fields.Date(
        string="Start Date",
        required=True,
        default=fields.Date.context_today,
        tracking=True,
    )
    date_end = fields.Date(string="End Date", required=True, tracking=True, index=True)
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    amount = fields.Monetary(string="Contract Amount", tracking=True)
    user_id = fields.Many2one(
        string="Responsible Specialist",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        precompute=True,
        help="Defaults to the customer's specialist.",
    )
    project_id = fields.Many2one("project.project", check_company=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("running", "Running"),
            ("expired", "Expired"),
            ("renewed", "Renewed"),
            ("lost", "Lost"),
            ("cancelled", "Cancelled"),
        ],
        string="Status",
        required=True,
        default="draft",
        copy=False,
        tracking=True,
        index=True,
    )
    renewal_stage_id = fields.Many2one(
        "kf.renewal.stage",
        copy=False,
        tracking=True,
        index=True,
        ondelete="restrict",
        group_expand="_read_group_renewal_stage_ids",
        groups="base.group_user",
    )
    renewal_date_in = fields.Date(
        string="In Pipeline Since",
        copy=False,
        readonly=True,
        help="Date the contract entered the renewal pipeline.",
        groups="base.group_user",
    )
    lost_reason_id = fields.Many2one(
        "kf.renewal.lost.reason",
        copy=False,
        tracking=True,
        ondelete="restrict",
        groups="base.group_user",
    )
    lost_note = fields.Text(string="Lost Comment", copy=False, groups="base.group_user")
    predecessor_id = fields.Many2one(
        "kf.service.contract",
        string="Renewal Of",
        copy=False,
        readonly=True,
        index="btree_not_null",
        check_company=True,
    )
    successor_id = fields.Many2one(
        "kf.service.contract",
        string="Renewed By",
        copy=False,
        readonly=True,
        index="btree_not_null",
        check_company=True,
    )
    renewal_quote_state = fields.Selection(
        [
            ("to_approve", "Quote to Approve"),
            ("approved", "Quote Approved"),
            ("rejected", "Quote Rejected"),
        ],
        string="Renewal Quote",
        copy=False,
        readonly=True,
        tracking=True,
        index="btree_not_null",
        help="A renewal proposed as a quote: the contract starts only once a customer-service manager approves it.",
    )
    renewal_quote_approved_by_id = fields.Many2one(
        "res.users", string="Quote Approved By", copy=False, readonly=True, groups="base.group_user"
    )
    renewal_quote_approved_on = fields.Datetime(string="Quote Approved On", copy=False, readonly=True)
    renewal_price_change = fields.Float(
        string="Price Change (%)",
        copy=False,
        readonly=True,
        help="Change of the amount against the contract it renews.",
    )
    payment_line_ids = fields.One2many(
        "kf.contract.payment.line",
        "contract_id",
        string="Payment Schedule",
        copy=False,
    )
    amount_scheduled = fields.Monetary(string="Scheduled", compute="_compute_amounts", store=True)
    amount_invoiced = fields.Monetary(string="Invoiced", compute="_compute_amounts", store=True)
    amount_received = fields.Monetary(
        string="Received",
        compute="_compute_amounts",
        store=True,
        help="Paid on the invoices of the payment schedule, as accounting records it.",
    )
    amount_due = fields.Monetary(
        string="Outstanding",
        compute="_compute_amounts",
        store=True,
        help="Scheduled amounts not received yet.",
    )
    amount_overdue = fields.Monetary(
        string="Overdue",
        compute="_compute_amounts",
        store=True,
        help="Outstanding amounts whose due date has passed.",
    )
    payment_line_count = fields.Integer(string="Schedule Lines", compute="_compute_payment_line_count")
    invoice_ids = fields.One2many("account.move", "kf_contract_id", string="Invoices", readonly=True)
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    days_to_end = fields.Integer(
        string="Days Left",
        compute="_compute_days_to_end",
        help="Days until the end date (negative once it has passed).",
    )
    description = fields.Html(string="Scope of Service")
    color = fields.Integer(string="Color Index", groups="base.group_user")
    renewal_is_lost = fields.Boolean(related="renewal_stage_id.is_lost", groups="base.group_user")
    renewal_is_won = fields.Boolean(related="renewal_stage_id.is_won", groups="base.group_user")

    @api.depends("partner_id")
    def _compute_user_id(self):
        for contract in self:
            specialist = contract.partner_id.commercial_partner_id.kf_specialist_id
            contract.user_id = specialist or contract.user_id

    @api.depends(
        "payment_line_ids.amount",
        "payment_line_ids.amount_invoiced",
        "payment_line_ids.amount_paid",
        "payment_line_ids.amount_residual",
        "payment_line_ids.state",
    )
    def _compute_amounts(self):
        for contract in self:
            scheduled = invoiced = received = due = overdue = 0.0
            for line in contract.payment_line_ids:
                scheduled += line.amount
                invoiced += line.amount_invoiced
                received += line.amount_paid
                residual = line.amount_residual
                if residual > 0:
                    due += residual
                    if line.state == "overdue":
                        overdue += residual
            contract.amount_scheduled = scheduled
            contract.amount_invoiced = invoiced
            contract.amount_received = received
            contract.amount_due = due
            contract.amount_overdue = overdue

    def _compute_payment_line_count(self):
        counts = dict(
            self.env["kf.contract.payment.line"]._read_group(
                [("contract_id", "in", self.ids)], ["contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.payment_line_count = counts.get(contract, 0)

    def _compute_invoice_count(self):
        counts = dict(
            self.env["account.move"]
            .sudo()
            ._read_group(
                [("kf_contract_id", "in", self.ids), ("move_type", "in", ("out_invoice", "out_refund"))],
                ["kf_contract_id"],
                ["__count"],
            )
        )
        for contract in self:
            contract.invoice_count = counts.get(contract, 0)

    @api.depends("date_end")
    @api.depends_context("tz")
    def _compute_days_to_end(self):
        today = fields.Date.context_today(self)
        for contract in self:
            contract.days_to_end = (contract.date_end - today).days if contract.date_end else 0

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for contract in self:
            contract.access_url = f"/my/service-contracts/{contract.id}"
        return res

    @api.model
    def _read_group_renewal_stage_ids(self, stages, domain):
        return stages.search([("active", "=", True)], order=stages._order)

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for contract in self:
            if contract.date_start and contract.date_end and contract.date_end <= contract.date_start:
                raise ValidationError(
                    self.env._(
                        "Contract %(name)s: the end date (%(end)s) must be after the start date (%(start)s).",
                        name=contract.name,
                        end=contract.date_end,
                        start=contract.date_start,
                    )
                )

    @api.constrains("amount")
    def _check_amount(self):
        for contract in self:
            if contract.amount < 0:
                raise ValidationError(
                    self.env._(
                        "Contract %(name)s: the amount cannot be negative.",
                        name=contract.name,
                    )
                )

    @api.constrains("state", "renewal_quote_state")
    def _check_renewal_quote(self):
        for contract in self:
            if contract.renewal_quote_state in ("to_approve", "rejected") and contract.state not in (
                "draft",
                "cancelled",
            ):
                raise ValidationError(
                    self.env._(
                        "Contract %(name)s is a renewal quote that a customer-service manager has not "
                        "approved: it cannot start.",
                        name=contract.name,
                    )
                )

    @api.constrains("state", "lost_reason_id")
    def _check_lost_reason(self):
        for contract in self:
            if contract.state == "lost" and not contract.lost_reason_id:
                raise ValidationError(
                    self.env._(
                        "Contract %(name)s: give a lost reason before marking it lost.",
                        name=contract.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_history(self):
        """A contract that ran, received money or belongs to a renewal chain
        is audit history: archive it. Drafts and cancelled contracts without
        any of that may be deleted."""
        state_labels = dict(self._fields["state"]._description_selection(self.env))
        successor_of = {
            successor.predecessor_id.id: successor
            for successor in self.sudo().with_context(active_test=False).search([("predecessor_id", "in", self.ids)])
        }
        for contract in self.sudo().with_context(active_test=False):
            reasons = []
            if contract.state not in ("draft", "cancelled"):
                reasons.append(self.env._("its status is %(state)s", state=state_labels[contract.state]))
            if contract.payment_line_ids.filtered(lambda line: line.move_id and line.move_id.state != "cancel"):
                reasons.append(self.env._("its payment schedule is invoiced"))
            if contract.predecessor_id:
                reasons.append(self.env._("it renews %(name)s", name=contract.predecessor_id.name))
            successor = contract.successor_id or successor_of.get(contract.id)
            if successor:
                reasons.append(self.env._("it was renewed by %(name)s", name=successor.name))
            if reasons:
                raise UserError(
                    self.env._(
                        "Contract %(name)s cannot be deleted: %(reasons)s. Archive it instead.",
                        name=contract.name,
                        reasons="; ".join(reasons),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self._check_renewal_system_fields(
                {fname: value for vals in vals_list for fname, value in vals.items() if value}, creating=True
            )
        contracts = super().create(vals_list)
        contracts._mark_partners_as_customers()
        return contracts

    def write(self, vals):
        if not self.env.su:
            self._check_renewal_system_fields(vals)
        if "renewal_stage_id" in vals and not self.env.context.get("kf_stage_sync"):
            stage = self.env["kf.renewal.stage"].browse(vals["renewal_stage_id"])
            self._check_stage_move(stage, vals)
        res = super().write(vals)
        if "partner_id" in vals:
            self._mark_partners_as_customers()
        return res

    def _check_renewal_system_fields(self, vals, creating=False):
        """The renewal links and the quote approval are written by the
        renewal methods only (``kf_renew``, ``action_approve_renewal_quote``)."""
        fnames = RENEWAL_SYSTEM_FIELDS.intersection(vals)
        changed = {
            fname
            for fname in fnames
            for contract in self
            if contract._fields[fname].convert_to_write(contract[fname], contract) != (vals[fname] or False)
        }
        if creating:
            changed = fnames
        if changed:
            labels = ", ".join(sorted({self._fields[fname].get_description(self.env)["string"] for fname in changed}))
            raise UserError(
                self.env._(
                    "These fields are set by the renewal (the Renew button and the manager's approval), "
                    "not by hand: %(fields)s",
                    fields=labels,
                )
            )

    def _mark_partners_as_customers(self):
        partners = self.commercial_partner_id.filtered(lambda p: not p.kf_is_customer)
        if partners:
            partners.sudo().write({"kf_is_customer": True})

    def _check_stage_move(self, stage, vals):
        """Keep the contract state in line with the renewal stage when a user
        drags a card on the pipeline."""
        if not stage:
            return
        if stage.is_won:
            without_successor = self.filtered(lambda c: not c.successor_id)
            if without_successor:
                raise UserError(
                    self.env._(
                        "Use the Renew button to renew contract %(name)s: it creates the successor contract.",
                        name=without_successor[0].name,
                    )
                )
        elif stage.is_lost:
            if not vals.get("lost_reason_id") and self.filtered(lambda c: not c.lost_reason_id):
                raise UserError(
                    self.env._(
                        "Use the Mark Lost button to give a lost reason before "
                        "moving a contract to the stage %(stage)s.",
                        stage=stage.name,
                    )
                )
            vals["state"] = "lost"
        else:
            reopened = self.filtered(lambda c: c.state == "lost")
            if reopened:
                today = fields.Date.context_today(self)
                for contract in reopened:
                    contract.with_context(kf_stage_sync=True).write(
                        {
                            "state": "running" if contract.date_end >= today else "expired",
                            "lost_reason_id": False,
                        }
                    )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_confirm(self):
        for contract in self:
            if contract.state != "draft":
                raise UserError(self.env._("Only draft contracts can be started (%(name)s).", name=contract.name))
            if contract.renewal_quote_state in ("to_approve", "rejected"):
                raise UserError(
                    self.env._(
                        "Contract %(name)s is a renewal quote: a customer-service manager approves it, "
                        "which starts it.",
                        name=contract.name,
                    )
                )
        today = fields.Date.context_today(self)
        running = self.filtered(lambda c: c.date_end >= today)
        running.write({"state": "running"})
        (self - running).write({"state": "expired"})
        return True

    def action_cancel(self):
        if self.filtered(lambda c: c.state in ("renewed", "lost")):
            raise UserError(self.env._("Renewed or lost contracts cannot be cancelled."))
        self.write({"state": "cancelled"})
        return True

    def action_set_draft(self):
        if self.filtered(lambda c: c.state != "cancelled"):
            raise UserError(self.env._("Only cancelled contracts can be reset to draft."))
        self.write({"state": "draft", "renewal_stage_id": False, "renewal_date_in": False})
        return True

    def action_renew(self):
        """Button: open the renewal wizard (new start, term, amount, quote)."""
        self.ensure_one()
        self._check_can_renew()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Renew %(name)s", name=self.name),
            "res_model": "kf.service.contract.renew",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contract_id": self.id},
        }

    def create_successor(self, copy_lines=True):
        """Create the successor of this contract: same customer, type,
        amount and responsible, dates shifted by the contract's duration,
        optionally the payment schedule shifted the same way. The old
        contract moves to the renewed stage and state. Returns the
        successor."""
        self.ensure_one()
        self._lock_for_renewal()
        shift = self._renewal_shift()
        new_start = self.date_end + timedelta(days=1)
        vals = {
            "partner_id": self.partner_id.id,
            "contract_type": self.contract_type,
            "date_start": new_start,
            "date_end": shift(self.date_start, self.date_end),
            "amount": self.amount,
            "currency_id": self.currency_id.id,
            "company_id": self.company_id.id,
            "user_id": self.user_id.id,
            "project_id": self.project_id.id,
            "description": self.description,
            "predecessor_id": self.id,
        }
        if copy_lines:
            vals["payment_line_ids"] = [
                fields.Command.create(
                    {
                        "sequence": line.sequence,
                        "name": line.name,
                        "line_type": line.line_type,
                        "date_due": shift(self.date_start, line.date_due),
                        "amount": line.amount,
                    }
                )
                for line in self.payment_line_ids
            ]
        vals["predecessor_id"] = False
        successor = self.create(vals)
        successor.sudo().predecessor_id = self
        self._mark_renewed(successor)
        successor.message_post(
            body=Markup(self.env._("Renewal of %(link)s")) % {"link": self._get_html_link()},
            subtype_xmlid="mail.mt_note",
        )
        return successor

    def _check_can_renew(self):
        """A contract is renewed once, when it ran (running or expired)."""
        self.ensure_one()
        if self.successor_id:
            raise UserError(
                self.env._(
                    "Contract %(name)s was already renewed by %(successor)s.",
                    name=self.name,
                    successor=self.successor_id.name,
                )
            )
        if self.state not in ("running", "expired"):
            raise UserError(
                self.env._(
                    "Only running or expired contracts can be renewed (%(name)s).",
                    name=self.name,
                )
            )

    def _lock_for_renewal(self):
        """Lock this contract's row until the end of the transaction, then
        check it can be renewed: two renewals at once (two users, a double
        click) meet on the lock and the later one is refused instead of
        creating a second successor."""
        self.ensure_one()
        self.flush_recordset()
        query = SQL("SELECT id FROM kf_service_contract WHERE id = %s FOR UPDATE", self.id)
        if hits_concurrent_rows(self.env.cr, query, keep=True):
            raise UserError(
                self.env._(
                    "Contract %(name)s was renewed or changed by someone else meanwhile: reload it.",
                    name=self.name,
                )
            )
        self._check_can_renew()

    def _mark_renewed(self, successor):
        """Link the successor and move this contract to the renewed stage and
        state."""
        won_stage = self.env["kf.renewal.stage"].search([("is_won", "=", True)], limit=1)
        self.sudo().with_context(kf_stage_sync=True).write(
            {
                "successor_id": successor.id,
                "state": "renewed",
                "renewal_stage_id": won_stage.id or self.renewal_stage_id.id,
                "renewal_date_in": self.renewal_date_in or fields.Date.context_today(self),
            }
        )
        self.activity_feedback(
            [RENEWAL_ACTIVITY_XMLID],
            feedback=self.env._("Renewed by %(name)s", name=successor.name),
        )

    def kf_renew(self, date_start, date_end, amount, note=False, quote=False):
        """Renew this contract: create its successor from ``date_start`` to
        ``date_end`` for ``amount``, with the payment schedule regenerated for
        the new term and amount (``_renewal_payment_schedule``) and ``note``
        in its chatter. Without ``quote`` the successor starts and this
        contract moves to Renewed; with ``quote`` the successor waits as a
        quote for a customer-service manager's approval
        (``action_approve_renewal_quote``), this contract being reserved for
        it meanwhile. Returns the successor."""
        self.ensure_one()
        self._lock_for_renewal()
        if date_end <= date_start:
            raise UserError(
                self.env._(
                    "The renewal of %(name)s must end after it starts (%(start)s to %(end)s).",
                    name=self.name,
                    start=date_start,
                    end=date_end,
                )
            )
        if amount < 0:
            raise UserError(self.env._("The renewal of %(name)s cannot have a negative amount.", name=self.name))
        successor = self.create(
            {
                "partner_id": self.partner_id.id,
                "contract_type": self.contract_type,
                "date_start": date_start,
                "date_end": date_end,
                "amount": amount,
                "currency_id": self.currency_id.id,
                "company_id": self.company_id.id,
                "user_id": self.user_id.id,
                "project_id": self.project_id.id,
                "description": self.description,
                "payment_line_ids": self._renewal_payment_schedule(date_start, date_end, amount),
            }
        )
        change = (amount / self.amount - 1.0) * 100.0 if self.amount else 0.0
        successor.sudo().write(
            {
                "predecessor_id": self.id,
                "renewal_price_change": change,
                "renewal_quote_state": "to_approve" if quote else False,
            }
        )
        body = Markup(self.env._("Renewal of %(link)s")) % {"link": self._get_html_link()}
        if note:
            body += Markup("<br/>") + note
        successor.message_post(body=body, subtype_xmlid="mail.mt_note")
        if quote:
            self.sudo().with_context(kf_stage_sync=True).successor_id = successor
            successor._schedule_quote_approval()
        else:
            successor.action_confirm()
            self._mark_renewed(successor)
        return successor

    def _renewal_payment_schedule(self, date_start, date_end, amount):
        """The payment schedule of a renewal from ``date_start`` to ``date_end``
        for ``amount``: this contract's instalments placed at the same
        position of the new term and scaled to the new amount (the last one
        takes the rounding), or one instalment at the start when this
        contract has none. Returns the create commands."""
        lines = self.payment_line_ids.sorted(lambda line: (line.date_due, line.sequence, line.id))
        total = sum(lines.mapped("amount"))
        if not lines or not total:
            if not amount:
                return []
            return [
                fields.Command.create({"name": self.env._("Contract amount"), "date_due": date_start, "amount": amount})
            ]
        old_days = max((self.date_end - self.date_start).days, 1)
        new_days = (date_end - date_start).days
        currency = self.currency_id
        commands, left = [], amount
        for index, line in enumerate(lines):
            offset = min(max((line.date_due - self.date_start).days, 0), old_days)
            share = left if index == len(lines) - 1 else currency.round(amount * line.amount / total)
            left -= share
            commands.append(
                fields.Command.create(
                    {
                        "sequence": line.sequence,
                        "name": line.name,
                        "line_type": line.line_type,
                        "date_due": date_start + timedelta(days=round(offset * new_days / old_days)),
                        "amount": share,
                    }
                )
            )
        return commands

    def _schedule_quote_approval(self):
        """Give the company's customer-service manager an activity to approve
        this renewal quote."""
        manager = self.company_id.kf_get_manager()
        if not manager:
            return
        self.env["mail.activity"].kf_create_activities(
            self,
            "mail.mail_activity_data_todo",
            {
                contract.id: (
                    manager,
                    fields.Date.context_today(self),
                    self.with_context(lang=manager.lang).env._(
                        "Approve the renewal quote %(name)s", name=contract.name
                    ),
                    False,
                )
                for contract in self
            },
        )

    def _check_quote_approver(self):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP_XMLID):
            raise AccessError(self.env._("Only a customer-service manager approves or rejects a renewal quote."))
        for contract in self:
            if contract.renewal_quote_state != "to_approve":
                raise UserError(
                    self.env._("Contract %(name)s is not a renewal quote waiting for approval.", name=contract.name)
                )

    def action_approve_renewal_quote(self):
        """A customer-service manager approves the renewal quote: the
        successor starts and the contract it renews moves to Renewed."""
        self._check_quote_approver()
        for contract in self:
            predecessor = contract.predecessor_id
            contract.sudo().write(
                {
                    "renewal_quote_state": "approved",
                    "renewal_quote_approved_by_id": self.env.user.id,
                    "renewal_quote_approved_on": fields.Datetime.now(),
                }
            )
            contract.action_confirm()
            if predecessor:
                predecessor._mark_renewed(contract)
            contract.activity_feedback(["mail.mail_activity_data_todo"], feedback=self.env._("Renewal quote approved"))
        return True

    def action_reject_renewal_quote(self):
        """A customer-service manager rejects the renewal quote: it is
        cancelled and the contract it renews can be renewed again."""
        self._check_quote_approver()
        for contract in self:
            contract.sudo().write({"renewal_quote_state": "rejected", "state": "cancelled"})
            contract.predecessor_id.sudo().with_context(kf_stage_sync=True).write({"successor_id": False})
            contract.activity_unlink(["mail.mail_activity_data_todo"])
        return True

    def _renewal_shift(self):
        """Return a function mapping a date of this contract to the same date
        in the successor: by whole months when the contract spans whole
        months (so yearly contracts stay on the calendar), else by days."""
        self.ensure_one()
        next_start = self.date_end + timedelta(days=1)
        months = (next_start.year - self.date_start.year) * 12 + (next_start.month - self.date_start.month)
        if months > 0 and self.date_start + relativedelta(months=months) == next_start:
            return lambda start, value: value + relativedelta(months=months)
        days = (next_start - self.date_start).days
        return lambda start, value: value + timedelta(days=days)

    def action_mark_lost(self):
        """Open the contract in a small dialog asking for the lost reason."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Mark as Lost"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("kf_customer_service.kf_service_contract_view_form_lost").id, "form")],
            "target": "new",
        }

    def action_confirm_lost(self):
        lost_stage = self.env["kf.renewal.stage"].search([("is_lost", "=", True)], limit=1)
        for contract in self:
            if not contract.lost_reason_id:
                raise UserError(self.env._("Contract %(name)s: choose a lost reason.", name=contract.name))
            if contract.state in ("renewed", "cancelled"):
                raise UserError(
                    self.env._(
                        "Contract %(name)s is renewed or cancelled and cannot be lost.",
                        name=contract.name,
                    )
                )
        self.with_context(kf_stage_sync=True).write(
            {
                "state": "lost",
                "renewal_stage_id": lost_stage.id,
            }
        )
        self.activity_feedback([RENEWAL_ACTIVITY_XMLID], feedback=self.env._("Renewal lost"))
        return {"type": "ir.actions.act_window_close"}

    def action_view_payment_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Payment Schedule of %(name)s", name=self.name),
            "res_model": "kf.contract.payment.line",
            "view_mode": "list,form",
            "domain": [("contract_id", "=", self.id)],
            "context": {"default_contract_id": self.id},
        }

    def kf_portal_invoices(self):
        """The posted customer invoices and credit notes of this contract, as
        the portal lists them (call on the sudo record after the portal's
        access check)."""
        self.ensure_one()
        return self.invoice_ids.filtered(
            lambda move: move.state == "posted" and move.move_type in ("out_invoice", "out_refund")
        ).sorted(lambda move: (move.invoice_date or move.date, move.id), reverse=True)

    def action_view_invoices(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Invoices of %(name)s", name=self.name),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("kf_contract_id", "=", self.id)],
            "context": {"create": False},
        }

    def action_create_invoices(self):
        """Button: invoice the lines of the schedule not invoiced yet."""
        self.ensure_one()
        lines = self.sudo().payment_line_ids.filtered(lambda line: not line.move_id or line.move_id.state == "cancel")
        if not lines:
            raise UserError(self.env._("Every line of the payment schedule of %(name)s is invoiced.", name=self.name))
        self.payment_line_ids.browse(lines.ids).action_create_invoice()
        if not self.env.user.has_group("account.group_account_invoice"):
            return True
        return self.action_view_invoices()

    def action_view_predecessor(self):
        self.ensure_one()
        return self._open_contract(self.predecessor_id)

    def action_view_successor(self):
        self.ensure_one()
        return self._open_contract(self.successor_id)

    def _open_contract(self, contract):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": contract.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Scheduled actions
    # ------------------------------------------------------------------
    @api.model
    def _get_renewal_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(RENEWAL_DAYS_PARAM)
        try:
            return max(int(value), 0) if value else DEFAULT_RENEWAL_DAYS
        except ValueError:
            return DEFAULT_RENEWAL_DAYS

    def _get_responsible_users(self):
        """Map contract id -> user who receives the contract's activities: the
        contract's specialist, else the customer's specialist, else the
        manager of the contract's company; the first of them who can read the
        contract (an empty user when nobody can)."""
        return self.env["res.users"].kf_activity_users(
            self,
            {contract.id: contract.user_id | contract.commercial_partner_id.kf_specialist_id for contract in self},
        )

    @api.model
    def _cron_renewal_scan(self, batch_size=RENEWAL_BATCH):
        """Daily: put the running contracts ending within the renewal window
        into the first renewal stage and give their responsible an activity
        due today; then expire running contracts past their end date.
        Idempotent: contracts already in the pipeline are left alone.

        At most ``batch_size`` contracts per step and call (the cron runner
        calls again while some remain), so that a catch-up costs queries in
        proportion to the contracts it changes, not to the book. Contracts
        expire once none is left to enter the pipeline: a contract past its
        end date enters it first, as in a single run."""
        today = fields.Date.context_today(self)
        entering = self.search(self._renewal_to_enter_domain(today), limit=batch_size, order="date_end, id")
        entered = entering._renewal_enter_pipeline(today)
        done = len(entered)
        if entered and len(entering) == batch_size:
            remaining = self.search_count(self._renewal_to_enter_domain(today))
            remaining += self.search_count(self._renewal_to_expire_domain(today))
        else:
            expiring = self.search(self._renewal_to_expire_domain(today), limit=batch_size, order="date_end, id")
            done += len(expiring._renewal_expire())
            remaining = self.search_count(self._renewal_to_expire_domain(today)) if len(expiring) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return True

    @api.model
    def _renewal_to_enter_domain(self, today):
        """Running contracts ending within the renewal window (the
        ``renewal_days`` parameter) that are not in the pipeline yet."""
        limit_date = today + timedelta(days=self._get_renewal_days())
        return [("state", "=", "running"), ("renewal_stage_id", "=", False), ("date_end", "<=", limit_date)]

    @api.model
    def _renewal_to_expire_domain(self, today):
        """Running contracts whose end date has passed."""
        return [("state", "=", "running"), ("date_end", "<", today)]

    def _renewal_enter_pipeline(self, today):
        """Put these contracts into the first renewal stage, with an activity
        due ``today`` for their responsible."""
        contracts = self
        if not contracts:
            return contracts
        first_stage = self.env["kf.renewal.stage"].search([("is_won", "=", False), ("is_lost", "=", False)], limit=1)
        if not first_stage:
            return self.browse()
        # one batched UPDATE without per-record tracking messages: the
        # activity created below records the entry in the chatter
        contracts.with_context(tracking_disable=True, kf_stage_sync=True).write(
            {"renewal_stage_id": first_stage.id, "renewal_date_in": today}
        )
        responsible = contracts._get_responsible_users()
        # the activity shows in the chatter; no extra note per contract
        self.env["mail.activity"].kf_create_activities(
            contracts,
            RENEWAL_ACTIVITY_XMLID,
            {
                contract.id: (
                    responsible[contract.id],
                    today,
                    responsible[contract.id]
                    .kf_lang_env()
                    ._(
                        "Renew %(name)s (ends %(date)s)",
                        name=contract.name,
                        date=responsible[contract.id].kf_format_date(contract.date_end),
                    ),
                    False,
                )
                for contract in contracts
            },
        )
        return contracts

    def _renewal_expire(self):
        """Expire these contracts, with one note each in the chatter."""
        contracts = self
        if not contracts:
            return contracts
        contracts.with_context(tracking_disable=True).write({"state": "expired"})
        # written in the language of the person who follows the contract
        readers = {
            contract.id: contract.user_id or contract.commercial_partner_id.kf_specialist_id for contract in contracts
        }
        contracts._message_log_batch(
            bodies={
                contract.id: readers[contract.id]
                .kf_lang_env()
                ._(
                    "Status changed from Running to Expired: the end date %(date)s has passed.",
                    date=readers[contract.id].kf_format_date(contract.date_end),
                )
                for contract in contracts
            }
        )
        return contracts
