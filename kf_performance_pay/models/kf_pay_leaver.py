from odoo import api, fields, models
from odoo.exceptions import ValidationError


class KfPayLeaver(models.Model):
    _name = "kf.pay.leaver"
    _description = "Employee who left (performance pay)"
    _inherit = ["mail.thread"]
    _order = "date_left desc"
    _rec_name = "user_id"

    user_id = fields.Many2one(
        "res.users", "Employee", required=True, tracking=True, domain=[("share", "=", False)], index=True
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, tracking=True)
    date_left = fields.Date(
        "Left On",
        required=True,
        tracking=True,
        help="Pay falling due after this day is forfeited, or goes to the successor where the rules say so.",
    )
    successor_id = fields.Many2one(
        "res.users",
        "Taken Over By",
        tracking=True,
        domain=[("share", "=", False)],
        help="Who takes over the leaver's projects and maintenance contracts: the commissioning balance and "
        "the executors' maintenance commission still to pay go to them.",
    )
    note = fields.Text()
    active = fields.Boolean(default=True, tracking=True)

    _sql_constraints = [
        ("kf_pay_leaver_unique", "UNIQUE(user_id, company_id)", "An employee leaves a company once."),
    ]

    @api.constrains("user_id", "successor_id")
    def _check_successor(self):
        for leaver in self:
            if leaver.successor_id == leaver.user_id:
                raise ValidationError(self.env._("A leaver cannot take over their own work."))
            if not self.env.su and leaver.successor_id == self.env.user:
                # the successor is paid the leaver's balances: another director names them
                raise ValidationError(
                    self.env._("You cannot name yourself as the successor: another director must record it.")
                )

    @api.onchange("user_id")
    def _onchange_user_id(self):
        employee = self.user_id.employee_ids[:1]
        if employee.departure_date and not self.date_left:
            self.date_left = employee.departure_date

    @api.model
    def kf_leavers(self, company, user_ids):
        """{user id: (day left, successor user id or False)} of the given users
        who left ``company`` (one query)."""
        if not user_ids:
            return {}
        rows = self.sudo().search_read(
            [("company_id", "=", company.id), ("user_id", "in", list(user_ids))],
            ["user_id", "date_left", "successor_id"],
        )
        return {r["user_id"][0]: (r["date_left"], r["successor_id"] and r["successor_id"][0]) for r in rows}
