from odoo import api, fields, models


class KfVisit(models.Model):
    _inherit = "kf.visit"

    kf_equipment_id = fields.Many2one("kf.equipment", string="Equipment", index="btree_not_null", check_company=True)
    kf_plan_id = fields.Many2one(
        "kf.maintenance.plan", string="Maintenance Plan", readonly=True, copy=False, index="btree_not_null"
    )
    kf_purpose = fields.Selection(
        [("manager_check", "Manager's quarterly check")],
        string="Planned Purpose",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Set on the visits a maintenance plan creates.",
    )

    _sql_constraints = [
        (
            "kf_plan_date_uniq",
            "UNIQUE(kf_plan_id, kf_purpose, date_planned)",
            "The maintenance plan already has this check visit.",
        ),
    ]

    @api.model
    def _selection_source_models(self):
        return [
            *super()._selection_source_models(),
            ("kf.ticket", self.env._("Ticket")),
            ("kf.dispatch.order", self.env._("Work order")),
        ]

    def _on_visit_done(self):
        res = super()._on_visit_done()
        tickets = self.env["kf.ticket"].sudo().search([("visit_id", "in", self.ids), ("is_closed", "=", False)])
        tickets._close_after_return_visit()
        return res
