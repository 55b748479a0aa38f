from odoo import api, fields, models


class KfDispatchOrderCheck(models.Model):
    """One item of a work order's checklist: the points of one equipment
    checked by the executor."""

    _name = "kf.dispatch.order.check"
    _description = "Work Order Check"
    _order = "order_id, sequence, id"

    order_id = fields.Many2one("kf.dispatch.order", string="Work Order", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    equipment_id = fields.Many2one("kf.equipment", index="btree_not_null")
    name = fields.Char(string="Check", required=True)
    point_count = fields.Integer(string="Points", help="Points of the equipment this check covers.")
    done = fields.Boolean(string="Checked")
    result = fields.Selection([("ok", "OK"), ("fault", "Fault found")])
    note = fields.Char()

    _sql_constraints = [
        ("point_count_check", "CHECK(point_count >= 0)", "The points of a check cannot be negative."),
    ]

    @api.onchange("equipment_id")
    def _onchange_equipment_id(self):
        if self.equipment_id and not self.point_count:
            self.point_count = self.equipment_id.point_count

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            orders = self.env["kf.dispatch.order"].browse([v.get("order_id") for v in vals_list if v.get("order_id")])
            orders._kf_check_checklist_open()
            orders._kf_check_checklist_executor()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self.order_id._kf_check_checklist_open()
            self.order_id._kf_check_checklist_executor()
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            self.order_id._kf_check_checklist_open()
            self.order_id._kf_check_checklist_executor()
        return super().unlink()
