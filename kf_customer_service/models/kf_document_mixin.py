from odoo import api, fields, models
from odoo.tools import SQL


class KfDocumentMixin(models.AbstractModel):
    """Header shared by the KF business documents: a number drawn from a
    sequence at create, the customer and its company (commercial entity), the
    company and the responsible user.

    A model sets ``_kf_sequence_code`` to the code of its ``ir.sequence``; its
    records are then numbered when created, inside the creating transaction,
    so a "no gap" sequence gives its number back when the save rolls back.
    A model whose ``name`` is a title typed by the user (no sequence) leaves
    ``_kf_sequence_code`` empty and redefines ``name``. A model redefines any
    other field of the header whose attributes differ (e.g. an optional
    customer); Odoo merges the redefinition with the attributes below.

    The concrete models inherit ``mail.thread`` (the fields are tracked).
    """

    _name = "kf.document.mixin"
    _description = "KF Document Header"
    _check_company_auto = True
    # code of the ir.sequence numbering the records; empty: no numbering
    _kf_sequence_code = None

    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env._("New"),
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        tracking=True,
        index=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        "res.partner",
        string="Customer Company",
        related="partner_id.commercial_partner_id",
        store=True,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        tracking=True,
        index=True,
        domain="[('share', '=', False)]",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if self._kf_sequence_code:
            self._kf_number_vals(vals_list)
        return super().create(vals_list)

    @api.model
    def _kf_number_vals(self, vals_list):
        """Give the values without a number (no name, or the "New"
        placeholder) the next numbers of the sequence of their company, drawn
        in one go per company (``kf_draw_numbers``): the scans create records
        by the hundred."""
        new = self.env._("New")
        by_company = {}
        for vals in vals_list:
            if vals.get("name") and vals["name"] != new:
                continue
            by_company.setdefault(vals.get("company_id") or self.env.company.id, []).append(vals)
        for company_id, company_vals in by_company.items():
            for vals, name in zip(company_vals, self.kf_draw_numbers(company_id, len(company_vals)), strict=True):
                vals["name"] = name

    @api.model
    def kf_draw_numbers(self, company_id, count, code=None):
        """``count`` consecutive numbers of the sequence ``code`` (default:
        the model's ``_kf_sequence_code``) of the company (else the shared
        one) in two or three queries whatever ``count``. A "no gap" sequence
        stays gapless: its row is locked and moved on by ``count`` in this
        transaction, as ``ir.sequence`` does for one number. Sequences with
        date ranges draw number by number."""
        code = code or self._kf_sequence_code
        new = self.env._("New")
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search([("code", "=", code), ("company_id", "in", [company_id, False])], order="company_id", limit=1)
        )
        if not count:
            return []
        if not sequence or sequence.use_date_range:
            return [(sequence and sequence.next_by_id()) or new for _i in range(count)]
        cr = self.env.cr
        if sequence.implementation == "standard":
            cr.execute(SQL("SELECT nextval(%s) FROM generate_series(1, %s)", f"ir_sequence_{sequence.id:03d}", count))
            return [sequence.get_next_char(number) for (number,) in cr.fetchall()]
        sequence.flush_recordset(["number_next"])
        cr.execute(SQL("SELECT number_next FROM ir_sequence WHERE id = %s FOR UPDATE NOWAIT", sequence.id))
        cr.execute(
            SQL(
                "UPDATE ir_sequence SET number_next = number_next + %s WHERE id = %s RETURNING number_next",
                count * sequence.number_increment,
                sequence.id,
            )
        )
        first = cr.fetchone()[0] - count * sequence.number_increment
        sequence.invalidate_recordset(["number_next"])
        return [sequence.get_next_char(first + i * sequence.number_increment) for i in range(count)]
