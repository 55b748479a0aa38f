from odoo import api, fields, models
from odoo.exceptions import ValidationError

AUTO_SOURCES = [
    ("none", "None"),
    ("feedback_late", "Feedback form handed in late"),
    ("feedback_missing", "Feedback form missing"),
    ("callback_late", "Call-back late"),
    ("complaint", "Confirmed complaint"),
    ("documents_late", "Commissioning documents handed in late"),
]


class KfPayPenaltyType(models.Model):
    _name = "kf.pay.penalty.type"
    _description = "Penalty type"
    _order = "sequence, code, id"

    sequence = fields.Integer(default=10)
    code = fields.Char(required=True, index=True)
    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: every company; a company's own type wins.")
    date_from = fields.Date("Valid From", required=True, default=fields.Date.context_today)
    date_to = fields.Date("Valid To", help="Last day the type applies; empty: open.")
    active = fields.Boolean(default=True)
    auto_source = fields.Selection(
        AUTO_SOURCES,
        default="none",
        required=True,
        help="Records of this kind get a proposed penalty from the daily scan; the manager confirms it.",
    )
    window = fields.Selection(
        [("month", "Calendar month"), ("year", "Calendar year"), ("ever", "Ever")],
        "Repeat Window",
        default="year",
        required=True,
        help="Earlier confirmed penalties of this type counted for the occurrence number.",
    )
    step_ids = fields.One2many("kf.pay.penalty.step", "type_id", "Escalation Steps", copy=True)
    date_proposed = fields.Datetime("Last Proposal Scan", readonly=True, copy=False)

    _sql_constraints = [
        (
            "kf_pay_penalty_type_code_unique",
            "UNIQUE(code, company_id, date_from)",
            "A penalty type code is unique per company and start date.",
        ),
    ]

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for ptype in self:
            if ptype.date_to and ptype.date_to < ptype.date_from:
                raise ValidationError(self.env._("Penalty type %(name)s ends before it starts.", name=ptype.name))

    @api.constrains("step_ids")
    def _check_steps(self):
        for ptype in self:
            if ptype.step_ids and 1 not in ptype.step_ids.mapped("occurrence_from"):
                raise ValidationError(
                    self.env._("Penalty type %(name)s needs a step from the first occurrence.", name=ptype.name)
                )

    def kf_step(self, occurrence):
        """The step that applies to the ``occurrence``-th penalty (the one
        with the highest start not above it), or an empty recordset."""
        self.ensure_one()
        steps = self.step_ids.filtered(lambda s: s.occurrence_from <= occurrence)
        return steps.sorted("occurrence_from")[-1:] if steps else steps

    def kf_window_start(self, day):
        """First day of the repeat window containing ``day`` (None: ever)."""
        self.ensure_one()
        if self.window == "month":
            return day.replace(day=1)
        if self.window == "year":
            return day.replace(month=1, day=1)
        return None

    @api.model
    def kf_types_by_source(self, company, day, auto_source):
        """The penalty type that applies to ``auto_source`` in ``company`` on
        ``day`` (the company's own before a shared one), or an empty set.
        ``self`` may hold the candidate types already read."""
        candidates = self or self.search([("auto_source", "=", auto_source)])
        found = candidates.filtered(
            lambda t: (
                t.auto_source == auto_source
                and t.company_id in (company, self.env["res.company"])
                and t.date_from <= day
                and (not t.date_to or day <= t.date_to)
            )
        )
        return found.sorted(lambda t: (not t.company_id, t.sequence, t.id))[:1]
