from odoo import fields, models


class KfContractPreconditionTemplate(models.Model):
    """An item every new maintenance contract of the company must have
    checked before it is confirmed (e.g. the fire-protection system passed
    the fire brigade's acceptance)."""

    _name = "kf.contract.precondition.template"
    _description = "Maintenance Contract Precondition (template)"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
