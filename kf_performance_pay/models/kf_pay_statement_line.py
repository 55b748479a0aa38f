import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

CATEGORIES = [
    ("commissioning", "Commissioning fee"),
    ("commissioning_final", "Commissioning fee balance"),
    ("volume_deduction", "Low-volume deduction"),
    ("clerk_share", "Clerk's share"),
    ("maintenance_signer", "Maintenance commission (signer)"),
    ("maintenance_executor", "Maintenance commission (executor)"),
    ("repair_labour", "Repair labour"),
    ("bonus", "Year-end bonus"),
    ("reward", "Reward"),
    ("penalty", "Penalty"),
    ("spare_charge", "Spare-part charge"),
]


class KfPayStatementLine(models.Model):
    _name = "kf.pay.statement.line"
    _description = "Performance pay statement line"
    _order = "statement_id, sequence, category, id"

    statement_id = fields.Many2one("kf.pay.statement", required=True, ondelete="cascade", index=True)
    user_id = fields.Many2one(related="statement_id.user_id", store=True, string="Employee")
    company_id = fields.Many2one(related="statement_id.company_id", store=True, index=True)
    date_from = fields.Date(related="statement_id.date_from", store=True, string="Month")
    statement_month = fields.Char(related="statement_id.month", string="Month (YYYY-MM)")
    state = fields.Selection(related="statement_id.state", string="Statement Status")
    currency_id = fields.Many2one(related="statement_id.currency_id")
    sequence = fields.Integer(default=10)
    category = fields.Selection(CATEGORIES, required=True)
    name = fields.Char("Description", required=True)
    quantity = fields.Float(help="The measure the rule applies to: points, amount, count.")
    rate = fields.Float(digits=(16, 4), help="The rule's value applied to the quantity.")
    amount = fields.Monetary(required=True)
    rule_id = fields.Many2one("kf.pay.rule", help="The pay rule that gave this line.")
    res_model = fields.Char("Source Model")
    res_ids = fields.Char("Source Records", help="Ids of the records this line comes from.")
    source_key = fields.Char(index=True, help="What is paid once, whichever statement pays it.")
    date_due = fields.Date("Due On")
    transferred_from_id = fields.Many2one("res.users", help="The leaver whose pay this line takes over.")

    def init(self):
        # what is paid once is on one statement line per company
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS kf_pay_statement_line_source_key_unique
                   ON kf_pay_statement_line (company_id, source_key) WHERE source_key IS NOT NULL"""
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Pay statement lines are written by the computation only."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise AccessError(self.env._("Pay statement lines are written by the computation only."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked(self):
        if not self.env.su:
            raise AccessError(self.env._("Pay statement lines are written by the computation only."))
        if self.filtered(lambda line: line.statement_id.state != "draft"):
            raise UserError(self.env._("The lines of a reviewed or approved pay statement are kept."))

    @api.model
    def _kf_vals_from_item(self, statement, item, currency):
        return {
            "statement_id": statement.id,
            "category": item["category"],
            "name": item["name"],
            "quantity": item.get("quantity", 0.0),
            "rate": item.get("rate", 0.0),
            "amount": statement.kf_round(item["amount"], currency),
            "rule_id": item.get("rule_id") or False,
            "res_model": item.get("res_model") or False,
            "res_ids": ",".join(str(i) for i in item.get("res_ids") or []) or False,
            "source_key": item["source_key"],
            "date_due": item["date_due"],
            "sequence": item.get("sequence", 10),
            "transferred_from_id": item.get("transferred_from") or False,
        }

    @api.model
    def _kf_replace(self, statements, vals_list):
        """Delete the lines of the draft ``statements``, insert ``vals_list``
        (values of ``_kf_vals_from_item``) and write the statements' totals
        and computation time: one DELETE, one INSERT, one UPDATE. Server
        code only (the values are the computation's, checked there)."""
        if not statements:
            return
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(SQL("DELETE FROM kf_pay_statement_line WHERE statement_id = ANY(%s)", statements.ids))
        heads = {s.id: s for s in statements}
        rows = [
            {
                **vals,
                "user_id": heads[vals["statement_id"]].user_id.id,
                "company_id": heads[vals["statement_id"]].company_id.id,
                "date_from": heads[vals["statement_id"]].date_from,
                "rule_id": vals["rule_id"] or None,
                "res_model": vals["res_model"] or None,
                "res_ids": vals["res_ids"] or None,
                "transferred_from_id": vals["transferred_from_id"] or None,
            }
            for vals in vals_list
        ]
        if rows:
            cr.execute(
                SQL(
                    """INSERT INTO kf_pay_statement_line
                           (statement_id, user_id, company_id, date_from, sequence, category, name, quantity,
                            rate, amount, rule_id, res_model, res_ids, source_key, date_due, transferred_from_id,
                            create_uid, create_date, write_uid, write_date)
                       SELECT statement_id, user_id, company_id, date_from, sequence, category, name, quantity,
                              rate, amount, rule_id, res_model, res_ids, source_key, date_due, transferred_from_id,
                              %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                         FROM jsonb_to_recordset(%(rows)s::jsonb) AS x(
                              statement_id int, user_id int, company_id int, date_from date, sequence int,
                              category varchar, name varchar, quantity float8, rate float8, amount numeric,
                              rule_id int, res_model varchar, res_ids varchar, source_key varchar, date_due date,
                              transferred_from_id int)""",
                    uid=self.env.uid,
                    rows=json.dumps(rows, default=str),
                )
            )
        cr.execute(
            SQL(
                """UPDATE kf_pay_statement s
                      SET amount_earned = coalesce(t.earned, 0), amount_deducted = coalesce(t.deducted, 0),
                          amount_total = coalesce(t.total, 0), line_count = coalesce(t.n, 0),
                          date_computed = now() at time zone 'UTC', write_uid = %(uid)s,
                          write_date = now() at time zone 'UTC'
                     FROM (SELECT id FROM unnest(%(ids)s::int[]) AS id) AS h
                LEFT JOIN (SELECT statement_id, sum(amount) FILTER (WHERE amount > 0) AS earned,
                                  -sum(amount) FILTER (WHERE amount < 0) AS deducted,
                                  sum(amount) AS total, count(*) AS n
                             FROM kf_pay_statement_line WHERE statement_id = ANY(%(ids)s)
                            GROUP BY statement_id) AS t ON t.statement_id = h.id
                    WHERE s.id = h.id""",
                uid=self.env.uid,
                ids=statements.ids,
            )
        )
        self.invalidate_model()
        statements.invalidate_recordset()

    def action_open_records(self):
        """The records the line was computed from (read with the user's rights)."""
        self.ensure_one()
        if not self.res_model or not self.res_ids:
            raise UserError(self.env._("This line was not computed from other records."))
        ids = [int(i) for i in self.res_ids.split(",") if i]
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": self.res_model,
            "domain": [("id", "in", ids)],
            "views": [(False, "list"), (False, "form")],
            "context": {"create": False},
            "target": "current",
        }
