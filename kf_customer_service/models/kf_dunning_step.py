from odoo import api, fields, models
from odoo.exceptions import ValidationError


class KfDunningStep(models.Model):
    """One rung of a company's dunning ladder: when an invoice of a KF
    contract has been overdue for ``days_overdue`` days, the daily scan takes
    this step once. Steps without a company are the default ladder of the
    companies that have none of their own."""

    _name = "kf.dunning.step"
    _description = "Dunning Step"
    _order = "company_id, days_overdue, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    days_overdue = fields.Integer(required=True, help="Days after the invoice's due date when the step is taken.")
    action_type = fields.Selection(
        [
            ("activity", "Reminder activity"),
            ("call", "Phone call"),
            ("letter", "Dunning letter"),
            ("escalation", "Manager escalation"),
        ],
        string="Action",
        required=True,
        default="activity",
    )
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Empty: the default ladder of every company without its own steps.",
    )
    active = fields.Boolean(default=True)

    @api.constrains("days_overdue")
    def _check_days_overdue(self):
        for step in self:
            if step.days_overdue < 1:
                raise ValidationError(
                    self.env._(
                        "Dunning step %(step)s: the days overdue must be at least 1.",
                        step=step.name,
                    )
                )

    @api.model
    def kf_ladder(self, company):
        """The active steps of ``company``'s ladder (its own steps, else the
        default ones), ordered by days overdue."""
        steps = self.search([("company_id", "=", company.id)])
        return steps or self.search([("company_id", "=", False)])
