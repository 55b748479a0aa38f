from odoo import fields, models


class KfPayPenaltyStep(models.Model):
    _name = "kf.pay.penalty.step"
    _description = "Penalty escalation step"
    _order = "type_id, occurrence_from"

    type_id = fields.Many2one("kf.pay.penalty.type", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="type_id.company_id", store=True, index=True)
    occurrence_from = fields.Integer(
        "From Occurrence", required=True, default=1, help="Applies from this repeat within the type's window."
    )
    amount = fields.Float(digits=(16, 2), help="Deducted from the performance pay; 0 with a warning or a dismissal.")
    manual_amount = fields.Boolean(
        "Amount Entered by Manager", help="The amount is not a fixed figure: the manager enters it on the penalty."
    )
    dismissal = fields.Boolean(help="The employee is to be dismissed (the penalty is flagged).")
    dismissal_repeat = fields.Boolean(
        "Dismissal When Repeated",
        help="Dismissal when the previous window also reached this step (e.g. two months in a row).",
    )
    note = fields.Char(translate=True)

    _sql_constraints = [
        (
            "kf_pay_penalty_step_unique",
            "UNIQUE(type_id, occurrence_from)",
            "A penalty type has one step per occurrence.",
        ),
        (
            "kf_pay_penalty_step_positive",
            "CHECK(occurrence_from >= 1 AND amount >= 0)",
            "Steps start at 1, amounts ≥ 0.",
        ),
    ]
