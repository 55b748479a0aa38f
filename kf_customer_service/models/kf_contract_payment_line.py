from collections import defaultdict
from datetime import timedelta

from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare, float_is_zero
from odoo.tools.misc import format_amount, format_date

from .kf_concurrency import lock_key

DUNNING_ACTIVITY_XMLID = "kf_customer_service.mail_activity_type_kf_dunning"
DUNNING_CALL_ACTIVITY_XMLID = "kf_customer_service.mail_activity_type_kf_dunning_call"
DUNNING_LETTER_REPORT_XMLID = "kf_customer_service.action_report_kf_dunning_letter"
# fields an invoice freezes: change them with a credit note and a new line
INVOICED_FIELDS = {"amount", "date_due", "contract_id", "line_type", "currency_id"}
INVOICE_BATCH = 500


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
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        groups="account.group_account_invoice",
        help="The customer invoice of this line. Amounts invoiced, paid and outstanding are read from it.",
    )
    invoice_name = fields.Char(related="move_id.name", string="Invoice Number")
    invoice_date_due = fields.Date(related="move_id.invoice_date_due", string="Invoice Due Date")
    amount_invoiced = fields.Monetary(
        compute="_compute_state",
        store=True,
        help="Invoiced amount less the credit notes issued against the invoice.",
    )
    amount_paid = fields.Monetary(
        string="Paid",
        compute="_compute_state",
        store=True,
        help="Part of the invoiced amount settled by payments (never more than invoiced).",
    )
    amount_residual = fields.Monetary(
        string="Outstanding",
        compute="_compute_state",
        store=True,
        help="Open amount of the invoice, or the whole amount while not invoiced.",
    )
    state = fields.Selection(
        [
            ("pending", "To invoice"),
            ("invoiced", "Invoiced"),
            ("partial", "Partially paid"),
            ("paid", "Paid"),
            ("overdue", "Overdue"),
        ],
        string="Status",
        compute="_compute_state",
        store=True,
        index=True,
    )
    days_overdue = fields.Integer(
        compute="_compute_days_overdue",
        compute_sudo=True,
        help="Days since the invoice fell due, while it is not paid.",
    )
    dunning_episode_date = fields.Date(
        string="Dunned On",
        copy=False,
        readonly=True,
        help="Date the last step of the dunning ladder was taken for this line. Cleared when the line is paid.",
        groups="base.group_user",
    )
    dunning_step_id = fields.Many2one(
        "kf.dunning.step",
        copy=False,
        readonly=True,
        ondelete="set null",
        groups="base.group_user",
        help="The last step of the dunning ladder taken for the overdue invoice.",
    )
    dunning_activity_id = fields.Many2one(
        "mail.activity",
        copy=False,
        readonly=True,
        ondelete="set null",
        groups="base.group_user",
    )
    note = fields.Char(groups="base.group_user")

    _sql_constraints = [
        ("move_uniq", "unique(move_id)", "An invoice belongs to one payment schedule line only."),
    ]

    @api.depends(
        "amount",
        "date_due",
        "currency_id",
        "move_id.state",
        "move_id.amount_total",
        "move_id.amount_residual",
        "move_id.invoice_date_due",
        "move_id.reversal_move_ids.state",
        "move_id.reversal_move_ids.amount_total",
    )
    @api.depends_context("tz")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        for line in self:
            rounding = line.currency_id.rounding or 0.01
            move = line.move_id
            if not move or move.state == "cancel":
                line.amount_invoiced = line.amount_paid = 0.0
                line.amount_residual = max(line.amount, 0.0)
                line.state = "pending"
                continue
            refunds = move.reversal_move_ids.filtered(lambda m: m.state == "posted")
            invoiced = max(move.amount_total - sum(refunds.mapped("amount_total")), 0.0)
            residual = min(max(move.amount_residual, 0.0), invoiced)
            line.amount_invoiced = invoiced
            line.amount_residual = residual
            # an overpayment stays an open credit of the customer in accounting
            line.amount_paid = invoiced - residual
            if float_is_zero(residual, precision_rounding=rounding):
                line.state = "paid"
            elif (move.invoice_date_due or line.date_due) < today and move.state == "posted":
                line.state = "overdue"
            elif float_compare(residual, invoiced, precision_rounding=rounding) < 0:
                line.state = "partial"
            else:
                line.state = "invoiced"

    @api.depends("state", "move_id.invoice_date_due", "date_due")
    @api.depends_context("tz")
    def _compute_days_overdue(self):
        today = fields.Date.context_today(self)
        for line in self:
            due = line.move_id.invoice_date_due or line.date_due
            line.days_overdue = (today - due).days if line.state == "overdue" and due else 0

    @api.constrains("amount")
    def _check_amounts(self):
        for line in self:
            if line.amount < 0:
                raise ValidationError(
                    self.env._(
                        "Payment line %(line)s of contract %(contract)s: amounts cannot be negative.",
                        line=line.name,
                        contract=line.contract_id.name,
                    )
                )

    @api.constrains("move_id")
    def _check_move(self):
        for line in self.sudo().filtered("move_id"):
            move = line.move_id
            if move.move_type != "out_invoice" or move.kf_payment_line_id != line:
                raise ValidationError(
                    self.env._(
                        "Payment line %(line)s: %(move)s is not the customer invoice of this line.",
                        line=line.name,
                        move=move.display_name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_invoiced(self):
        """An invoiced instalment is accounting history."""
        invoiced = self.sudo().filtered(lambda line: line.move_id and line.move_id.state != "cancel")
        if invoiced:
            line = invoiced[0]
            raise UserError(
                self.env._(
                    "Payment line %(line)s of contract %(contract)s is invoiced (%(invoice)s) and cannot be "
                    "deleted. Cancel or credit the invoice first.",
                    line=line.name,
                    contract=line.contract_id.name,
                    invoice=line.move_id.name,
                )
            )

    def write(self, vals):
        frozen = INVOICED_FIELDS & set(vals)
        if frozen:
            self._check_not_invoiced(frozen, vals)
        if "move_id" in vals and not self.env.su:
            raise UserError(self.env._("The invoice of a payment line is set by invoicing it, never by hand."))
        res = super().write(vals)
        if {"amount", "move_id"} & set(vals):
            self._clear_paid_dunning()
        return res

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("move_id") for vals in vals_list):
            raise UserError(self.env._("The invoice of a payment line is set by invoicing it, never by hand."))
        return super().create(vals_list)

    def _check_not_invoiced(self, fnames, vals):
        for line in self.sudo().filtered(lambda rec: rec.move_id and rec.move_id.state != "cancel"):
            changed = [
                fname
                for fname in fnames
                if self._fields[fname].convert_to_cache(vals[fname], line)
                != self._fields[fname].convert_to_cache(line[fname], line)
            ]
            if changed:
                raise UserError(
                    self.env._(
                        "Payment line %(line)s is invoiced (%(invoice)s): its %(fields)s cannot change. "
                        "Issue a credit note and schedule a new line instead.",
                        line=line.name,
                        invoice=line.move_id.name,
                        fields=", ".join(self._fields[f].get_description(self.env)["string"] for f in changed),
                    )
                )

    def _clear_paid_dunning(self):
        """Close the dunning of the lines that are paid now."""
        self.sudo().filtered(lambda line: line.state == "paid" and line.dunning_episode_date)._end_dunning_episode()

    # ------------------------------------------------------------------
    # Invoicing
    # ------------------------------------------------------------------
    def action_create_invoice(self):
        """Button: invoice these lines now (refused for a line already
        invoiced) and open the invoice of a single line."""
        self.check_access("write")
        lines = self.sudo()._lock_for_invoicing(wait=True)
        invoiced = (self.sudo() - lines) | lines.filtered(lambda line: line.move_id and line.move_id.state != "cancel")
        if invoiced:
            line = invoiced[0]
            raise UserError(
                self.env._(
                    "Payment line %(line)s of contract %(contract)s is already invoiced (%(invoice)s).",
                    line=line.name,
                    contract=line.contract_id.name,
                    invoice=line.move_id.name or "",
                )
            )
        moves = lines._create_invoices()
        if len(moves) != 1 or not self.env.user.has_group("account.group_account_invoice"):
            return True
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": moves.id,
            "view_mode": "form",
        }

    def action_view_invoice(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }

    def _lock_for_invoicing(self, wait=False):
        """Lock these lines' rows for invoicing and return the lines still
        without a live invoice. ``wait``: wait for another transaction
        invoicing them (a button), else skip the rows it holds (a cron). A row
        another transaction invoiced after this one began is left out
        (``wait``: the error makes Odoo retry the request, which then sees
        the invoice)."""
        if not self:
            return self
        self.flush_recordset(["move_id"])
        query = SQL("SELECT id FROM kf_contract_payment_line WHERE id = ANY(%s) ORDER BY id FOR UPDATE", self.ids)
        if wait:
            self.env.cr.execute(query)
            ids = [row[0] for row in self.env.cr.fetchall()]
        else:
            ids = self._lock_rows(self.ids)
            if ids is None:
                ids = [rid for rid in self.ids if self._lock_rows([rid])]
        lines = self.browse(ids)
        self.invalidate_recordset(["move_id"])
        return lines.filtered(lambda line: not line.move_id or line.move_id.state == "cancel")

    def _lock_rows(self, ids):
        """The ids of ``ids`` locked now (SKIP LOCKED); None when one of them
        was changed by a transaction committed after this one began."""
        cr = self.env.cr
        savepoint = cr.savepoint(flush=False)
        try:
            cr.execute(
                SQL(
                    "SELECT id FROM kf_contract_payment_line WHERE id = ANY(%s) ORDER BY id FOR UPDATE SKIP LOCKED",
                    list(ids),
                ),
                log_exceptions=False,
            )
        except errors.SerializationFailure:
            savepoint.close(rollback=True)
            return None
        rows = [row[0] for row in cr.fetchall()]
        savepoint.close(rollback=False)
        return rows

    def _create_invoices(self, skip_busy=False):
        """Create and post one customer invoice per line (already locked and
        checked), in one ``create()`` per company. Returns the invoices.

        Two transactions posting in one journal at once would both take the
        journal's next number (Odoo numbers from the transaction's snapshot):
        each first rewrites the journal's row, so the later one fails with a
        serialization error, which Odoo retries for a request. With
        ``skip_busy`` (a cron batch) the companies whose journal another
        transaction is using are left to the next call instead."""
        Move = self.env["account.move"].sudo()
        moves = Move.browse()
        for company, lines in self.grouped("company_id").items():
            journal, product = lines._invoicing_setup(company)
            if not self._claim_journal(journal, skip_busy):
                continue
            vals_list = [line._prepare_invoice_vals(journal, product) for line in lines]
            company_moves = Move.with_company(company).with_context(default_move_type="out_invoice").create(vals_list)
            company_moves.action_post()
            for line, move in zip(lines, company_moves, strict=True):
                line.sudo().move_id = move
            moves |= company_moves
        return moves

    def _claim_journal(self, journal, skip_busy):
        """Rewrite ``journal``'s row (see ``_create_invoices``); False when
        ``skip_busy`` and another transaction posted in it meanwhile."""
        query = SQL("UPDATE account_journal SET write_date = write_date WHERE id = %s", journal.id)
        if not skip_busy:
            # the serialization error is expected and retried: not a bad query
            self.env.cr.execute(query, log_exceptions=False)
            return True
        savepoint = self.env.cr.savepoint(flush=False)
        try:
            self.env.cr.execute(query, log_exceptions=False)
        except errors.SerializationFailure:
            savepoint.close(rollback=True)
            return False
        savepoint.close(rollback=False)
        return True

    def _invoicing_setup(self, company):
        """(sales journal, service product) used to invoice the lines of
        ``company``; a clear error when accounting is not set up."""
        journal = (
            self.env["account.journal"]
            .sudo()
            .search([("type", "=", "sale"), ("company_id", "=", company.id)], order="sequence, id", limit=1)
        )
        if not journal:
            raise UserError(
                self.env._(
                    "Company %(company)s has no sales journal: install a chart of accounts before invoicing "
                    "payment schedules.",
                    company=company.name,
                )
            )
        product = company.sudo().kf_invoice_product_id or self.env.ref(
            "kf_customer_service.product_kf_service_fee", raise_if_not_found=False
        )
        return journal, product

    def _prepare_invoice_vals(self, journal, product):
        self.ensure_one()
        contract = self.contract_id
        line_vals = {
            "name": f"{contract.name} {self.name}",
            "quantity": 1.0,
            "price_unit": self.amount,
        }
        if product:
            line_vals["product_id"] = product.id
            line_vals["tax_ids"] = [
                fields.Command.set(product.taxes_id.filtered(lambda t: t.company_id == journal.company_id).ids)
            ]
        return {
            "move_type": "out_invoice",
            "partner_id": contract.partner_id.id,
            "company_id": journal.company_id.id,
            "journal_id": journal.id,
            "currency_id": self.currency_id.id,
            "invoice_date": min(fields.Date.context_today(self), self.date_due),
            "invoice_date_due": self.date_due,
            "invoice_payment_term_id": False,
            "invoice_origin": contract.name,
            "invoice_user_id": self.user_id.id,
            "kf_payment_line_id": self.id,
            "invoice_line_ids": [fields.Command.create(line_vals)],
        }

    @api.model
    def _cron_invoice_scan(self, batch_size=INVOICE_BATCH):
        """Daily: invoice the lines falling due within their company's lead
        days (``res.company.kf_invoice_lead_days``), a batch per call. Two
        runs at once share the work: each skips the rows the other holds."""
        today = fields.Date.context_today(self)
        candidates = self.search(self._invoice_due_domain(today), limit=batch_size, order="date_due, id")
        lines = candidates._lock_for_invoicing()
        done = lines._create_invoices(skip_busy=True).kf_payment_line_id if lines else lines
        remaining = self.search_count(self._invoice_due_domain(today)) if len(candidates) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=len(done), remaining=remaining)
        return True

    @api.model
    def _invoice_due_domain(self, today):
        """Lines of live contracts not invoiced yet whose due date is within
        their company's invoicing lead days."""
        by_days = self.env["res.company"].sudo()._read_group([], ["kf_invoice_lead_days"], ["id:array_agg"])
        dates = [
            ["&", ("company_id", "in", ids), ("date_due", "<=", today + timedelta(days=days))] for days, ids in by_days
        ]
        return [
            ("move_id", "=", False),
            ("amount", ">", 0),
            ("contract_id.state", "in", ("running", "expired", "renewed")),
            *(["|"] * (len(dates) - 1)),
            *[term for clause in dates for term in clause],
        ]

    # ------------------------------------------------------------------
    # Dunning
    # ------------------------------------------------------------------
    @api.model
    def _cron_dunning_scan(self):
        """Daily: refresh the status of invoices that fell due, close the
        dunning of lines no longer overdue, and take the next step of the
        company's dunning ladder for each overdue line that reached it. A
        second run while one is in progress does nothing (it would take the
        same steps again)."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", lock_key(self._name, "dunning")))
        if not self.env.cr.fetchone()[0]:
            return True
        today = fields.Date.context_today(self)
        self.search(self._dunning_fell_due_domain(today))._refresh_due_state()
        self.search(self._dunning_ended_domain())._end_dunning_episode()
        self.search(self._dunning_to_dun_domain())._dun(today)
        return True

    @api.model
    def _dunning_fell_due_domain(self, today):
        """Invoiced lines that fell due since their status was last computed."""
        return [("state", "in", ("invoiced", "partial")), ("move_id.invoice_date_due", "<", today)]

    @api.model
    def _dunning_ended_domain(self):
        """Lines of a dunning episode that ended (paid or credited)."""
        return [("dunning_episode_date", "!=", False), ("state", "!=", "overdue")]

    @api.model
    def _dunning_to_dun_domain(self):
        """Overdue lines of a live contract not dunned today."""
        today = fields.Date.context_today(self)
        return [
            ("state", "=", "overdue"),
            ("contract_id.state", "in", ("running", "expired", "renewed")),
            "|",
            ("dunning_episode_date", "=", False),
            ("dunning_episode_date", "<", today),
        ]

    def _refresh_due_state(self):
        """Recompute the date-dependent stored fields of these lines and of
        their contracts' totals, in batch (recomputation does not cascade)."""
        if not self:
            return
        contracts = self.contract_id
        Contract = contracts.browse()
        for fname in ("state", "amount_residual", "amount_paid", "amount_invoiced"):
            self.env.add_to_compute(self._fields[fname], self)
        for fname in ("amount_scheduled", "amount_received", "amount_due", "amount_overdue"):
            self.env.add_to_compute(Contract._fields[fname], contracts)
        self.flush_recordset(["state", "amount_residual"])
        contracts.flush_recordset(["amount_due", "amount_overdue"])

    def _end_dunning_episode(self):
        """End the dunning of these lines (paid or credited): their open
        dunning activity is marked done."""
        if not self:
            return
        activities = self.sudo().dunning_activity_id
        self.write({"dunning_episode_date": False, "dunning_activity_id": False, "dunning_step_id": False})
        if activities:
            activities.action_feedback(feedback=self.env._("Payment received."))

    def _next_dunning_steps(self, today):
        """{line: step} — the highest step of its company's ladder the line
        reached (days overdue) above the step already taken; lines with
        nothing new are left out. A line overdue for long takes only its
        highest step (one action, not the whole ladder at once)."""
        Step = self.env["kf.dunning.step"].sudo()
        ladders = {company: Step.kf_ladder(company) for company in self.company_id}
        result = {}
        for line in self:
            days = (today - line.move_id.invoice_date_due).days
            done = line.dunning_step_id
            floor = (done.days_overdue, done.sequence, done.id) if done else None
            reached = [
                step
                for step in ladders[line.company_id]
                if step.days_overdue <= days and (floor is None or (step.days_overdue, step.sequence, step.id) > floor)
            ]
            if reached:
                result[line] = reached[-1]
        return result

    def _dunning_step_reached(self, today):
        """The lines among these that reached a step of their company's
        ladder above the one they took (what ``_next_dunning_steps`` keeps),
        found in one query: the overdue lines with nothing new are not read."""
        if not self:
            return self
        self.flush_recordset(["company_id", "move_id", "dunning_step_id"])
        self.env["account.move"].flush_model(["invoice_date_due"])
        self.env["kf.dunning.step"].flush_model(["company_id", "days_overdue", "sequence", "active"])
        rows = self.env.execute_query(
            SQL(
                """SELECT l.id
                     FROM kf_contract_payment_line l
                     JOIN account_move m ON m.id = l.move_id
                LEFT JOIN kf_dunning_step d ON d.id = l.dunning_step_id
                    WHERE l.id = ANY(%(ids)s)
                      AND EXISTS (
                          SELECT 1 FROM kf_dunning_step s
                           WHERE s.active
                             AND (s.company_id = l.company_id
                                  OR (s.company_id IS NULL AND NOT EXISTS (
                                      SELECT 1 FROM kf_dunning_step o
                                       WHERE o.active AND o.company_id = l.company_id)))
                             AND s.days_overdue <= %(today)s - m.invoice_date_due
                             AND (d.id IS NULL
                                  OR (s.days_overdue, s.sequence, s.id) > (d.days_overdue, d.sequence, d.id)))""",
                ids=self.ids,
                today=today,
            )
        )
        reached = {row[0] for row in rows}
        return self.browse([line_id for line_id in self.ids if line_id in reached])

    def _dun(self, today):
        """Take the next dunning step of these overdue lines: a reminder
        activity, a phone call (an activity whose feedback is the call's
        outcome), a dunning letter (PDF posted on the contract) or an
        escalation to the company's customer-service manager. A step is
        taken once: the line records it. Lines whose contract nobody can
        read yet are left to the next scan."""
        lines = self.sudo()._dunning_step_reached(today)
        steps = lines._next_dunning_steps(today)
        if not steps:
            return True
        contracts = lines.contract_id
        responsible = contracts._get_responsible_users()
        escalated = self.env["kf.service.contract"].browse(
            [line.contract_id.id for line, step in steps.items() if step.action_type == "escalation"]
        )
        managers = self.env["res.users"].kf_activity_users(escalated, manager_first=True) if escalated else {}
        by_type = defaultdict(list)
        taken = set()
        for line, step in steps.items():
            if step.action_type == "escalation":
                user = managers[line.contract_id.id]
            else:
                user = responsible[line.contract_id.id]
            if not user and step.action_type != "letter":
                continue
            by_type[step.action_type].append((line, step, user))
            taken.add(line.id)
        for line, step, _user in by_type.pop("letter", []):
            line._post_dunning_letter(step)
        for action_type, items in by_type.items():
            xmlid = DUNNING_CALL_ACTIVITY_XMLID if action_type == "call" else DUNNING_ACTIVITY_XMLID
            activities = self.env["mail.activity"].kf_create_activities(
                contracts,
                xmlid,
                [
                    (line.contract_id.id, (user, today, line._dunning_summary(step, user), False))
                    for line, step, user in items
                ],
            )
            for (line, _step, _user), activity in zip(items, activities, strict=True):
                line.dunning_activity_id = activity
        by_step = defaultdict(lambda: self.browse())
        for line, step in steps.items():
            if line.id in taken:
                by_step[step] |= line
        for step, step_lines in by_step.items():
            step_lines.write({"dunning_episode_date": today, "dunning_step_id": step.id})
        return True

    def _dunning_summary(self, step, user):
        """The activity summary of ``step`` in the language of ``user``."""
        self.ensure_one()
        env = self.with_context(lang=user.lang or self.env.lang).env
        values = {
            "amount": format_amount(env, self.amount_residual, self.currency_id),
            "date": format_date(env, self.move_id.invoice_date_due),
            "invoice": self.move_id.name,
            "days": self.days_overdue or (fields.Date.context_today(self) - self.move_id.invoice_date_due).days,
            "customer": self.partner_id.name,
        }
        if step.action_type == "call":
            return env._(
                "Call %(customer)s: %(amount)s overdue for %(days)s days (%(invoice)s, due %(date)s); log the outcome",
                **values,
            )
        if step.action_type == "escalation":
            return env._(
                "Escalation: %(customer)s owes %(amount)s overdue for %(days)s days (%(invoice)s, due %(date)s)",
                **values,
            )
        return env._("Collect %(amount)s overdue for %(days)s days (%(invoice)s, due %(date)s)", **values)

    def _dunning_letter_lang(self):
        """Letters go out in Chinese unless the customer reads another
        Chinese variant; English when Chinese is not installed."""
        lang = self.partner_id.lang or ""
        if lang.startswith("zh_"):
            return lang
        installed = dict(self.env["res.lang"].get_installed())
        return "zh_CN" if "zh_CN" in installed else lang or "en_US"

    def _post_dunning_letter(self, step):
        """Render the dunning letter of this line as a PDF and post it on the
        contract's chatter (internal note)."""
        self.ensure_one()
        line = self.with_context(lang=self._dunning_letter_lang())
        report = self.env.ref(DUNNING_LETTER_REPORT_XMLID).sudo()
        content, _kind = report.with_context(lang=line.env.lang)._render_qweb_pdf(report.report_name, line.ids)
        name = line.env._("Dunning letter %(invoice)s.pdf", invoice=line.move_id.name)
        line.contract_id.sudo().message_post(
            body=line.env._(
                "Dunning letter for %(invoice)s (%(days)s days overdue).",
                invoice=line.move_id.name,
                days=(fields.Date.context_today(self) - line.move_id.invoice_date_due).days,
            ),
            attachments=[(name, content)],
            subtype_xmlid="mail.mt_note",
        )

    # ------------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------------
    @api.model
    def _kf_demo_chinese_chart(self):
        """Demo: put the main company on the Chinese chart of accounts in
        renminbi (with demo data, this replaces the generic demo chart and
        its entries)."""
        company = self.env.ref("base.main_company")
        if company.chart_template != "cn":
            self.env["account.chart.template"].try_loading("cn", company, install_demo=False)
        # the first-chart loader of the account module would replace this
        # chart once the registry is ready
        if hasattr(self.env.registry, "_auto_install_template"):
            del self.env.registry._auto_install_template
        if company.currency_id != self.env.ref("base.CNY"):
            company.currency_id = self.env.ref("base.CNY")

    @api.model
    def _kf_demo_collections(self, payments):
        """Demo: invoice the schedule lines of the main company due so far,
        register ``payments`` (``(line xmlid, amount, days ago)``) and run
        the dunning scan."""
        company = self.env.ref("base.main_company")
        today = fields.Date.context_today(self)
        lines = self.search(
            [
                ("company_id", "=", company.id),
                ("move_id", "=", False),
                ("contract_id.state", "in", ("running", "expired", "renewed")),
                ("date_due", "<=", today + timedelta(days=company.kf_invoice_lead_days)),
            ]
        )
        lines._lock_for_invoicing()._create_invoices()
        for xmlid, amount, days_ago in payments:
            line = self.env.ref(f"kf_customer_service.{xmlid}")
            if line.move_id.state != "posted":
                continue
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=line.move_id.ids
            ).create({"amount": amount, "payment_date": today - timedelta(days=days_ago)})._create_payments()
        self._cron_dunning_scan()
