from odoo import fields, models


class KfEquipmentCategory(models.Model):
    _name = "kf.equipment.category"
    _description = "Equipment Category"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    is_controller = fields.Boolean(
        string="Controller",
        help="A control panel whose point count is compared with the register at the manager's check.",
    )
    company_id = fields.Many2one("res.company", help="Empty: shared by every company.")
