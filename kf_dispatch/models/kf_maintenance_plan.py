from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError


class KfMaintenancePlan(models.Model):
    """The preventive maintenance plan of a maintenance contract: its lines
    say which checks are made on which equipment, how often and by whom;
    the daily scan turns them into work orders. The plan also asks the
    manager for a check visit every three months."""

    _name = "kf.maintenance.plan"
    _description = "Maintenance Plan"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "kf.service.contract",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        domain="[('contract_type', '=', 'maintenance')]",
    )
    name = fields.Char(related="contract_id.name", store=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True, index=True)
    commercial_partner_id = fields.Many2one(related="contract_id.commercial_partner_id", store=True, index=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True, precompute=True)
    contract_state = fields.Selection(related="contract_id.state", string="Contract Status")
    state = fields.Selection(
        [("active", "Active"), ("suspended", "Suspended")],
        required=True,
        default="active",
        tracking=True,
        index=True,
        help="A suspended plan (maintenance suspended by the contract) generates nothing.",
    )
    project_id = fields.Many2one(
        "project.project",
        required=True,
        check_company=True,
        compute="_compute_project_id",
        store=True,
        readonly=False,
        precompute=True,
        help="Project of the generated work orders; defaults to the contract's.",
    )
    user_id = fields.Many2one(
        "res.users", string="Executor", domain="[('share', '=', False)]", tracking=True, help="Default executor."
    )
    team_id = fields.Many2one("kf.dispatch.team", string="Executing Team", check_company=True)
    line_ids = fields.One2many("kf.maintenance.plan.line", "plan_id", string="Checks", copy=True)
    equipment_ids = fields.Many2many(
        "kf.equipment", compute="_compute_equipment_ids", help="Equipment of the plan's checks."
    )
    init_order_id = fields.Many2one(
        "kf.dispatch.order", string="Initialisation Order", readonly=True, copy=False, index="btree_not_null"
    )
    manager_check = fields.Boolean(
        string="Manager's Quarterly Check",
        default=True,
        help="The manager visits the customer every three months to compare the panel's point count with the register.",
    )
    manager_check_date_next = fields.Date(
        string="Next Manager Check", copy=False, help="Defaults to the contract's start."
    )
    visit_ids = fields.One2many("kf.visit", "kf_plan_id", string="Check Visits")
    order_ids = fields.One2many("kf.dispatch.order", "maintenance_plan_id", string="Work Orders")

    _sql_constraints = [
        ("contract_uniq", "UNIQUE(contract_id)", "A maintenance contract has one maintenance plan."),
    ]

    @api.depends("contract_id")
    def _compute_project_id(self):
        for plan in self:
            plan.project_id = plan.contract_id.project_id or plan.project_id

    @api.depends("line_ids.equipment_ids")
    def _compute_equipment_ids(self):
        for plan in self:
            plan.equipment_ids = plan.line_ids.equipment_ids

    @api.constrains("contract_id")
    def _check_contract_type(self):
        for plan in self:
            if plan.contract_id.contract_type != "maintenance":
                raise ValidationError(
                    self.env._(
                        "Only a maintenance contract carries a maintenance plan (%(name)s).",
                        name=plan.contract_id.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        plans = super().create(vals_list)
        for plan in plans.filtered(lambda p: not p.manager_check_date_next):
            plan.manager_check_date_next = plan.contract_id.date_start
        return plans

    def action_generate(self):
        """Button: generate now what the daily scan would (the same rules,
        idempotent)."""
        self.env["kf.maintenance.plan.line"].kf_generate(plans=self)
        return True

    def action_view_orders(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Work Orders"),
            "res_model": "kf.dispatch.order",
            "view_mode": "list,form",
            "domain": [("maintenance_plan_id", "=", self.id)],
        }

    def _kf_generate_init_orders(self):
        """The initialisation work order of each plan (once)."""
        vals_list = [plan._kf_init_order_vals() for plan in self]
        existing = set(
            self.env["kf.dispatch.order"]
            .with_context(active_test=False)
            .search([("plan_key", "in", [v["plan_key"] for v in vals_list])])
            .mapped("plan_key")
        )
        vals_list = [v for v in vals_list if v["plan_key"] not in existing]
        orders = self.env["kf.dispatch.order"]._kf_create_planned(vals_list)
        for order in orders:
            order.maintenance_plan_id.init_order_id = order
        return len(orders)

    def _kf_init_order_vals(self):
        """Values of the initialisation work order: due within the
        company's working days after the contract's start, one check per
        equipment covering all its points."""
        self.ensure_one()
        contract = self.contract_id
        start = fields.Datetime.to_datetime(contract.date_start)
        # the order is read by its executor: its texts are in their language
        env = self.with_context(lang=self.user_id.lang or self.env.lang).env
        deadline = self.company_id.kf_add_working_days(self.company_id.kf_init_days, start)
        return {
            "kf_order_type": "initialisation",
            "maintenance_plan_id": self.id,
            "plan_key": f"init:{self.id}",
            "partner_id": contract.partner_id.id,
            "contract_id": contract.id,
            "project_id": self.project_id.id,
            "company_id": self.company_id.id,
            "user_id": self.user_id.id,
            "team_id": self.team_id.id,
            "date_planned_start": fields.Datetime.to_datetime(contract.date_start),
            "date_planned_end": deadline,
            "work_content": env._("Initialisation test: check every point of the equipment (100%)."),
            "check_ids": [
                Command.create(
                    {
                        "equipment_id": equipment.id,
                        "name": env._("Initialisation test of all points"),
                        "point_count": equipment.point_count,
                    }
                )
                for equipment in self.equipment_ids
            ],
        }
