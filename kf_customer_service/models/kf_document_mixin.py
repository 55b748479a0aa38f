from odoo import api, fields, models


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
        placeholder) the next number of the sequence of their company. The
        sequence is looked up once per company for the whole batch: the scans
        create records by the hundred."""
        new = self.env._("New")
        sequences = {}
        for vals in vals_list:
            if vals.get("name") and vals["name"] != new:
                continue
            company_id = vals.get("company_id") or self.env.company.id
            if company_id not in sequences:
                sequences[company_id] = (
                    self.env["ir.sequence"]
                    .sudo()
                    .search(
                        [("code", "=", self._kf_sequence_code), ("company_id", "in", [company_id, False])],
                        order="company_id",
                        limit=1,
                    )
                )
            sequence = sequences[company_id]
            vals["name"] = (sequence and sequence.next_by_id()) or new
