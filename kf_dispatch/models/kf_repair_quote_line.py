from odoo import api, fields, models
from odoo.exceptions import ValidationError


class KfRepairQuoteLine(models.Model):
    """A line of a repair quote: a price-list item, its quantity and price
    (never below the item's floor price, except on a rework, which is free)."""

    _name = "kf.repair.quote.line"
    _description = "Repair Quote Line"
    _order = "order_id, sequence, id"
    _check_company_auto = True

    order_id = fields.Many2one("kf.dispatch.order", string="Work Order", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    price_id = fields.Many2one("kf.service.price", string="Price Item", required=True, check_company=True)
    name = fields.Char(
        string="Description", compute="_compute_name", store=True, readonly=False, required=True, precompute=True
    )
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")
    currency_id = fields.Many2one(related="price_id.currency_id")
    price_unit = fields.Monetary(
        string="Unit Price", compute="_compute_price_unit", store=True, readonly=False, precompute=True
    )
    floor_price = fields.Monetary(related="price_id.floor_price")
    price_subtotal = fields.Monetary(string="Subtotal", compute="_compute_price_subtotal", store=True)

    _sql_constraints = [
        ("quantity_positive", "CHECK(quantity > 0)", "The quantity of a quote line must be positive."),
    ]

    @api.depends("price_id")
    def _compute_name(self):
        for line in self:
            if line.price_id and not line.name:
                line.name = line.price_id.name

    @api.depends("price_id")
    def _compute_price_unit(self):
        for line in self:
            line.price_unit = line.price_id.list_price

    @api.depends("quantity", "price_unit", "order_id.kf_is_rework")
    def _compute_price_subtotal(self):
        for line in self:
            line.price_subtotal = 0.0 if line.order_id.kf_is_rework else line.quantity * line.price_unit

    @api.constrains("price_unit", "price_id")
    def _check_floor_price(self):
        for line in self.filtered(lambda ln: not ln.order_id.kf_is_rework):
            if line.currency_id.compare_amounts(line.price_unit, line.price_id.floor_price) < 0:
                raise ValidationError(
                    self.env._(
                        "Quote line %(item)s: %(price)s is below the floor price %(floor)s of the price list.",
                        item=line.name or line.price_id.name,
                        price=line.price_unit,
                        floor=line.price_id.floor_price,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            order_ids = [vals.get("order_id") for vals in vals_list if vals.get("order_id")]
            self.env["kf.dispatch.order"].browse(order_ids)._kf_check_quote_editable()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self.order_id._kf_check_quote_editable()
            if "order_id" in vals:
                self.env["kf.dispatch.order"].browse(vals["order_id"])._kf_check_quote_editable()
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            self.order_id._kf_check_quote_editable()
        return super().unlink()
