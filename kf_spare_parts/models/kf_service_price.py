from odoo import api, fields, models


class KfServicePrice(models.Model):
    _inherit = "kf.service.price"

    kf_product_id = fields.Many2one(
        "product.product",
        string="Product",
        index="btree_not_null",
        help="The spare part this price item quotes (created from the product when the part is used on a repair).",
    )

    @api.model
    def kf_price_for_products(self, products, company):
        """{product id: kf.service.price} the price items quoting
        ``products`` for ``company`` (its own item first, then a shared one),
        the missing ones created: standard price = the product's sale price,
        floor = its cost (0 when the cost is above the sale price or unset).
        One search for all the products (server side)."""
        Price = self.sudo().with_context(active_test=True)
        found = Price.search(
            [("kf_product_id", "in", products.ids), ("company_id", "in", (company.id, False))],
            order="company_id, id",
        )
        prices = {}
        for price in found:
            # the company's own item (company_id set) sorts before the shared one
            prices.setdefault(price.kf_product_id.id, price)
        missing = products.filtered(lambda p: p.id not in prices)
        if missing:
            vals_list = []
            for product in missing.with_company(company):
                list_price = product.lst_price
                cost = product.standard_price or 0.0
                vals_list.append(
                    {
                        "name": product.display_name,
                        "code": product.default_code or False,
                        "item_type": "part",
                        "kf_product_id": product.id,
                        "company_id": company.id,
                        "currency_id": company.currency_id.id,
                        "list_price": list_price,
                        "floor_price": cost if 0 <= cost <= list_price else 0.0,
                    }
                )
            for price in Price.create(vals_list):
                prices[price.kf_product_id.id] = price
        return prices
