"""XLSX exports of the KPI reports: appraisal sheets, satisfaction summary and
problem statistics of a month.

Rows are read through the ORM's ``_search`` so that the access rights and
record rules of the requesting user apply; the workbook is written row by row
with xlsxwriter in ``constant_memory`` mode to a temporary file, which is then
streamed back. Large tables are read in keyset-paginated chunks.
"""

import os
import re
import tempfile
from datetime import date

import xlsxwriter
from dateutil.relativedelta import relativedelta
from werkzeug.exceptions import BadRequest, Forbidden
from werkzeug.wsgi import wrap_file

from odoo import fields, http
from odoo.http import Response, content_disposition, request
from odoo.tools import SQL

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_SIZE = 5000
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
PROBLEM_TYPES = ("overdue", "complaint", "quality", "acceptance", "warranty")


class XlsxTable:
    """One worksheet written row by row (xlsxwriter constant_memory mode)."""

    def __init__(self, book, name, columns):
        """``columns``: list of (header label, width, format key)."""
        self.book = book
        self.sheet = book.workbook.add_worksheet(name[:31])
        self.formats = [book.formats[fmt] for _label, _width, fmt in columns]
        for col, (label, width, _fmt) in enumerate(columns):
            self.sheet.set_column(col, col, width)
            self.sheet.write_string(0, col, label, book.formats["header"])
        self.sheet.set_row(0, 22)
        self.sheet.freeze_panes(1, 0)
        self.ncols = len(columns)
        self.row = 0

    def append(self, values, bold=False, formats=None):
        """Write one row; ``formats`` overrides the format key of some columns."""
        self.row += 1
        for col, value in enumerate(values):
            fmt = self.formats[col]
            if formats and col in formats:
                fmt = self.book.formats[formats[col]]
            if bold:
                fmt = self.book.bold_format(fmt)
            if value is None or value is False or value == "":
                self.sheet.write_blank(self.row, col, None, fmt)
            elif isinstance(value, date):
                self.sheet.write_datetime(self.row, col, value, fmt)
            elif isinstance(value, bool):
                self.sheet.write_boolean(self.row, col, value, fmt)
            elif isinstance(value, (int, float)):
                self.sheet.write_number(self.row, col, value, fmt)
            else:
                # always as a string: never let a text starting with "=" become a formula
                self.sheet.write_string(self.row, col, str(value), fmt)

    def close(self):
        if self.row:
            self.sheet.autofilter(0, 0, self.row, self.ncols - 1)


