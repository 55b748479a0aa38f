from odoo import fields, models


class KfRenewalStage(models.Model):
    _name = "kf.renewal.stage"
    _description = "Renewal Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    fold = fields.Boolean(
        string="Folded in Pipeline",
        help="Folded stages are collapsed on the renewal kanban board.",
    )
    is_won = fields.Boolean(
        string="Renewed Stage",
        help="Contracts in this stage have been renewed.",
    )
    is_lost = fields.Boolean(
        string="Lost Stage",
        help="Contracts in this stage were not renewed; a lost reason is required.",
    )
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "won_lost_exclusive",
            "CHECK(NOT (is_won AND is_lost))",
            "A renewal stage cannot be both a renewed and a lost stage.",
        ),
    ]
