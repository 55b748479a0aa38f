from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, float_is_zero

DUNNING_ACTIVITY_XMLID = "kf_customer_service.mail_activity_type_kf_dunning"


class KfContractPaymentLine(models.Model):
    _name = "kf.contract.payment.line"
    _description = "Contract Payment Schedule Line"
    _order = "contract_id, date_due, sequence, id"
    _rec_name = "name"

    contract_id = fields.Many2one(
        "kf.service.contract",
        required=True,
        ondelete="cascade",
        index=True,
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Description", required=True, default=lambda self: self.env._("Instalment"))
    partner_id = fields.Many2one(
        related="contract_id.commercial_partner_id",
        string="Customer",
        store=True,
        index=True,
    )
    user_id = fields.Many2one(
        related="contract_id.user_id",
        string="Responsible",
        store=True,
        index=True,
        groups="base.group_user",
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="contract_id.currency_id", store=True)
    contract_state = fields.Selection(related="contract_id.state", string="Contract Status")
    line_type = fields.Selection(
        [("payment", "Contract payment"), ("emc_fee", "EMC owner fee")],
        string="Type",
        required=True,
        default="payment",
    )
    date_due = fields.Date(string="Due Date", required=True, index=True)
    amount = fields.Monetary(string="Amount Due")
    amount_received = fields.Monetary(string="Received")
    amount_residual = fields.Monetary(string="Outstanding", compute="_compute_state", store=True)
    date_received = fields.Date()
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("partial", "Partially paid"),
            ("paid", "Paid"),
            ("overdue", "Overdue"),
        ],
        string="Status",
        compute="_compute_state",
        store=True,
        index=True,
    )
    dunning_episode_date = fields.Date(
        string="Dunned On",
        copy=False,
        readonly=True,
        help="Date the current overdue episode was dunned (an activity was "
        "given to the responsible). Cleared when the line is paid or its due "
        "date moves.",
        groups="base.group_user",
    )
    dunning_activity_id = fields.Many2one(
        "mail.activity",
        copy=False,
        readonly=True,
        ondelete="set null",
        groups="base.group_user",
    )
    note = fields.Char(groups="base.group_user")

    @api.depends("amount", "amount_received", "date_due", "currency_id")
    @api.depends_context("tz")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        for line in self:
            rounding = line.currency_id.rounding or 0.01
            residual = line.amount - line.amount_received
            line.amount_residual = max(residual, 0.0)
            if float_compare(residual, 0.0, precision_rounding=rounding) <= 0:
                line.state = "paid"
            elif line.date_due and line.date_due < today:
                line.state = "overdue"
            elif not float_is_zero(line.amount_received, precision_rounding=rounding):
                line.state = "partial"
            else:
                line.state = "pending"

    @api.constrains("amount", "amount_received")
    def _check_amounts(self):
        for line in self:
            if line.amount < 0 or line.amount_received < 0:
                raise ValidationError(
                    self.env._(
                        "Payment line %(line)s of contract %(contract)s: amounts cannot be negative.",
                        line=line.name,
                        contract=line.contract_id.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_received(self):
        """An instalment that received money is audit history."""
        received = self.filtered(lambda line: line.amount_received or line.state in ("paid", "partial"))
        if received:
            line = received[0]
            raise UserError(
                self.env._(
                    "Payment line %(line)s of contract %(contract)s has received payments and cannot be deleted.",
                    line=line.name,
                    contract=line.contract_id.name,
                )
            )

    def write(self, vals):
        if "date_due" in vals:
            # a new due date starts a new overdue episode
            vals = dict(vals, dunning_episode_date=False)
        res = super().write(vals)
        if {"amount", "amount_received"} & set(vals):
            self._clear_paid_dunning()
        return res

    def _clear_paid_dunning(self):
        """Close the dunning of the lines that are paid now."""
        paid = self.filtered(lambda line: line.state == "paid" and line.dunning_episode_date)
        if not paid:
            return
        activities = paid.sudo().dunning_activity_id
        paid.sudo().write({"dunning_episode_date": False, "dunning_activity_id": False})
        if activities:
            activities.action_feedback(feedback=self.env._("Payment received."))

    def action_register_full_payment(self):
        """Mark the selected lines as fully received today."""
        today = fields.Date.context_today(self)
        for line in self.filtered(lambda rec: rec.state != "paid"):
            line.write(
                {
                    "amount_received": line.amount,
                    "date_received": line.date_received or today,
                }
            )
        return True

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------
    @api.model
    def _cron_dunning_scan(self):
        """Daily: refresh the status of lines that fell due, close dunning
        episodes of lines no longer overdue, and give one activity per
        overdue line per episode to the line's responsible."""
        today = fields.Date.context_today(self)
        self.search(self._dunning_fell_due_domain(today))._refresh_due_state()
        self.search(self._dunning_ended_domain())._end_dunning_episode()
        self.search(self._dunning_to_dun_domain())._dun(today)
        return True

    @api.model
    def _dunning_fell_due_domain(self, today):
        """Lines that fell due since their status was last computed."""
        return [("state", "in", ("pending", "partial")), ("date_due", "<", today)]

    @api.model
    def _dunning_ended_domain(self):
        """Lines of a dunning episode that ended (paid, or due date moved
        without ``write()``)."""
        return [("dunning_episode_date", "!=", False), ("state", "!=", "overdue")]

    @api.model
    def _dunning_to_dun_domain(self):
        """Overdue lines of a live contract not dunned in this episode yet."""
        return [
            ("state", "=", "overdue"),
            ("dunning_episode_date", "=", False),
            ("contract_id.state", "in", ("running", "expired", "renewed")),
        ]

    def _refresh_due_state(self):
        """Recompute the date-dependent stored fields of these lines and of
        their contracts' totals, in batch (recomputation does not cascade)."""
        if not self:
            return
        contracts = self.contract_id
        Contract = contracts.browse()
        self.env.add_to_compute(self._fields["state"], self)
        self.env.add_to_compute(self._fields["amount_residual"], self)
        for fname in ("amount_scheduled", "amount_received", "amount_due", "amount_overdue"):
            self.env.add_to_compute(Contract._fields[fname], contracts)
        self.flush_recordset(["state", "amount_residual"])
        contracts.flush_recordset(["amount_due", "amount_overdue"])

    def _end_dunning_episode(self):
        if self:
            self.write({"dunning_episode_date": False, "dunning_activity_id": False})

    def _dun(self, today):
        """One activity per line for the responsible of its contract, due
        ``today``; opens the line's dunning episode. Lines whose contract
        nobody can read yet are left to the next scan."""
        lines = self
        responsible = lines.contract_id._get_responsible_users()
        # nobody who can read the contract yet: retried by the next scan
        lines = lines.filtered(lambda line: responsible[line.contract_id.id])
        if not lines:
            return True
        lines.write({"dunning_episode_date": today})
        activities = self.env["mail.activity"].kf_create_activities(
            lines.contract_id,
            DUNNING_ACTIVITY_XMLID,
            [
                (
                    line.contract_id.id,
                    (
                        responsible[line.contract_id.id],
                        today,
                        self.env._(
                            "Collect %(amount)s %(currency)s due %(date)s (%(line)s)",
                            amount=line.amount_residual,
                            currency=line.currency_id.name or "",
                            date=line.date_due,
                            line=line.name,
                        ),
                        False,
                    ),
                )
                for line in lines
            ],
        )
        for line, activity in zip(lines, activities, strict=True):
            line.dunning_activity_id = activity
        return True
