"""XLSX export of the monthly spare-part statement for finance. The rows come
from ``kf.spare.statement.statement_rows`` called as the requesting user; the
controller only parses the request and writes the workbook."""

import io
import re
from datetime import date

from werkzeug.exceptions import BadRequest

from odoo import http
from odoo.http import content_disposition, request

from odoo.addons.kf_customer_service.tools import kf_xlsx

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
        book = kf_xlsx.Workbook(out)
        header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        number = book.add_format({"num_format": "0.##", "border": 1})
        text = book.add_format({"border": 1})
        month = first.strftime("%Y-%m")
        heads = [env._("Internal Reference"), env._("Part")] + [labels[col] for col in COLUMNS]
        sheet = book.add_sheet(month, widths=[16, 32] + [11] * len(COLUMNS), freeze_header=False, autofilter=False)
        title = env._("Monthly spare-part statement %(month)s — %(company)s", month=month, company=company.name)
        sheet.append([title], formats=[book.add_format({"bold": True, "font_size": 13})])
        sheet.append([])
        sheet.append(heads, formats=[header] * len(heads))
        formats = [text, text] + [number] * len(COLUMNS)
        for row in rows:
            sheet.append(
                [row["product"].default_code or "", row["product"].name or ""] + [row[key] for key in COLUMNS],
                formats=formats,
            )
        totals = [sum(row[key] for row in rows) for key in COLUMNS]
        sheet.append([None, env._("Total"), *totals], formats=[0] + [header] * (len(COLUMNS) + 1))
        book.close()
        return out.getvalue()
