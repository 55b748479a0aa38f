from odoo import fields, models


class KfDispatchOrderLine(models.Model):
    _name = "kf.dispatch.order.line"
    _description = "Work Order Equipment"
    _order = "order_id, sequence, id"

    order_id = fields.Many2one(
        "kf.dispatch.order",
        string="Work Order",
        required=True,
        ondelete="cascade",
        index=True,
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Equipment", required=True)
    model_no = fields.Char(string="Model / Specification")
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")
    uom = fields.Char(string="Unit")
    note = fields.Char()
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
