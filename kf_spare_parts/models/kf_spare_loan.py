from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.kf_customer_service.models.kf_concurrency import advisory_xact_lock, hits_concurrent_rows

KEEPER_GROUP = "kf_spare_parts.group_kf_spare_keeper"
MANAGER_GROUP = "kf_customer_service.group_kf_manager"
RETURN_WORKING_DAYS = 2
# a blank 1x1 PNG: the signature of the demo loan
DEMO_SIGNATURE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


class KfSpareLoan(models.Model):
    _name = "kf.spare.loan"
    _description = "Spare-Part Loan"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    # fields only the server writes (the actions below, in sudo)
    _kf_system_fields = {
        "state",
        "approved_by_id",
        "date_approved",
        "issued_by_id",
        "date_issued",
        "date_due",
        "date_signed",
        "signed_by_id",
        "due_reminded",
        "date_returned",
        "returned_by_id",
        "is_overdue",
        "overdue_notified",
        "issue_picking_id",
        "return_picking_ids",
        "charge_ids",
    }

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="New")
    user_id = fields.Many2one(
        "res.users",
        string="Borrower",
        required=True,
        tracking=True,
        index=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    reason = fields.Text(required=True)
    order_id = fields.Many2one("kf.dispatch.order", string="Work Order", check_company=True, index="btree_not_null")
    line_ids = fields.One2many("kf.spare.loan.line", "loan_id", string="Parts", copy=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_approve", "To Approve"),
            ("approved", "Approved"),
            ("issued", "Issued"),
            ("signed", "Signed"),
            ("returned", "Returned"),
            ("rejected", "Rejected"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    date_approved = fields.Datetime(readonly=True, copy=False)
    issued_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    date_issued = fields.Datetime(readonly=True, copy=False)
    date_due = fields.Datetime(string="Return Due", readonly=True, copy=False, tracking=True)
    date_signed = fields.Datetime(string="Signed On", readonly=True, copy=False, tracking=True)
    signature = fields.Image(
        string="Borrower's Signature",
        copy=False,
        attachment=True,
        max_width=1024,
        max_height=1024,
        help="Drawn by the borrower when signing for the issued serial numbers.",
    )
    signed_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    due_reminded = fields.Boolean(string="Due Reminder Sent", readonly=True, copy=False)
    date_returned = fields.Datetime(readonly=True, copy=False, tracking=True)
    returned_by_id = fields.Many2one("res.users", string="Return Checked By", readonly=True, copy=False)
    is_overdue = fields.Boolean(
        string="Overdue", readonly=True, copy=False, index=True, help="Not returned by the due date (kept once set)."
    )
    overdue_notified = fields.Boolean(readonly=True, copy=False)
    issue_picking_id = fields.Many2one("stock.picking", string="Issue Transfer", readonly=True, copy=False)
    return_picking_ids = fields.Many2many(
        "stock.picking", "kf_spare_loan_return_picking_rel", string="Return Transfers", readonly=True, copy=False
    )
    charge_ids = fields.One2many("kf.spare.part.charge", "loan_id", string="Charges", readonly=True)

    @api.constrains("state")
    def _check_return_serials(self):
        """A loan is returned only when every line's presented serials are
        exactly the serials issued."""
        for loan in self.filtered(lambda rec: rec.state == "returned"):
            for line in loan.line_ids:
                if line.return_lot_ids != line.lot_ids:
                    raise ValidationError(
                        self.env._(
                            "Loan %(loan)s: the serial numbers returned for %(product)s (%(returned)s) do not "
                            "match those issued (%(issued)s).",
                            loan=loan.name,
                            product=line.product_id.display_name,
                            returned=", ".join(line.return_lot_ids.mapped("name")) or "-",
                            issued=", ".join(line.lot_ids.mapped("name")) or "-",
                        )
                    )
                if not line.outcome:
                    raise ValidationError(
                        self.env._(
                            "Loan %(loan)s: say what became of %(product)s (unused, used on a work order, "
                            "lost or damaged).",
                            loan=loan.name,
                            product=line.product_id.display_name,
                        )
                    )

    @api.constrains("user_id", "company_id")
    def _check_borrower(self):
        for loan in self:
            if loan.user_id.share or loan.company_id not in loan.user_id.company_ids:
                raise ValidationError(
                    self.env._(
                        "%(user)s is not an internal user of %(company)s.",
                        user=loan.user_id.name,
                        company=loan.company_id.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._kf_check_user_values(vals)
        for vals in vals_list:
            if vals.get("name", "New") == "New":
                company = self.env["res.company"].browse(vals.get("company_id") or self.env.company.id)
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code("kf.spare.loan") or "New"
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._kf_check_user_values(vals)
            locked = self.filtered(lambda rec: rec.state not in ("draft", "to_approve"))
            if locked and set(vals) & {"user_id", "company_id", "order_id", "reason"}:
                raise UserError(self.env._("An approved loan cannot change its borrower, work order or reason."))
            if "signature" in vals:
                self._kf_check_signer()
        return super().write(vals)

    def _kf_check_user_values(self, vals):
        forbidden = self._kf_system_fields & set(vals)
        if forbidden:
            raise UserError(
                self.env._(
                    "These fields are set by the loan's actions only: %(fields)s",
                    fields=", ".join(sorted(self._fields[f].string for f in forbidden)),
                )
            )
        if vals.get("signature") and not self:
            raise UserError(self.env._("The borrower signs an issued loan only."))
        if vals.get("user_id") and vals["user_id"] != self.env.uid and not self.env.user.has_group(KEEPER_GROUP):
            raise AccessError(self.env._("You can request spare parts only for yourself."))

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(loan.state not in ("draft", "cancelled") for loan in self):
            raise UserError(self.env._("Only draft or cancelled loans can be deleted."))

    # ------------------------------------------------------------------ actions
    def _kf_require_state(self, *states):
        for loan in self:
            if loan.state not in states:
                raise UserError(
                    self.env._(
                        "Loan %(loan)s is %(state)s: this step is not possible now.",
                        loan=loan.name,
                        state=dict(loan._fields["state"]._description_selection(self.env))[loan.state],
                    )
                )

    def _kf_require_group(self, group):
        if not self.env.user.has_group(group):
            raise AccessError(self.env._("You are not allowed to do this on spare-part loans."))

    def action_submit(self):
        self._kf_require_state("draft")
        for loan in self:
            if not loan.line_ids:
                raise UserError(self.env._("Loan %(loan)s has no parts.", loan=loan.name))
        self.sudo().write({"state": "to_approve"})
        return True

    def action_approve(self):
        self._kf_require_group(MANAGER_GROUP)
        self._kf_require_state("to_approve")
        if any(loan.user_id == self.env.user for loan in self):
            raise AccessError(self.env._("You cannot approve your own spare-part request."))
        self.sudo().write({"state": "approved", "approved_by_id": self.env.uid, "date_approved": fields.Datetime.now()})
        return True

    def action_reject(self):
        self._kf_require_group(MANAGER_GROUP)
        self._kf_require_state("to_approve")
        self.sudo().write({"state": "rejected"})
        return True

    def action_cancel(self):
        self._kf_require_state("draft", "to_approve", "approved")
        self.sudo().write({"state": "cancelled"})
        return True

    def action_propose_serials(self):
        """Fill the serials of the lines not filled yet with the oldest-idle
        serials in the store (rotation)."""
        self._kf_require_group(KEEPER_GROUP)
        self._kf_require_state("approved")
        self.line_ids.filtered(lambda line: not line.lot_ids).kf_propose_lots()
        return True

    def action_issue(self):
        """The clerk issues the approved parts: one internal transfer of the
        chosen serials from the store to the borrower's on-loan location;
        the return is due ``RETURN_WORKING_DAYS`` working days later."""
        self._kf_require_group(KEEPER_GROUP)
        self._kf_require_state("approved")
        now = fields.Datetime.now()
        for loan in self:
            loan.line_ids.filtered(lambda line: not line.lot_ids).kf_propose_lots()
            for line in loan.line_ids:
                if len(line.lot_ids) != line.quantity:
                    raise UserError(
                        self.env._(
                            "Loan %(loan)s: %(product)s needs %(qty)s serial numbers, %(count)s chosen.",
                            loan=loan.name,
                            product=line.product_id.display_name,
                            qty=line.quantity,
                            count=len(line.lot_ids),
                        )
                    )
            company = loan.company_id.kf_spare_locations()
            dest = self.env["stock.location"].kf_loan_location(loan.user_id, loan.company_id)
            picking = self.env["stock.picking"].kf_spare_transfer(
                loan.company_id,
                company.kf_spare_store_location_id,
                dest,
                loan.line_ids.lot_ids,
                origin=loan.name,
                partner=loan.user_id.partner_id,
            )
            loan.sudo().write(
                {
                    "state": "issued",
                    "issued_by_id": self.env.uid,
                    "date_issued": now,
                    "date_due": loan.company_id.kf_add_working_days(RETURN_WORKING_DAYS, now),
                    "issue_picking_id": picking.id,
                }
            )
        return True

    def _kf_check_signer(self):
        """Only the borrower signs, and only a loan issued to them."""
        if any(loan.user_id != self.env.user for loan in self):
            raise AccessError(self.env._("Only the borrower signs for the parts."))
        self._kf_require_state("issued")

    def action_sign(self):
        """Button: the borrower signs for the issued serial numbers with the
        signature drawn on the form."""
        for loan in self:
            loan.kf_sign(loan.signature)
        return True

    def kf_sign(self, signature):
        """The borrower signs for the issued serial numbers: ``signature``
        (a base64 image) is stored with who signed and when."""
        self.ensure_one()
        if not self.env.su:
            self._kf_check_signer()
        self._kf_require_state("issued")
        if not signature:
            raise UserError(self.env._("Draw your signature before signing for the parts of %(loan)s.", loan=self.name))
        self.sudo().write(
            {
                "state": "signed",
                "signature": signature,
                "signed_by_id": self.user_id.id,
                "date_signed": fields.Datetime.now(),
            }
        )
        return True

    def action_return(self):
        """The clerk checks the returned serials (the constraint refuses a
        mismatch) and books each line's outcome: back to the store, consumed
        at the work order's customer, or lost (charged to the borrower)."""
        self._kf_require_group(KEEPER_GROUP)
        self._kf_require_state("issued", "signed")
        for loan in self:
            loan.line_ids._kf_split_by_outcome()
            loan.sudo().write(
                {"state": "returned", "date_returned": fields.Datetime.now(), "returned_by_id": self.env.uid}
            )
            loan._kf_book_outcomes()
        self.activity_unlink(
            ["kf_spare_parts.mail_activity_type_kf_spare_overdue", "kf_spare_parts.mail_activity_type_kf_spare_due"]
        )
        return True

    def _kf_book_outcomes(self):
        self.ensure_one()
        company = self.company_id.kf_spare_locations()
        source = self.env["stock.location"].kf_loan_location(self.user_id, self.company_id)
        Picking = self.env["stock.picking"]
        pickings = Picking
        lines = self.line_ids
        unused = lines.filtered(lambda line: line.outcome == "unused")
        if unused:
            pickings |= Picking.kf_spare_transfer(
                company, source, company.kf_spare_store_location_id, unused.lot_ids, origin=self.name
            )
        for line in lines.filtered(lambda rec: rec.outcome == "used"):
            pickings |= Picking.kf_spare_transfer(
                company,
                source,
                self.env.ref("stock.stock_location_customers"),
                line.lot_ids,
                kind="outgoing",
                partner=line.order_id.partner_id,
                origin=line.order_id.name,
            )
            line.order_id.sudo().kf_add_consumed_parts(line)
        lost = lines.filtered(lambda line: line.outcome == "lost")
        for product in lost.product_id:
            product_lines = lost.filtered(lambda line, p=product: line.product_id == p)
            pickings |= Picking.kf_spare_transfer(
                company,
                source,
                product.with_company(company).property_stock_inventory,
                product_lines.lot_ids,
                origin=self.name,
            )
        if lost:
            self.env["kf.spare.part.charge"].sudo().create(
                [
                    {
                        "user_id": self.user_id.id,
                        "loan_id": self.id,
                        "company_id": company.id,
                        "product_id": line.product_id.id,
                        "lot_id": lot.id,
                        "amount": line.product_id.lst_price,
                    }
                    for line in lost
                    for lot in line.lot_ids
                ]
            )
        self.sudo().return_picking_ids = [Command.link(p.id) for p in pickings]

    # --------------------------------------------------------------- overdue scan
    @api.model
    def _overdue_to_notify_domain(self, now):
        return [
            ("state", "in", ("issued", "signed")),
            ("date_due", "<", now),
            ("overdue_notified", "=", False),
        ]

    @api.model
    def _due_to_remind_domain(self, now):
        """Loans due within a day and not reminded yet."""
        return [
            ("state", "in", ("issued", "signed")),
            ("date_due", ">=", now),
            ("date_due", "<", now + timedelta(days=1)),
            ("due_reminded", "=", False),
        ]

    @api.model
    def _cron_overdue_scan(self, batch_size=500):
        now = fields.Datetime.now()
        self._kf_remind_due(now, batch_size)
        self._kf_notify_overdue(now, batch_size)

    @api.model
    def _kf_lock_batch(self, domain, batch_size, key):
        """The next batch of ``domain`` (sudo), locked for this run; empty
        when a concurrent run committed these loans after our snapshot (it
        handled them). Two runs serialise on an advisory lock."""
        advisory_xact_lock(self.env.cr, (key,))
        loans = self.sudo().search(domain, limit=batch_size, order="id")
        if not loans:
            return loans
        lock = SQL("SELECT id FROM kf_spare_loan WHERE id IN %s FOR UPDATE", tuple(loans.ids))
        if hits_concurrent_rows(self.env.cr, lock, keep=True):
            return loans.browse()
        # the names, languages and time zones of every user concerned, read
        # once for the batch
        users = loans.user_id | loans.issued_by_id
        users.mapped("partner_id.name")
        users.mapped("lang")
        users.mapped("tz")
        return loans

    @api.model
    def _kf_remind_due(self, now, batch_size=500):
        """Remind each borrower once, the day before the return is due."""
        loans = self._kf_lock_batch(self._due_to_remind_domain(now), batch_size, "kf_spare_due")
        if not loans:
            return loans
        values = []
        for loan in loans:
            user = loan.user_id
            if not user.active or user.share:
                continue
            lang_env = user.kf_lang_env()
            values.append(
                (
                    loan.id,
                    (
                        user,
                        False,
                        lang_env._("Return the spare parts of %(loan)s", loan=loan.name),
                        lang_env._(
                            "The parts of %(loan)s are due back at the store on %(date)s.",
                            loan=loan.name,
                            date=user.kf_format_datetime(loan.date_due),
                        ),
                    ),
                )
            )
        self.env["mail.activity"].kf_create_activities(loans, "kf_spare_parts.mail_activity_type_kf_spare_due", values)
        loans.write({"due_reminded": True})
        return loans

    @api.model
    def _kf_notify_overdue(self, now, batch_size=500):
        """Flag loans past their return date and give the borrower and the
        clerk who issued them one reminder each, once per loan. Two runs
        serialise on an advisory lock; a run meeting loans that the other
        committed after its snapshot leaves the batch to the next call."""
        loans = self._kf_lock_batch(self._overdue_to_notify_domain(now), batch_size, "kf_spare_overdue")
        if not loans:
            return loans
        values = []
        for loan in loans:
            for user in (loan.user_id | loan.issued_by_id).filtered(lambda u: u.active and not u.share):
                lang_env = user.kf_lang_env()
                summary = lang_env._("Spare parts overdue: %(loan)s", loan=loan.name)
                note = lang_env._(
                    "%(borrower)s was due to return the parts of %(loan)s on %(date)s.",
                    borrower=loan.user_id.name,
                    loan=loan.name,
                    date=user.kf_format_datetime(loan.date_due),
                )
                values.append((loan.id, (user, False, summary, note)))
        self.env["mail.activity"].kf_create_activities(
            loans, "kf_spare_parts.mail_activity_type_kf_spare_overdue", values
        )
        loans.sudo().write({"is_overdue": True, "overdue_notified": True})
        remaining = self.sudo().search_count(self._overdue_to_notify_domain(now))
        self.env["ir.cron"]._notify_progress(done=len(loans), remaining=remaining)
        return loans

    @api.model
    def kf_overdue_counts(self, date_from, date_to, company=None):
        """{borrower id: number of loans due in [date_from, date_to) that
        became overdue}: one grouped query (for performance pay)."""
        domain = [("is_overdue", "=", True), ("date_due", ">=", date_from), ("date_due", "<", date_to)]
        if company:
            domain.append(("company_id", "=", company.id))
        return {user.id: count for user, count in self._read_group(domain, ["user_id"], ["__count"])}

    @api.model
    def _kf_load_demo(self):
        """Demo data: serials received into the store of the main company,
        one loan returned unused and one loan overdue."""
        company = self.env.ref("base.main_company").kf_spare_locations()
        ref = self.env.ref
        Lot = self.env["stock.lot"].sudo()
        lots = Lot
        for xmlid, prefix, count in (
            ("kf_spare_parts.product_kf_detector_demo", "DET", 5),
            ("kf_spare_parts.product_kf_module_demo", "MOD", 3),
            ("kf_spare_parts.product_kf_board_demo", "CTL", 2),
        ):
            product = ref(xmlid)
            lots |= Lot.create(
                [
                    {"product_id": product.id, "name": f"{prefix}-2026-{n:04d}", "company_id": company.id}
                    for n in range(1, count + 1)
                ]
            )
        self.env["stock.picking"].kf_spare_transfer(
            company,
            ref("stock.stock_location_suppliers"),
            company.kf_spare_store_location_id,
            lots,
            kind="incoming",
            origin="Demo",
        )
        manager = ref("kf_customer_service.user_kf_manager_demo")
        returned = self.create(
            {
                "user_id": ref("kf_customer_service.user_kf_specialist_zhaosha_demo").id,
                "company_id": company.id,
                "reason": "更换故障探测器前备件",
                "line_ids": [Command.create({"product_id": ref("kf_spare_parts.product_kf_detector_demo").id})],
            }
        )
        overdue = self.create(
            {
                "user_id": ref("kf_customer_service.user_kf_specialist_wangmengfei_demo").id,
                "company_id": company.id,
                "reason": "现场排查输入输出模块故障",
                "line_ids": [Command.create({"product_id": ref("kf_spare_parts.product_kf_module_demo").id})],
            }
        )
        loans = returned | overdue
        loans.action_submit()
        loans.with_user(manager).action_approve()
        loans.action_issue()
        returned.with_user(returned.user_id).kf_sign(DEMO_SIGNATURE)
        for line in returned.line_ids:
            line.write({"return_lot_ids": [Command.set(line.lot_ids.ids)], "outcome": "unused"})
        returned.action_return()
        overdue.write({"date_due": fields.Datetime.subtract(fields.Datetime.now(), days=1)})
        self._kf_notify_overdue(fields.Datetime.now())
