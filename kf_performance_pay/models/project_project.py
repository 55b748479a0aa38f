from odoo import fields, models

from .kf_pay_rule import ZONES


class ProjectProject(models.Model):
    _inherit = "project.project"

    kf_pay_zone = fields.Selection(
        ZONES,
        "Commissioning Zone",
        default="local",
        required=True,
        help="Where the site lies: the commissioning fee rate of its work orders depends on it.",
    )
