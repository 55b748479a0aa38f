"""XLSX exports of the KPI reports: appraisal sheets, satisfaction summary and
problem statistics of a month.

The rows come from the report models' ``xlsx_rows`` methods, called as the
requesting user (their access rights and record rules apply), which read large
tables in batches; the workbook is written row by row with KF's streaming
writer (``kf_customer_service.tools.kf_xlsx``) to a temporary file, which is
then streamed back.
"""

import os
import re
import tempfile
from datetime import date

from dateutil.relativedelta import relativedelta
from werkzeug.exceptions import BadRequest, Forbidden
from werkzeug.wsgi import wrap_file

from odoo import fields, http
from odoo.http import Response, content_disposition, request

from odoo.addons.kf_customer_service.tools import kf_xlsx

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_SIZE = 5000
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
# number format of a KPI figure by its unit
UNIT_FORMATS = {"percent": "percent", "days": "float1", "count": "float1", "amount": "amount"}
FORMAT_SPECS = {
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


class XlsxTable:
    """One worksheet written row by row, with a header row frozen and filtered."""

    def __init__(self, book, name, columns):
        """``columns``: list of (header label, width, format key)."""
        self.book = book
        self.formats = [book.formats[fmt] for _label, _width, fmt in columns]
        self.sheet = book.workbook.add_sheet(
            name,
            [(label, width, book.formats[fmt]) for label, width, fmt in columns],
            header_format=book.formats["header"],
            header_height=22,
        )

    def append(self, values, bold=False, formats=None):
        """Write one row; ``formats`` overrides the format key of some columns;
        ``bold`` writes a total row (bold, with a top border)."""
        book = self.book
        if bold:
            styles = list(self.formats)
            for col, key in (formats or {}).items():
                styles[col] = book.formats[key]
            self.sheet.append(values, formats=[book.bold_format(style) for style in styles])
        elif formats:
            self.sheet.append(values, formats={col: book.formats[key] for col, key in formats.items()})
        else:
            self.sheet.append(values)

    def close(self):
        self.sheet.close()


class XlsxBook:
    """A workbook in a temporary file with the formats used by the exports."""

    def __init__(self):
        self.file = tempfile.TemporaryFile(suffix=".xlsx")
        self.workbook = kf_xlsx.Workbook(self.file)
        self.formats = {key: self.workbook.add_format(spec) for key, spec in FORMAT_SPECS.items()}
        self._bold = {}

    def bold_format(self, style):
        """The bold variant (with a top border) of a format."""
        if style not in self._bold:
            spec = self.workbook.format_spec(style)
            self._bold[style] = self.workbook.add_format(dict(spec, bold=True, top=1))
        return self._bold[style]

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

    # ------------------------------------------------------------ workbooks
    def _kf_write_appraisal(self, env, book, month_start):
        lines = book.table(
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
        for row in env["kf.kpi.sheet.line"].xlsx_rows(month_start, batch_size=CHUNK_SIZE):
            value_format = UNIT_FORMATS.get(row["unit_key"], "float")
            lines.append(
                [
                    row["date_from"],
                    row["appraised"],
                    row["code"],
                    row["kpi"],
                    row["family"],
                    row["target"],
                    row["actual"],
                    row["unit"],
                    row["met"],
                    row["weight"],
                    row["score"],
                ],
                formats={5: value_format, 6: value_format},
            )
        lines.close()

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
        for row in env["kf.kpi.sheet"].xlsx_rows(month_start):
            summary.append(
                [
                    row["date_from"],
                    row["appraised"],
                    row["scope"],
                    row["state"],
                    row["total_score"],
                    row["met_count"],
                    row["measured_count"],
                ]
            )
        summary.close()

    def _kf_write_satisfaction(self, env, book, month_start):
        Report = env["kf.kpi.satisfaction.report"]
        for groupby, title, who_label in (
            ("partner_id", env._("By Customer"), env._("Customer")),
            ("user_id", env._("By Specialist"), env._("Specialist")),
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
            for row in Report.xlsx_rows(month_start, groupby=groupby):
                table.append(
                    [
                        month_start,
                        row["label"],
                        row["responses"],
                        row["visits"],
                        row["surveys"],
                        row["average_score"],
                        row["average_pct"],
                    ],
                    bold=row["is_total"],
                )
            table.close()

    def _kf_write_problems(self, env, book, month_start):
        Report = env["kf.kpi.problem.report"]
        stats = book.table(
            env._("Statistics"),
            [
                (env._("Month"), 10, "month"),
                (env._("Employee"), 24, "text"),
                (env._("Project"), 30, "text"),
                *((label, 12, "int") for _key, label in Report.problem_types()),
                (env._("Total"), 10, "int"),
                (env._("Evidence"), 10, "int"),
            ],
        )
        for row in Report.xlsx_statistics_rows(month_start):
            stats.append(
                [month_start, row["employee"], row["project"], *row["counts"], row["total"], row["evidence"]],
                bold=row["is_total"],
            )
        stats.close()

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
        for row in Report.xlsx_rows(month_start, batch_size=CHUNK_SIZE):
            problems.append(
                [
                    row["name"],
                    row["date"],
                    row["type"],
                    row["customer"],
                    row["project"],
                    row["employee"],
                    row["state"],
                    row["description"],
                    row["evidence_count"],
                    row["evidence_files"],
                ]
            )
        problems.close()
