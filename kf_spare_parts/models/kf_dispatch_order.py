from odoo import api, fields, models


class KfDispatchOrder(models.Model):
    _inherit = "kf.dispatch.order"

    # staff-only: portal customers read their work orders, not the parts ledger
    kf_part_ids = fields.One2many(
        "kf.dispatch.order.part", "order_id", string="Consumed Parts", readonly=True, groups="base.group_user"
    )
    kf_spare_loan_ids = fields.One2many(
        "kf.spare.loan", "order_id", string="Spare-Part Loans", groups="base.group_user"
    )
    kf_spare_loan_count = fields.Integer(
        compute="_compute_kf_spare_loan_count", string="Spare-Part Loans Count", groups="base.group_user"
    )

    @api.depends("kf_spare_loan_ids")
    def _compute_kf_spare_loan_count(self):
        counts = dict(self.env["kf.spare.loan"]._read_group([("order_id", "in", self.ids)], ["order_id"], ["__count"]))
        for order in self:
            order.kf_spare_loan_count = counts.get(order, 0)

    def kf_add_consumed_parts(self, loan_lines):
        """Add the serials of ``loan_lines`` (kf.spare.loan.line) to the
        order's consumed parts at the product's sale price (server side)."""
        self.ensure_one()
        self.env["kf.dispatch.order.part"].sudo().create(
            [
                {
                    "order_id": self.id,
                    "product_id": line.product_id.id,
                    "lot_id": lot.id,
                    "quantity": 1,
                    "price_unit": line.product_id.lst_price,
                    "loan_id": line.loan_id.id,
                }
                for line in loan_lines
                for lot in line.lot_ids
            ]
        )
        return True

    def action_view_kf_spare_loans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("kf_spare_parts.kf_spare_loan_action")
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"default_order_id": self.id}
        return action
