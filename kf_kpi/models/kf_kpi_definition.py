from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare

FAMILIES = [
    ("financial", "Financial"),
    ("customer", "Customer"),
    ("operations", "Operations"),
    ("growth", "Growth"),
]
UNITS = [
    ("percent", "%"),
    ("days", "Days"),
    ("count", "Count"),
    ("amount", "Amount"),
]
DIRECTIONS = [
    ("ge", "≥ (at least)"),
    ("le", "≤ (at most)"),
]


def kpi_score(target, weight, direction, actual, has_data):
    """(met, score) of an actual figure against a KPI's target. A met KPI
    scores its full weight; a missed one the share of the target it reached;
    a month without data scores nothing and is not counted."""
    if not has_data:
        return False, 0.0
    cmp = float_compare(actual, target, precision_digits=2)
    met = cmp >= 0 if direction == "ge" else cmp <= 0
    if met:
        return True, weight
    if direction == "ge":
        ratio = actual / target if target else 1.0
    else:
        ratio = target / actual if actual else 1.0
    return False, round(weight * max(min(ratio, 1.0), 0.0), 2)


class KfKpiDefinition(models.Model):
    """A KPI of the catalogue: what is measured, its target and the
    registered computation (a key of kf.kpi.sheet's computation registry,
    never free Python)."""

    _name = "kf.kpi.definition"
    _description = "KPI Definition"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    code = fields.Char(required=True, index=True, tracking=True)
    name = fields.Char(required=True, translate=True, tracking=True)
    description = fields.Text(translate=True, help="How the figure is computed, in plain words.")
    family = fields.Selection(FAMILIES, required=True, default="customer", tracking=True)
    unit = fields.Selection(UNITS, required=True, default="percent", tracking=True)
    direction = fields.Selection(DIRECTIONS, required=True, default="ge", tracking=True)
    target = fields.Float(string="Target Value", required=True, tracking=True, digits=(16, 2))
    weight = fields.Float(default=10.0, required=True, tracking=True, digits=(16, 2))
    applies_to = fields.Selection(
        [("employee", "Employees"), ("department", "Department"), ("both", "Employees and department")],
        required=True,
        default="both",
        tracking=True,
    )
    method = fields.Selection(
        selection="_selection_method",
        string="Computation",
        required=True,
        tracking=True,
        help="Registered computation that produces the figure from the month's records.",
    )
    method_param = fields.Char(
        string="Computation Parameter",
        help="Parameter of the computation, e.g. the problem type for problem counts.",
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", help="Leave empty to use the KPI in every company.")
    target_display = fields.Char(string="Target", compute="_compute_target_display")

    _sql_constraints = [
        ("code_uniq", "unique(code, company_id)", "A KPI code must be unique per company."),
    ]

    @api.model
    def _selection_method(self):
        return self.env["kf.kpi.sheet"]._kpi_method_selection()

    @api.depends("direction", "target", "unit")
    def _compute_target_display(self):
        unit_labels = dict(self._fields["unit"]._description_selection(self.env))
        for definition in self:
            sign = "≥" if definition.direction == "ge" else "≤"
            unit = "%" if definition.unit == "percent" else " " + (unit_labels.get(definition.unit) or "")
            definition.target_display = f"{sign} {definition.target:g}{unit}"

    @api.constrains("weight", "target", "unit")
    def _check_values(self):
        for definition in self:
            if definition.weight < 0:
                raise ValidationError(
                    self.env._("The weight of KPI %(code)s cannot be negative.", code=definition.code)
                )
            if definition.target < 0:
                raise ValidationError(
                    self.env._("The target of KPI %(code)s cannot be negative.", code=definition.code)
                )
            if definition.unit == "percent" and definition.target > 100:
                raise ValidationError(
                    self.env._("The target of KPI %(code)s is a percentage: at most 100.", code=definition.code)
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        if self.env["kf.kpi.sheet.line"].sudo().search_count([("definition_id", "in", self.ids)], limit=1):
            raise ValidationError(
                self.env._("This KPI is used in appraisal sheets: archive it instead of deleting it.")
            )

    def _kf_score(self, actual, has_data):
        """(met, score) of an actual figure against this KPI's target. A met
        KPI scores its full weight; a missed one the share of the target it
        reached; a month without data scores nothing and is not counted."""
        self.ensure_one()
        return kpi_score(self.target, self.weight, self.direction, actual, has_data)

    def _kf_lines_vals(self, figures):
        """``_kf_line_vals`` of this KPI for many sheets at once, the KPI's
        fields read once: ``figures`` is a list of ``(sheet id, numerator,
        denominator, actual, has_data)``."""
        self.ensure_one()
        target, weight, direction = self.target, self.weight, self.direction
        base = {
            "definition_id": self.id,
            "sequence": self.sequence,
            "family": self.family,
            "unit": self.unit,
            "direction": direction,
            "target": target,
            "weight": weight,
        }
        vals_list = []
        for sheet_id, numerator, denominator, actual, has_data in figures:
            met, score = kpi_score(target, weight, direction, actual, has_data)
            vals_list.append(
                dict(
                    base,
                    sheet_id=sheet_id,
                    numerator=numerator,
                    denominator=denominator,
                    actual=round(actual, 2),
                    has_data=has_data,
                    met=met,
                    score=score,
                )
            )
        return vals_list

    def _kf_line_vals(self, sheet, numerator, denominator, actual, has_data):
        self.ensure_one()
        met, score = self._kf_score(actual, has_data)
        return {
            "sheet_id": sheet.id,
            "definition_id": self.id,
            "sequence": self.sequence,
            "family": self.family,
            "unit": self.unit,
            "direction": self.direction,
            "target": self.target,
            "weight": self.weight,
            "numerator": numerator,
            "denominator": denominator,
            "actual": round(actual, 2),
            "has_data": has_data,
            "met": met,
            "score": score,
        }
