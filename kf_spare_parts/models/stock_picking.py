from odoo import Command, api, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    @api.model
    def kf_spare_transfer(self, company, source, dest, lots, kind="internal", partner=None, origin=False):
        """Create and validate one transfer of the serial numbers ``lots``
        (stock.lot) from ``source`` to ``dest``, one move per product, the
        move lines on exactly those serials. ``kind`` picks the warehouse's
        operation type (internal, incoming, outgoing). Called by the
        spare-part models after their own access checks; runs as superuser
        so that the clerk needs no Inventory rights. Returns the picking."""
        warehouse = company.kf_spare_warehouse()
        picking_type = {"incoming": warehouse.in_type_id, "outgoing": warehouse.out_type_id}.get(
            kind, warehouse.int_type_id
        )
        env = self.sudo().with_company(company).env
        moves = []
        for product in lots.product_id:
            product_lots = lots.filtered(lambda lot, p=product: lot.product_id == p)
            moves.append(
                Command.create(
                    {
                        "name": product.display_name,
                        "product_id": product.id,
                        "product_uom_qty": len(product_lots),
                        "product_uom": product.uom_id.id,
                        "location_id": source.id,
                        "location_dest_id": dest.id,
                        "company_id": company.id,
                        "move_line_ids": [
                            Command.create(
                                {
                                    "product_id": product.id,
                                    "lot_id": lot.id,
                                    "quantity": 1,
                                    "product_uom_id": product.uom_id.id,
                                    "location_id": source.id,
                                    "location_dest_id": dest.id,
                                    "company_id": company.id,
                                    "picked": True,
                                }
                            )
                            for lot in product_lots
                        ],
                    }
                )
            )
        picking = env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": source.id,
                "location_dest_id": dest.id,
                "partner_id": partner.id if partner else False,
                "origin": origin,
                "company_id": company.id,
                "move_ids": moves,
            }
        )
        picking.action_confirm()
        picking.move_ids.picked = True
        picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        return picking
