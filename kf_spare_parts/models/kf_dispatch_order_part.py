from odoo import fields, models


class KfDispatchOrderPart(models.Model):
    """A spare part consumed on a work order (booked by a loan's return)."""

    _name = "kf.dispatch.order.part"
    _description = "Work Order Consumed Part"
    _order = "order_id, id"

    order_id = fields.Many2one("kf.dispatch.order", string="Work Order", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    product_id = fields.Many2one("product.product", string="Part", required=True, readonly=True)
    lot_id = fields.Many2one("stock.lot", string="Serial Number", readonly=True)
    quantity = fields.Float(default=1.0, readonly=True)
    price_unit = fields.Float(string="Unit Price", digits="Product Price", readonly=True)
    loan_id = fields.Many2one("kf.spare.loan", readonly=True)
