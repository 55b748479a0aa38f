"""XLSX export of the monthly spare-part statement for finance. The rows come
from ``kf.spare.statement.statement_rows`` called as the requesting user; the
controller only parses the request and writes the workbook."""

import io
import re
from datetime import date

import xlsxwriter
from werkzeug.exceptions import BadRequest

from odoo import http
from odoo.http import content_disposition, request

from ..wizard.kf_spare_statement import COLUMNS

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class KfSparePartsXlsx(http.Controller):
    @http.route("/kf_spare_parts/xlsx/statement", type="http", auth="user", methods=["GET"])
    def statement(self, month=None, company_id=None, **_kw):
        match = MONTH_RE.match(month or "")
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise BadRequest("month must be YYYY-MM")
        first = date(int(match.group(1)), int(match.group(2)), 1)
        env = request.env
        company = env.company
        if company_id and company_id.isdigit() and int(company_id) in env.user.company_ids.ids:
            company = env["res.company"].browse(int(company_id))
        rows = env["kf.spare.statement"].with_company(company).statement_rows(first, company)
        return request.make_response(
            self._workbook(env, first, company, rows),
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Disposition", content_disposition(f"spare-parts-{first:%Y-%m}.xlsx")),
            ],
        )

    def _workbook(self, env, first, company, rows):
        labels = {
            "opening": env._("Opening"),
            "received": env._("Stock In"),
            "issued": env._("Issued Out"),
            "returned": env._("Returned In"),
            "consumed": env._("Consumed"),
            "lost": env._("Lost or damaged"),
            "closing": env._("Closing"),
        }
        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        number = book.add_format({"num_format": "0.##", "border": 1})
        text = book.add_format({"border": 1})
        month = first.strftime("%Y-%m")
        sheet = book.add_worksheet(month)
        title = env._("Monthly spare-part statement %(month)s — %(company)s", month=month, company=company.name)
        sheet.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 13}))
        heads = [env._("Internal Reference"), env._("Part")] + [labels[col] for col in COLUMNS]
        sheet.set_column(0, 0, 16)
        sheet.set_column(1, 1, 32)
        sheet.set_column(2, len(heads) - 1, 11)
        for col, head in enumerate(heads):
            sheet.write_string(2, col, head, header)
        for index, row in enumerate(rows, start=3):
            sheet.write_string(index, 0, row["product"].default_code or "", text)
            sheet.write_string(index, 1, row["product"].name or "", text)
            for col, key in enumerate(COLUMNS, start=2):
                sheet.write_number(index, col, row[key], number)
        total = len(rows) + 3
        sheet.write_string(total, 1, env._("Total"), header)
        for col, key in enumerate(COLUMNS, start=2):
            sheet.write_number(total, col, sum(row[key] for row in rows), header)
        book.close()
        return out.getvalue()
