"""XLSX exports of the pay statements for finance: the month (employees,
lines, commissioning allocation) and the year-end statement. The rows come
from ``kf.pay.statement.kf_month_rows`` / ``kf_year_rows`` called as the
requesting user (they refuse whoever may not read them); the controller only
parses the request and writes the workbook."""

import io
import re
from datetime import date

import xlsxwriter
from werkzeug.exceptions import BadRequest, Forbidden

from odoo import http
from odoo.exceptions import AccessError
from odoo.http import content_disposition, request

from ..models.kf_pay_statement_line import CATEGORIES

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
YEAR_RE = re.compile(r"^\d{4}$")


class KfPayXlsxBook:
    """An in-memory workbook with the formats of the pay exports."""

    def __init__(self):
        self.out = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.out, {"in_memory": True, "strings_to_formulas": False})
        add = self.book.add_format
        self.header = add({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        self.text = add({"border": 1})
        self.amount = add({"num_format": "#,##0.00", "border": 1})
        self.number = add({"num_format": "0.####", "border": 1})
        self.date = add({"num_format": "yyyy-mm-dd", "border": 1})
        self.total = add({"bold": True, "num_format": "#,##0.00", "border": 1})

    def sheet(self, name, heads, widths):
        sheet = self.book.add_worksheet(name[:31])
        for col, (head, width) in enumerate(zip(heads, widths, strict=True)):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, head, self.header)
        sheet.freeze_panes(1, 0)
        return sheet

    def row(self, sheet, index, values):
        """Write one row: a tuple (value, format) per cell."""
        for col, (value, fmt) in enumerate(values):
            if value is None or value is False:
                sheet.write_blank(index, col, None, fmt)
            elif isinstance(value, (int, float)):
                sheet.write_number(index, col, value, fmt)
            elif isinstance(value, date):
                sheet.write_datetime(index, col, value, fmt)
            else:
                sheet.write_string(index, col, str(value), fmt)

    def close(self):
        self.book.close()
        return self.out.getvalue()


class KfPayXlsx(http.Controller):
    def _company(self, company_id):
        env = request.env
        if company_id and company_id.isdigit() and int(company_id) in env.user.company_ids.ids:
            return env["res.company"].browse(int(company_id))
        return env.company

    def _response(self, content, filename):
        return request.make_response(
            content,
            headers=[("Content-Type", XLSX_MIMETYPE), ("Content-Disposition", content_disposition(filename))],
        )

    @http.route("/kf_performance_pay/xlsx/month", type="http", auth="user", methods=["GET"])
    def month(self, month=None, company_id=None, **_kw):
        match = MONTH_RE.match(month or "")
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise BadRequest("month must be YYYY-MM")
        first = date(int(match.group(1)), int(match.group(2)), 1)
        company = self._company(company_id)
        try:
            rows = request.env["kf.pay.statement"].kf_month_rows(first, company)
        except AccessError as error:
            raise Forbidden(str(error)) from error
        return self._response(self._month_book(request.env, rows), f"performance-pay-{first:%Y-%m}.xlsx")

    @http.route("/kf_performance_pay/xlsx/year", type="http", auth="user", methods=["GET"])
    def year(self, year=None, company_id=None, user_ids=None, **_kw):
        if not YEAR_RE.match(year or ""):
            raise BadRequest("year must be YYYY")
        company = self._company(company_id)
        users = None
        if user_ids:
            ids = [int(uid) for uid in user_ids.split(",") if uid.isdigit()]
            users = request.env["res.users"].browse(ids)
        try:
            rows = request.env["kf.pay.statement"].kf_year_rows(int(year), company, users)
        except AccessError as error:
            raise Forbidden(str(error)) from error
        return self._response(self._year_book(request.env, rows), f"performance-pay-{year}.xlsx")

    def _month_book(self, env, rows):
        labels = env["kf.pay.statement"].kf_category_labels()
        states = dict(env["kf.pay.statement"]._fields["state"]._description_selection(env))
        xb = KfPayXlsxBook()
        sheet = xb.sheet(
            env._("Employees"),
            [env._("Employee"), env._("Earned"), env._("Deducted"), env._("Total"), env._("Status")],
            [24, 14, 14, 14, 12],
        )
        for index, row in enumerate(rows["employees"], start=1):
            xb.row(
                sheet,
                index,
                [
                    (row["user"].name, xb.text),
                    (row["earned"], xb.amount),
                    (row["deducted"], xb.amount),
                    (row["total"], xb.amount),
                    (states.get(row["state"], row["state"]), xb.text),
                ],
            )
        last = len(rows["employees"]) + 1
        sheet.write_string(last, 0, env._("Total"), xb.header)
        for col, key in ((1, "earned"), (2, "deducted"), (3, "total")):
            sheet.write_number(last, col, sum(row[key] for row in rows["employees"]), xb.total)
        sheet = xb.sheet(
            env._("Lines"),
            [
                env._("Employee"),
                env._("Category"),
                env._("Description"),
                env._("Quantity"),
                env._("Rate"),
                env._("Amount"),
                env._("Due On"),
                env._("Source"),
            ],
            [20, 22, 48, 12, 12, 14, 12, 24],
        )
        for index, row in enumerate(rows["lines"], start=1):
            xb.row(
                sheet,
                index,
                [
                    (row["user"].name, xb.text),
                    (labels.get(row["category"], row["category"]), xb.text),
                    (row["name"], xb.text),
                    (row["quantity"], xb.number),
                    (row["rate"], xb.number),
                    (row["amount"], xb.amount),
                    (row["date_due"], xb.date),
                    (row["source"], xb.text),
                ],
            )
        sheet = xb.sheet(
            env._("Commissioning Allocation"),
            [env._("Employee"), env._("Category"), env._("Quantity"), env._("Amount")],
            [24, 26, 12, 14],
        )
        for index, row in enumerate(rows["allocation"], start=1):
            xb.row(
                sheet,
                index,
                [
                    (row["user"].name, xb.text),
                    (labels.get(row["category"], row["category"]), xb.text),
                    (row["quantity"], xb.number),
                    (row["amount"], xb.amount),
                ],
            )
        last = len(rows["allocation"]) + 1
        sheet.write_string(last, 0, env._("Total"), xb.header)
        sheet.write_number(last, 3, sum(row["amount"] for row in rows["allocation"]), xb.total)
        return xb.close()

    def _year_book(self, env, rows):
        labels = env["kf.pay.statement"].kf_category_labels()
        used = [key for key, _label in CATEGORIES if any(key in row["totals"] for row in rows)]
        xb = KfPayXlsxBook()
        sheet = xb.sheet(
            env._("Year"),
            [env._("Employee")] + [labels[key] for key in used] + [env._("Year-End Bonus"), env._("Total")],
            [24] + [16] * len(used) + [14, 14],
        )
        for index, row in enumerate(rows, start=1):
            values = [(row["user"].name, xb.text)]
            values += [(row["totals"].get(key, 0.0), xb.amount) for key in used]
            values += [(row["bonus"], xb.amount), (row["total"], xb.amount)]
            xb.row(sheet, index, values)
        sheet = xb.sheet(
            env._("Months"),
            [env._("Employee"), env._("Month")] + [labels[key] for key in used] + [env._("Total")],
            [24, 10] + [16] * len(used) + [14],
        )
        index = 0
        for row in rows:
            for month, cell in enumerate(row["months"], start=1):
                if not cell:
                    continue
                index += 1
                values = [(row["user"].name, xb.text), (month, xb.number)]
                values += [(cell.get(key, 0.0), xb.amount) for key in used]
                values.append((sum(cell.values()), xb.amount))
                xb.row(sheet, index, values)
        return xb.close()
