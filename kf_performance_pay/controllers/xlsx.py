"""XLSX exports of the pay statements for finance: the month (employees,
lines, commissioning allocation) and the year-end statement. The rows come
from ``kf.pay.statement.kf_month_rows`` / ``kf_year_rows`` called as the
requesting user (they refuse whoever may not read them); the controller only
parses the request and writes the workbook."""

import io
import re
from datetime import date

from werkzeug.exceptions import BadRequest, Forbidden

from odoo import http
from odoo.exceptions import AccessError
from odoo.http import content_disposition, request

from odoo.addons.kf_customer_service.tools import kf_xlsx

from ..models.kf_pay_statement_line import CATEGORIES

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
YEAR_RE = re.compile(r"^\d{4}$")


class KfPayXlsxBook:
    """An in-memory workbook (KF's streaming writer) with the formats of the
    pay exports."""

    def __init__(self):
        self.out = io.BytesIO()
        self.book = kf_xlsx.Workbook(self.out)
        add = self.book.add_format
        self.header = add({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        self.text = add({"border": 1})
        self.amount = add({"num_format": "#,##0.00", "border": 1})
        self.number = add({"num_format": "0.####", "border": 1})
        self.date = add({"num_format": "yyyy-mm-dd", "border": 1})
        self.total = add({"bold": True, "num_format": "#,##0.00", "border": 1})

    def sheet(self, name, heads, widths):
        """A new sheet (the previous one is finished) with its header row frozen."""
        columns = list(zip(heads, widths, strict=True))
        return self.book.add_sheet(name, columns, header_format=self.header, autofilter=False)

    def row(self, sheet, values):
        """Write the next row: a tuple (value, format) per cell."""
        cells = []
        for value, _fmt in values:
            if value is None or value is False:
                cells.append(None)
            elif isinstance(value, (int, float, date)):
                cells.append(value if not isinstance(value, bool) else int(value))
            else:
                cells.append(str(value))
        sheet.append(cells, formats=[fmt for _value, fmt in values])

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
        for row in rows["employees"]:
            xb.row(
                sheet,
                [
                    (row["user"].name, xb.text),
                    (row["earned"], xb.amount),
                    (row["deducted"], xb.amount),
                    (row["total"], xb.amount),
                    (states.get(row["state"], row["state"]), xb.text),
                ],
            )
        totals = [sum(row[key] for row in rows["employees"]) for key in ("earned", "deducted", "total")]
        sheet.append([env._("Total"), *totals], formats=[xb.header, xb.total, xb.total, xb.total])
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
        for row in rows["lines"]:
            xb.row(
                sheet,
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
        for row in rows["allocation"]:
            xb.row(
                sheet,
                [
                    (row["user"].name, xb.text),
                    (labels.get(row["category"], row["category"]), xb.text),
                    (row["quantity"], xb.number),
                    (row["amount"], xb.amount),
                ],
            )
        amount = sum(row["amount"] for row in rows["allocation"])
        sheet.append([env._("Total"), None, None, amount], formats=[xb.header, 0, 0, xb.total])
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
        for row in rows:
            values = [(row["user"].name, xb.text)]
            values += [(row["totals"].get(key, 0.0), xb.amount) for key in used]
            values += [(row["bonus"], xb.amount), (row["total"], xb.amount)]
            xb.row(sheet, values)
        sheet = xb.sheet(
            env._("Months"),
            [env._("Employee"), env._("Month")] + [labels[key] for key in used] + [env._("Total")],
            [24, 10] + [16] * len(used) + [14],
        )
        for row in rows:
            for month, cell in enumerate(row["months"], start=1):
                if not cell:
                    continue
                values = [(row["user"].name, xb.text), (month, xb.number)]
                values += [(cell.get(key, 0.0), xb.amount) for key in used]
                values.append((sum(cell.values()), xb.amount))
                xb.row(sheet, values)
        return xb.close()
