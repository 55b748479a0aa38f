import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_round

from .kf_kpi_definition import DIRECTIONS, FAMILIES, UNITS


class KfKpiSheetLine(models.Model):
    _name = "kf.kpi.sheet.line"
    _description = "KPI Appraisal Line"
    _order = "sheet_id, sequence, id"

    sheet_id = fields.Many2one("kf.kpi.sheet", required=True, ondelete="cascade", index=True)
    definition_id = fields.Many2one("kf.kpi.definition", string="KPI", required=True, ondelete="restrict", index=True)
    sequence = fields.Integer()
    code = fields.Char(related="definition_id.code", store=True)
    name = fields.Char(related="definition_id.name")
    family = fields.Selection(FAMILIES, required=True)
    unit = fields.Selection(UNITS, required=True)
    direction = fields.Selection(DIRECTIONS, required=True)
    target = fields.Float(string="Target Value", digits=(16, 2), aggregator="avg")
    actual = fields.Float(string="Actual Value", digits=(16, 2), aggregator="avg")
    numerator = fields.Float(digits=(16, 2))
    denominator = fields.Float(digits=(16, 2))
    has_data = fields.Boolean(string="Measured", help="False when the month has no record to measure.")
    met = fields.Boolean(string="Target Met")
    weight = fields.Float(digits=(16, 2))
    score = fields.Float(digits=(16, 2))
    status = fields.Selection(
        [("met", "Met"), ("missed", "Missed"), ("none", "No data")],
        compute="_compute_status",
        store=True,
    )
    color = fields.Integer(compute="_compute_status", store=True)
    # stored copies of the sheet, for grouping, rules and the dashboard
    user_id = fields.Many2one(related="sheet_id.user_id", store=True, string="Employee", index=True)
    date_from = fields.Date(related="sheet_id.date_from", store=True, string="First Day", index=True)
    month = fields.Char(related="sheet_id.month", store=True, string="Month")
    scope = fields.Selection(related="sheet_id.scope", store=True)
    company_id = fields.Many2one(related="sheet_id.company_id", store=True, index=True)
    sheet_state = fields.Selection(related="sheet_id.state", string="Sheet Status")
    actual_display = fields.Char(string="Actual", compute="_compute_display")
    target_display = fields.Char(string="Target", compute="_compute_display")

    @api.depends("has_data", "met")
    def _compute_status(self):
        for line in self:
            line.update(self._kf_status_vals(line.has_data, line.met))

    @api.model
    def _kf_status_vals(self, has_data, met):
        """The status and colour of a line from its figures; the computation
        gives them in the values of the lines it creates."""
        status = "none" if not has_data else ("met" if met else "missed")
        # kanban highlight: green when met, red when missed, none without data
        return {"status": status, "color": {"met": 10, "missed": 1}.get(status, 0)}

    @api.depends("actual", "target", "unit", "direction", "has_data")
    def _compute_display(self):
        for line in self:
            line.actual_display = line._format_value(line.actual) if line.has_data else self.env._("No data")
            sign = "≥" if line.direction == "ge" else "≤"
            line.target_display = f"{sign} {line._format_value(line.target)}"

    def _format_value(self, value):
        if self.unit == "percent":
            return f"{value:.1f}%"
        if self.unit == "days":
            days = f"{value:.0f}"
            return self.env._("%(days)s days", days=days)
        if self.unit == "count":
            return f"{value:.0f}"
        return f"{value:,.2f}"

    # -------------------------------------------------------------- freeze
    def _check_sheet_draft(self):
        if any(line.sheet_id.state == "approved" for line in self):
            raise UserError(self.env._("An approved appraisal sheet is frozen: its KPIs cannot be changed."))

    def _check_computed_by_server(self):
        """The figures are the computation's (which runs as superuser), never
        typed in: a user never creates, changes or deletes a KPI line."""
        if not self.env.su:
            raise AccessError(self.env._("KPI lines are computed by the server; they cannot be edited."))

    @api.model_create_multi
    def create(self, vals_list):
        self._check_computed_by_server()
        lines = super().create(vals_list)
        lines._check_sheet_draft()
        return lines

    @api.model
    def _kf_delete_of(self, sheets):
        """Delete the lines of the draft ``sheets`` before their
        recomputation, in one statement whatever their number (the lines
        are the computation's own figures, replaced right after)."""
        self._check_computed_by_server()
        if any(sheet.state == "approved" for sheet in sheets):
            raise UserError(self.env._("An approved appraisal sheet is frozen: its KPIs cannot be changed."))
        if not sheets:
            return
        self.env.flush_all()
        self.env.cr.execute(SQL("DELETE FROM kf_kpi_sheet_line WHERE sheet_id = ANY(%s)", sheets.ids))
        self.invalidate_model()
        sheets.invalidate_recordset(["line_ids"])

    @api.model
    def _kf_insert(self, sheets, vals_list):
        """Insert the lines ``vals_list`` (each with a value for every stored
        field: the computation gives the related and computed ones too) of
        the draft ``sheets`` in one statement, whatever their number, and
        drop the sheets' cached lines. What ``create`` checks holds by
        construction: the computation runs as superuser on draft sheets it
        has locked. Values are converted for their columns as ``create``
        converts them (rounding, selections, relations)."""
        self._check_computed_by_server()
        if any(sheet.state == "approved" for sheet in sheets):
            raise UserError(self.env._("An approved appraisal sheet is frozen: its KPIs cannot be changed."))
        if not vals_list:
            return
        self.env.flush_all()
        converters = [(fname, self._kf_column_converter(self._fields[fname])) for fname in sorted(vals_list[0])]
        rows = [{fname: convert(vals[fname]) for fname, convert in converters} for vals in vals_list]
        columns = SQL(", ").join(SQL.identifier(fname) for fname, _convert in converters)
        # one JSON parameter: PostgreSQL parses it much faster than one
        # array literal per column
        self.env.cr.execute(
            SQL(
                """INSERT INTO kf_kpi_sheet_line (%(columns)s, create_uid, create_date, write_uid, write_date)
                   SELECT %(columns)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                     FROM json_populate_recordset(NULL::kf_kpi_sheet_line, %(rows)s::json)""",
                columns=columns,
                rows=json.dumps(rows, default=str),
                uid=self.env.uid,
                now=self.env.cr.now(),
            )
        )
        self.invalidate_model()
        sheets.invalidate_recordset(["line_ids"])

    def _kf_column_converter(self, field):
        """A function giving the column value of ``field`` from a create
        value, as ``convert_to_column_insert`` does, for the simple types of
        the lines without its per-call overhead (tens of thousands of
        lines): rounded floats are remembered, the same figures recur."""
        if field.type == "float":
            digits = field.get_digits(self.env)
            if digits:
                scale = digits[1]
                rounded = {}

                def convert(value):
                    try:
                        return rounded[value]
                    except KeyError:
                        return rounded.setdefault(value, float_round(float(value or 0.0), precision_digits=scale))

                return convert
            return lambda value: float(value or 0.0)
        if field.type == "boolean":
            return bool
        if field.type == "integer":
            return lambda value: int(value or 0)
        if field.type in ("many2one", "selection", "char", "date"):
            return lambda value: value or None
        return lambda value: field.convert_to_column_insert(value, self)

    def write(self, vals):
        self._check_computed_by_server()
        self._check_sheet_draft()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_approved(self):
        self._check_computed_by_server()
        self._check_sheet_draft()

    # ---------------------------------------------------------- drill-down
    def _kf_drilldown(self):
        """(model, domain) of exactly the records this figure counts."""
        self.ensure_one()
        sheet = self.sheet_id
        Sheet = self.env["kf.kpi.sheet"]
        period = sheet._kf_period()
        model, domain = getattr(Sheet, f"_kpi_{self.definition_id.method}_domain")(
            period, self.definition_id.method_param
        )
        user_domain = getattr(Sheet, f"_kpi_{self.definition_id.method}_user_domain", None)
        if sheet.scope == "employee" and user_domain:
            domain = [*domain, *user_domain(period, sheet.user_id)]
        elif sheet.scope == "employee":
            domain = [*domain, ("user_id", "=", sheet.user_id.id)]
        return model, domain

    def action_open_records(self):
        self.ensure_one()
        model, domain = self._kf_drilldown()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("%(kpi)s — %(sheet)s", kpi=self.definition_id.name, sheet=self.sheet_id.name),
            "res_model": model,
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": domain,
            "context": {"active_test": False, "create": False},
            "target": "current",
        }

    # -------------------------------------------------------------- export
    @api.model
    def xlsx_rows(self, month, batch_size=5000):
        """Yield the KPI lines of a month's sheets the current user may read
        (record rules apply), sheet by sheet in the order of
        ``kf.kpi.sheet.xlsx_rows()``, each sheet's in KPI order; lines are read
        for about ``batch_size`` lines (``batch_size // 20`` sheets) at a time
        and the cache is emptied after each batch.

        Each row is a dict: ``date_from``, ``appraised`` (the employee's name
        or the department), ``code``, ``kpi`` (its name), ``family`` and
        ``unit`` (labels), ``unit_key`` (the unit's key), ``target``,
        ``actual`` (None without data), ``met`` ("Yes", "No" or "No data"),
        ``weight`` and ``score``. Percentages are given as fractions (0.9 for
        90 %), as a spreadsheet's percent format expects."""
        families = dict(self._fields["family"]._description_selection(self.env))
        units = dict(self._fields["unit"]._description_selection(self.env))
        yes, no, no_data = self.env._("Yes"), self.env._("No"), self.env._("No data")
        Sheet = self.env["kf.kpi.sheet"]
        sheet_ids = Sheet._kf_month_sheets(month).ids
        fnames = ["sheet_id", "definition_id", "code", "family", "unit", "target", "actual", "has_data", "met"]
        step = max(batch_size // 20, 1)
        for start in range(0, len(sheet_ids), step):
            chunk = Sheet.browse(sheet_ids[start : start + step])
            by_sheet = self.search_fetch(
                [("sheet_id", "in", chunk.ids)], [*fnames, "weight", "score"], order="sequence, id"
            ).grouped("sheet_id")
            for line in (line for sheet in chunk for line in by_sheet.get(sheet, ())):
                target, actual = line.target, line.actual if line.has_data else None
                if line.unit == "percent":
                    # stored as 0-100
                    target = target / 100.0
                    actual = actual / 100.0 if actual is not None else None
                yield {
                    "date_from": line.sheet_id.sudo().date_from,
                    "appraised": line.sheet_id._kf_appraised_label(),
                    "code": line.code or line.definition_id.sudo().code,
                    "kpi": line.definition_id.sudo().name,
                    "family": families.get(line.family, line.family),
                    "unit": units.get(line.unit, line.unit),
                    "unit_key": line.unit,
                    "target": target,
                    "actual": actual,
                    "met": (yes if line.met else no) if line.has_data else no_data,
                    "weight": line.weight,
                    "score": line.score,
                }
            self.env.invalidate_all()
