from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..models.kf_spare_loan import KEEPER_GROUP

COLUMNS = ("opening", "received", "issued", "returned", "consumed", "lost", "closing")


class KfSpareStatement(models.TransientModel):
    """The monthly spare-part statement (per product: opening, received,
    issued, returned, consumed, lost, closing) read from the done stock
    moves of the department's locations."""

    _name = "kf.spare.statement"
    _description = "Monthly Spare-Part Statement"

    month = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self).replace(day=1) - relativedelta(months=1)
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)

    @api.model
    def statement_rows(self, month, company):
        """One dict per product moved or held in the month: product (record),
        and the quantities of ``COLUMNS``. Held = the store plus the parts on
        loan; issued/returned = store ↔ on loan; consumed = on loan → a
        customer; lost = on loan → an inventory-loss location; received = the
        other moves into or out of the held locations (purchases,
        adjustments, …). closing = opening + received - consumed - lost.
        One grouped SQL query over stock_move."""
        if not self.env.user.has_group(KEEPER_GROUP):
            raise AccessError(self.env._("Only the spare-part clerk and the manager read the statement."))
        month = fields.Date.to_date(month).replace(day=1)
        start = fields.Datetime.to_datetime(month)
        end = fields.Datetime.to_datetime(month + relativedelta(months=1))
        company = company.kf_spare_locations()
        store = company.kf_spare_store_location_id
        loan_ids = (
            self.env["stock.location"]
            .sudo()
            .with_context(active_test=False)
            .search([("id", "child_of", company.kf_spare_loan_location_id.id)])
            .ids
        )
        query = SQL(
            """
            WITH mv AS (
                SELECT m.product_id, m.quantity AS qty, m.date >= %(start)s AS in_month,
                       m.location_id = %(store)s AS src_store, m.location_dest_id = %(store)s AS dst_store,
                       m.location_id = ANY(%(loan)s) AS src_loan, m.location_dest_id = ANY(%(loan)s) AS dst_loan,
                       dl.usage AS dst_usage
                  FROM stock_move m
                  JOIN stock_location dl ON dl.id = m.location_dest_id
                 WHERE m.state = 'done' AND m.company_id = %(company)s AND m.date < %(end)s
                   AND (m.location_id = %(store)s OR m.location_dest_id = %(store)s
                        OR m.location_id = ANY(%(loan)s) OR m.location_dest_id = ANY(%(loan)s))
            ), cl AS (
                SELECT *, (src_store OR src_loan) AS src_held, (dst_store OR dst_loan) AS dst_held FROM mv
            )
            SELECT product_id,
                   SUM(CASE WHEN NOT in_month AND dst_held AND NOT src_held THEN qty
                            WHEN NOT in_month AND src_held AND NOT dst_held THEN -qty ELSE 0 END),
                   SUM(CASE WHEN in_month AND dst_held AND NOT src_held THEN qty
                            WHEN in_month AND src_held AND NOT dst_held
                                 AND NOT (src_loan AND dst_usage IN ('customer', 'inventory')) THEN -qty
                            ELSE 0 END),
                   SUM(CASE WHEN in_month AND src_store AND dst_loan THEN qty ELSE 0 END),
                   SUM(CASE WHEN in_month AND src_loan AND dst_store THEN qty ELSE 0 END),
                   SUM(CASE WHEN in_month AND src_loan AND dst_usage = 'customer' THEN qty ELSE 0 END),
                   SUM(CASE WHEN in_month AND src_loan AND dst_usage = 'inventory' THEN qty ELSE 0 END),
                   SUM(CASE WHEN dst_held AND NOT src_held THEN qty
                            WHEN src_held AND NOT dst_held THEN -qty ELSE 0 END)
              FROM cl
          GROUP BY product_id
            HAVING bool_or(in_month) OR SUM(CASE WHEN dst_held AND NOT src_held THEN qty
                                                 WHEN src_held AND NOT dst_held THEN -qty ELSE 0 END) <> 0
            """,
            start=start,
            end=end,
            store=store.id,
            loan=loan_ids or [0],
            company=company.id,
        )
        self.env["stock.move"].flush_model(
            ["product_id", "quantity", "date", "state", "company_id", "location_id", "location_dest_id"]
        )
        rows = self.env.execute_query(query)
        products = self.env["product.product"].browse([row[0] for row in rows]).with_prefetch()
        result = [
            dict(zip(COLUMNS, (round(value or 0.0, 4) for value in row[1:]), strict=True), product=product)
            for product, row in zip(products, rows, strict=True)
        ]
        return sorted(result, key=lambda row: row["product"].display_name or "")

    def kf_rows(self):
        self.ensure_one()
        return self.statement_rows(self.month, self.company_id)

    def action_print(self):
        self.ensure_one()
        return self.env.ref("kf_spare_parts.action_report_kf_spare_statement").report_action(self)

    def action_xlsx(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/kf_spare_parts/xlsx/statement?month={self.month:%Y-%m}&company_id={self.company_id.id}",
            "target": "self",
        }