class XlsxBook:
    """A workbook in a temporary file with the formats used by the exports."""

    def __init__(self):
        self.file = tempfile.TemporaryFile(suffix=".xlsx")
        self.workbook = xlsxwriter.Workbook(
            self.file,
            {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        add = self.workbook.add_format
        self.spec = {
            "header": {"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "vcenter"},
            "text": {},
            "wrap": {"text_wrap": True, "valign": "top"},
            "date": {"num_format": "yyyy-mm-dd"},
            "month": {"num_format": "yyyy-mm"},
            "int": {"num_format": "0"},
            "float": {"num_format": "0.00"},
            "float1": {"num_format": "0.0"},
            "amount": {"num_format": "#,##0.00"},
            "percent": {"num_format": "0.0%"},
        }
        self.formats = {key: add(spec) for key, spec in self.spec.items()}
        self._bold = {}

    def bold_format(self, fmt):
        key = id(fmt)
        if key not in self._bold:
            spec = next((s for k, s in self.spec.items() if self.formats[k] is fmt), {})
            self._bold[key] = self.workbook.add_format(dict(spec, bold=True, top=1))
        return self._bold[key]

    def table(self, name, columns):
        return XlsxTable(self, name, columns)

    def response(self, filename):
        """Close the workbook and stream the file back."""
        self.workbook.close()
        size = self.file.seek(0, os.SEEK_END)
        self.file.seek(0)
        headers = [
            ("Content-Type", XLSX_MIMETYPE),
            ("Content-Disposition", content_disposition(filename)),
            ("Content-Length", str(size)),
            ("Cache-Control", "no-store"),
        ]
        return Response(wrap_file(request.httprequest.environ, self.file), headers=headers, direct_passthrough=True)


class KfKpiXlsxController(http.Controller):
    # ------------------------------------------------------------- helpers
    def _kf_env(self):
        """Environment of the requesting user, in the user's language; only
        customer-service staff may export."""
        user = request.env.user
        if not user.has_group("kf_customer_service.group_kf_clerk"):
            raise Forbidden()
        lang = user.lang or request.env.context.get("lang") or "en_US"
        return request.env(context=dict(request.env.context, lang=lang))

    def _kf_month(self, env, month):
        """First day of the month given as YYYY-MM (default: last month)."""
        if not month:
            return fields.Date.context_today(env.user) + relativedelta(day=1, months=-1)
        match = MONTH_RE.match(month.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise BadRequest(env._("The month must be given as YYYY-MM, e.g. 2026-10."))
        return date(int(match.group(1)), int(match.group(2)), 1)

    @staticmethod
    def _kf_selection(env, model, field):
        return dict(env[model]._fields[field]._description_selection(env))

    @staticmethod
    def _kf_jsonb(env, alias, column):
        """Translated value of a jsonb (translatable) column."""
        return SQL(
            "COALESCE(%s->>%s, %s->>'en_US')",
            SQL.identifier(alias, column),
            env.lang or "en_US",
            SQL.identifier(alias, column),
        )

    def _kf_user_name(self, query, alias, column="user_id"):
        """Join the user of ``alias.column`` and return the SQL of their name."""
        user_alias = query.left_join(alias, column, "res_users", "id", f"kf_{column}")
        partner_alias = query.left_join(user_alias, "partner_id", "res_partner", "id", "kf_partner")
        return SQL.identifier(partner_alias, "name")

    def _kf_iter_keyset(self, env, model, domain, key_field, select):
        """Yield the rows of ``select(query)`` over the records of ``model``
        matching ``domain`` that the user may read, ordered by (key_field, id),
        fetched in chunks of CHUNK_SIZE records (keyset pagination: memory does
        not grow with the month). ``select`` must return key_field and id as
        its first two columns."""
        Model = env[model]
        last = None
        while True:
            page_domain = list(domain)
            if last is not None:
                page_domain += ["|", (key_field, ">", last[0]), "&", (key_field, "=", last[0]), ("id", ">", last[1])]
            query = Model._search(page_domain, order=f"{key_field}, id", limit=CHUNK_SIZE)
            rows = env.execute_query(select(query))
            yield from rows
            if len(rows) < CHUNK_SIZE:
                return
            last = rows[-1][:2]

    # ------------------------------------------------------------- routes
    @http.route("/kf_kpi/xlsx/appraisal", type="http", auth="user", methods=["GET"])
    def kf_xlsx_appraisal(self, month=None, **kwargs):
        env = self._kf_env()
        month_start = self._kf_month(env, month)
        book = XlsxBook()
        self._kf_write_appraisal(env, book, month_start)
        return book.response(f"kf_appraisal_{month_start:%Y-%m}.xlsx")

    @http.route("/kf_kpi/xlsx/satisfaction", type="http", auth="user", methods=["GET"])
    def kf_xlsx_satisfaction(self, month=None, **kwargs):
        env = self._kf_env()
        month_start = self._kf_month(env, month)
        book = XlsxBook()
        self._kf_write_satisfaction(env, book, month_start)
        return book.response(f"kf_satisfaction_{month_start:%Y-%m}.xlsx")

    @http.route("/kf_kpi/xlsx/problems", type="http", auth="user", methods=["GET"])
    def kf_xlsx_problems(self, month=None, **kwargs):
        env = self._kf_env()
        month_start = self._kf_month(env, month)
        book = XlsxBook()
        self._kf_write_problems(env, book, month_start)
        return book.response(f"kf_problems_{month_start:%Y-%m}.xlsx")

    # ------------------------------------------------------------ appraisal
    def _kf_write_appraisal(self, env, book, month_start):
        Sheet = env["kf.kpi.sheet"]
        Line = env["kf.kpi.sheet.line"]
        department = env._("Customer Service Department")
        scopes = self._kf_selection(env, "kf.kpi.sheet", "scope")
        states = self._kf_selection(env, "kf.kpi.sheet", "state")
        families = self._kf_selection(env, "kf.kpi.sheet.line", "family")
        units = self._kf_selection(env, "kf.kpi.sheet.line", "unit")
        yes, no, no_data = env._("Yes"), env._("No"), env._("No data")

        # the sheets of the month (one per employee and one for the department)
        query = Sheet._search([("date_from", "=", month_start)], order="scope, user_id, id")
        sheet_alias = query.table
        user_name = self._kf_user_name(query, sheet_alias)
        sheets = env.execute_query(
            query.select(
                SQL.identifier(sheet_alias, "id"),
                SQL.identifier(sheet_alias, "date_from"),
                SQL.identifier(sheet_alias, "scope"),
                user_name,
                SQL.identifier(sheet_alias, "state"),
                SQL.identifier(sheet_alias, "total_score"),
                SQL(
                    """(SELECT COUNT(*) FILTER (WHERE l.has_data AND l.met)
                          FROM kf_kpi_sheet_line l WHERE l.sheet_id = %s)""",
                    SQL.identifier(sheet_alias, "id"),
                ),
                SQL(
                    "(SELECT COUNT(*) FILTER (WHERE l.has_data) FROM kf_kpi_sheet_line l WHERE l.sheet_id = %s)",
                    SQL.identifier(sheet_alias, "id"),
                ),
            )
        )

        def who(scope, name):
            return name if scope == "employee" and name else department

        lines_table = book.table(
            env._("Appraisal"),
            [
                (env._("Month"), 10, "month"),
                (env._("Employee / Department"), 24, "text"),
                (env._("KPI Code"), 14, "text"),
                (env._("KPI"), 36, "text"),
                (env._("Family"), 14, "text"),
                (env._("Target"), 12, "float"),
                (env._("Actual"), 12, "float"),
                (env._("Unit"), 10, "text"),
                (env._("Met"), 10, "text"),
                (env._("Weight"), 10, "float"),
                (env._("Score"), 10, "float"),
            ],
        )
        # lines of up to CHUNK_SIZE/20 sheets at a time, in the order of the sheets
        step = max(CHUNK_SIZE // 20, 1)
        for start in range(0, len(sheets), step):
            chunk = [row[0] for row in sheets[start : start + step]]
            query = Line._search([("sheet_id", "in", chunk)])
            line = query.table
            sheet = query.join(line, "sheet_id", "kf_kpi_sheet", "id", "kf_sheet_id")
            definition = query.join(line, "definition_id", "kf_kpi_definition", "id", "kf_definition_id")
            name_sql = self._kf_user_name(query, sheet)
            query.order = SQL(
                "array_position(%s, %s), %s, %s",
                chunk,
                SQL.identifier(line, "sheet_id"),
                SQL.identifier(line, "sequence"),
                SQL.identifier(line, "id"),
            )
            rows = env.execute_query(
                query.select(
                    SQL.identifier(sheet, "date_from"),
                    SQL.identifier(sheet, "scope"),
                    name_sql,
                    SQL("COALESCE(%s, %s)", SQL.identifier(line, "code"), SQL.identifier(definition, "code")),
                    self._kf_jsonb(env, definition, "name"),
                    SQL.identifier(line, "family"),
                    SQL.identifier(line, "target"),
                    SQL.identifier(line, "actual"),
                    SQL.identifier(line, "unit"),
                    SQL.identifier(line, "has_data"),
                    SQL.identifier(line, "met"),
                    SQL.identifier(line, "weight"),
                    SQL.identifier(line, "score"),
                )
            )
            for date_from, scope, name, code, kpi, family, target, actual, unit, has_data, met, weight, score in rows:
                value_format = "float"
                if unit == "percent":
                    # stored as 0-100: written as a fraction with a % format
                    target = target / 100.0 if target is not None else None
                    actual = actual / 100.0 if actual is not None else None
                    value_format = "percent"
                elif unit in ("days", "count"):
                    value_format = "float1"
                elif unit == "amount":
                    value_format = "amount"
                lines_table.append(
                    [
                        date_from,
                        who(scope, name),
                        code,
                        kpi,
                        families.get(family, family),
                        target,
                        actual if has_data else None,
                        units.get(unit, unit),
                        (yes if met else no) if has_data else no_data,
                        weight,
                        score,
                    ],
                    formats={5: value_format, 6: value_format},
                )
        lines_table.close()

        summary = book.table(
            env._("Summary"),
            [
                (env._("Month"), 10, "month"),
                (env._("Employee / Department"), 24, "text"),
                (env._("Scope"), 12, "text"),
                (env._("Status"), 12, "text"),
                (env._("Total Score"), 12, "float1"),
                (env._("KPIs Met"), 12, "int"),
                (env._("KPIs Measured"), 14, "int"),
            ],
        )
        for _sheet_id, date_from, scope, name, state, total, met_count, measured_count in sheets:
            summary.append(
                [
                    date_from,
                    who(scope, name),
                    scopes.get(scope, scope),
                    states.get(state, state),
                    total,
                    met_count,
                    measured_count,
                ]
            )
        summary.close()

    # --------------------------------------------------------- satisfaction
    def _kf_satisfaction_groups(self, env, month_start, by):
        """One grouped query over the satisfaction view: (label, responses,
        visits, surveys, average score, average %) per customer or specialist."""
        Report = env["kf.kpi.satisfaction.report"]
        query = Report._search([("month", "=", month_start)])
        report = query.table
        if by == "partner_id":
            partner = query.left_join(report, "partner_id", "res_partner", "id", "kf_partner_id")
            label = SQL.identifier(partner, "name")
        else:
            label = self._kf_user_name(query, report, "user_id")
        key = SQL.identifier(report, by)
        query.groupby = SQL("%s, %s", key, label)
        query.order = SQL("%s NULLS LAST, %s", label, key)
        source = SQL.identifier(report, "source")
        return env.execute_query(
            query.select(
                label,
                SQL("COUNT(*)"),
                SQL("COUNT(*) FILTER (WHERE %s = 'visit')", source),
                SQL("COUNT(*) FILTER (WHERE %s = 'survey')", source),
                SQL("AVG(%s)", SQL.identifier(report, "score")),
                SQL("AVG(%s) / 100.0", SQL.identifier(report, "score_pct")),
            )
        )

    def _kf_write_satisfaction(self, env, book, month_start):
        for by, title, who_label, empty in (
            ("partner_id", env._("By Customer"), env._("Customer"), env._("No customer")),
            ("user_id", env._("By Specialist"), env._("Specialist"), env._("Unassigned")),
        ):
            table = book.table(
                title,
                [
                    (env._("Month"), 10, "month"),
                    (who_label, 36, "text"),
                    (env._("Responses"), 12, "int"),
                    (env._("Return Visits"), 12, "int"),
                    (env._("Surveys"), 12, "int"),
                    (env._("Average Score"), 14, "float"),
                    (env._("Average %"), 12, "percent"),
                ],
            )
            total = [0, 0, 0, 0.0]
            for label, count, visits, surveys, avg_score, avg_pct in self._kf_satisfaction_groups(env, month_start, by):
                table.append([month_start, label or empty, count, visits, surveys, avg_score, avg_pct])
                total[0] += count
                total[1] += visits
                total[2] += surveys
                total[3] += (avg_score or 0.0) * count
            if total[0]:
                average = total[3] / total[0]
                table.append(
                    [month_start, env._("Total"), total[0], total[1], total[2], average, average / 5.0],
                    bold=True,
                )
            table.close()

    # ------------------------------------------------------------- problems
    def _kf_write_problems(self, env, book, month_start):
        Report = env["kf.kpi.problem.report"]
        types = self._kf_selection(env, "kf.kpi.problem.report", "problem_type")
        states = self._kf_selection(env, "kf.kpi.problem.report", "state")
        no_employee, no_project = env._("Unassigned"), env._("No project")

        # a date range (rather than the month column) lets PostgreSQL use the
        # index on kf_problem.date through the view
        domain = [("date", ">=", month_start), ("date", "<", month_start + relativedelta(months=1))]

        # Statistics: one grouped query by employee and project
        query = Report._search(domain)
        report = query.table
        user_name = self._kf_user_name(query, report)
        project = query.left_join(report, "project_id", "project_project", "id", "kf_project_id")
        project_name = self._kf_jsonb(env, project, "name")
        query.groupby = SQL(
            "%s, %s, %s, %s",
            SQL.identifier(report, "user_id"),
            user_name,
            SQL.identifier(report, "project_id"),
            project_name,
        )
        query.order = SQL("%s NULLS LAST, %s NULLS LAST", user_name, project_name)
        problem_type = SQL.identifier(report, "problem_type")
        rows = env.execute_query(
            query.select(
                user_name,
                project_name,
                *(SQL("COUNT(*) FILTER (WHERE %s = %s)", problem_type, ptype) for ptype in PROBLEM_TYPES),
                SQL("COUNT(*)"),
                SQL("COALESCE(SUM(%s), 0)", SQL.identifier(report, "evidence_count")),
            )
        )
        stats = book.table(
            env._("Statistics"),
            [
                (env._("Month"), 10, "month"),
                (env._("Employee"), 24, "text"),
                (env._("Project"), 30, "text"),
                *((types.get(ptype, ptype), 12, "int") for ptype in PROBLEM_TYPES),
                (env._("Total"), 10, "int"),
                (env._("Evidence"), 10, "int"),
            ],
        )
        totals = [0] * (len(PROBLEM_TYPES) + 2)
        for employee, project_label, *counts in rows:
            stats.append([month_start, employee or no_employee, project_label or no_project, *counts])
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
        if rows:
            stats.append([month_start, env._("Total"), None, *totals], bold=True)
        stats.close()

        # Problems: each problem with its evidence file names, in date order
        problems = book.table(
            env._("Problems"),
            [
                (env._("Reference"), 18, "text"),
                (env._("Date"), 12, "date"),
                (env._("Type"), 16, "text"),
                (env._("Customer"), 30, "text"),
                (env._("Project"), 26, "text"),
                (env._("Employee"), 20, "text"),
                (env._("Status"), 12, "text"),
                (env._("Description"), 50, "wrap"),
                (env._("Evidence"), 10, "int"),
                (env._("Evidence Files"), 50, "wrap"),
            ],
        )

        def select(query):
            report = query.table
            problem = query.join(report, "id", "kf_problem", "id", "kf_problem")
            customer = query.left_join(report, "partner_id", "res_partner", "id", "kf_partner_id")
            project = query.left_join(report, "project_id", "project_project", "id", "kf_project_id")
            return query.select(
                SQL.identifier(report, "date"),
                SQL.identifier(report, "id"),
                SQL.identifier(report, "name"),
                SQL.identifier(report, "problem_type"),
                SQL.identifier(customer, "name"),
                self._kf_jsonb(env, project, "name"),
                self._kf_user_name(query, report),
                SQL.identifier(report, "state"),
                SQL.identifier(problem, "description"),
                SQL.identifier(report, "evidence_count"),
                SQL(
                    """(SELECT string_agg(att.name, ', ' ORDER BY att.name, att.id)
                          FROM kf_problem_evidence_rel rel
                          JOIN ir_attachment att ON att.id = rel.attachment_id
                         WHERE rel.problem_id = %s)""",
                    SQL.identifier(report, "id"),
                ),
            )

        for (
            problem_date,
            _id,
            name,
            ptype,
            customer,
            project_label,
            employee,
            state,
            description,
            evidence_count,
            files,
        ) in self._kf_iter_keyset(env, "kf.kpi.problem.report", domain, "date", select):
            problems.append(
                [
                    name,
                    problem_date,
                    types.get(ptype, ptype),
                    customer,
                    project_label,
                    employee,
                    states.get(state, state),
                    description,
                    evidence_count,
                    files,
                ]
            )
        problems.close()
