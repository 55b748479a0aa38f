from odoo import fields, models


class KfRenewalLostReason(models.Model):
    _name = "kf.renewal.lost.reason"
    _description = "Renewal Lost Reason"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
