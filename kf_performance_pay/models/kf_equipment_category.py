from odoo import fields, models


class KfEquipmentCategory(models.Model):
    _inherit = "kf.equipment.category"

    kf_alarm_only = fields.Boolean(
        "Pure Alarm Controller",
        help="Commissioning pay counts the rule's fixed points (alarm_points) for this equipment, not its point count.",
    )
