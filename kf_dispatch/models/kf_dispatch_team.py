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
    wecom_webhook_url = fields.Char(
        string="WeCom Robot Webhook",
        groups="kf_customer_service.group_kf_manager",
        help="Webhook of the WeCom (企业微信) group robot of the team: dispatches, escalations and "
        "SLA breaches are posted there. Empty: no WeCom message.",
    )
    wecom_lang = fields.Selection(
        selection=lambda self: self.env["res.lang"].get_installed(),
        string="WeCom Language",
        default=lambda self: self.env.lang,
        help="Language of the messages posted to the team's WeCom group.",
    )
    wecom_ticket_alerts = fields.Boolean(
        string="Ticket SLA Alerts",
        help="Also post the SLA breaches of the company's tickets that have no work order.",
    )

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

    def kf_wecom_env(self):
        """Environment in the language of the team's WeCom group."""
        self.ensure_one()
        return self.env(context=dict(self.env.context, lang=self.wecom_lang or self.env.lang))

    def kf_wecom_tz(self):
        """Time zone the team's WeCom messages show times in."""
        self.ensure_one()
        return self.company_id.resource_calendar_id.tz or "Asia/Shanghai"
