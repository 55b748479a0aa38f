from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

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
