from odoo import fields, models


class KfDispatchTeam(models.Model):
    _name = "kf.dispatch.team"
    _description = "Dispatch Team"
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    department = fields.Char(
        string="Executing Department",
        translate=True,
        help="Department executing the work (operations, engineering...).",
    )
    leader_id = fields.Many2one(
        "res.users",
        string="Team Leader",
        domain="[('share', '=', False)]",
        help="Receives the escalations of the team's work orders before the customer-service manager.",
    )
    member_ids = fields.Many2many(
        "res.users",
        "kf_dispatch_team_user_rel",
        "team_id",
        "user_id",
        string="Members",
        domain="[('share', '=', False)]",
    )
    order_count = fields.Integer(string="Open Work Orders", compute="_compute_order_count")

    def _compute_order_count(self):
        groups = self.env["kf.dispatch.order"]._read_group(
            [
                ("team_id", "in", self.ids),
                ("state", "in", ("dispatched", "accepted", "in_progress")),
            ],
            ["team_id"],
            ["__count"],
        )
        counts = {team.id: count for team, count in groups}
        for team in self:
            team.order_count = counts.get(team.id, 0)
