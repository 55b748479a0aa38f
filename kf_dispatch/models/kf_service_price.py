from odoo import api, fields, models
from odoo.exceptions import ValidationError


class KfServicePrice(models.Model):
    """An item of the department's price list (收费标准): the price quoted to
    customers and the floor no repair quote may go below."""

    _name = "kf.service.price"
    _description = "Service Price"
    _order = "sequence, code, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char()
    sequence = fields.Integer(default=10)
    item_type = fields.Selection([("labour", "Labour"), ("part", "Spare part"), ("travel", "Travel")], default="labour")
    uom_label = fields.Char(string="Unit", translate=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: the price list of every company.")
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id, ondelete="restrict"
    )
    list_price = fields.Monetary(string="Standard Price", required=True)
    floor_price = fields.Monetary(required=True, help="No quote line may be priced below it.")
    active = fields.Boolean(default=True)

    @api.constrains("list_price", "floor_price")
    def _check_prices(self):
        for price in self:
            if price.floor_price < 0 or price.list_price < price.floor_price:
                raise ValidationError(
                    self.env._(
                        "Price item %(name)s: the floor price must be between 0 and the standard price.",
                        name=price.name,
                    )
                )
