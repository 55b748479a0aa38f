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
    kf_part_quote_ids = fields.One2many(
        "kf.part.quote", "order_id", string="Supplementary Parts Quotes", readonly=True, groups="base.group_user"
    )
    kf_billable_amount = fields.Monetary(
        string="Amount to Invoice",
        currency_field="kf_quote_currency_id",
        compute="_compute_kf_billable_amount",
        store=True,
        help="The repair quote the customer signed plus the supplementary parts quotes they signed.",
    )

    @api.depends("kf_quote_line_ids.kf_part_quote_id")
    def _compute_kf_quote_amount(self):
        """The repair quote leaves out the lines of supplementary quotes."""
        res = super()._compute_kf_quote_amount()
        for order in self.filtered(lambda o: not o.kf_is_rework):
            order.kf_quote_amount = sum(
                order.kf_quote_line_ids.filtered(lambda line: not line.kf_part_quote_id).mapped("price_subtotal")
            )
        return res

    @api.depends("kf_quote_amount", "kf_part_quote_ids.amount", "kf_part_quote_ids.state")
    def _compute_kf_billable_amount(self):
        for order in self:
            signed = order.kf_part_quote_ids.filtered(lambda q: q.state == "consented")
            order.kf_billable_amount = order.kf_quote_amount + sum(signed.mapped("amount"))

    @api.depends("kf_spare_loan_ids")
    def _compute_kf_spare_loan_count(self):
        counts = dict(self.env["kf.spare.loan"]._read_group([("order_id", "in", self.ids)], ["order_id"], ["__count"]))
        for order in self:
            order.kf_spare_loan_count = counts.get(order, 0)

    def kf_add_consumed_parts(self, loan_lines):
        """Add the serials of ``loan_lines`` (kf.spare.loan.line) to the
        order's consumed parts at the product's sale price (server side).
        On a repair work order the parts are priced by the price list
        (``kf.service.price.kf_price_for_products``) and quoted: added to the
        quote while it is a draft, else to a supplementary parts quote
        (``kf.part.quote``) that the manager approves and the customer signs.
        Returns the consumed parts."""
        self.ensure_one()
        prices = {}
        if self.kf_order_type == "repair":
            prices = self.env["kf.service.price"].kf_price_for_products(loan_lines.product_id, self.company_id)
        parts = (
            self.env["kf.dispatch.order.part"]
            .sudo()
            .create(
                [
                    {
                        "order_id": self.id,
                        "product_id": line.product_id.id,
                        "lot_id": lot.id,
                        "quantity": 1,
                        "price_unit": prices[line.product_id.id].list_price if prices else line.product_id.lst_price,
                        "loan_id": line.loan_id.id,
                    }
                    for line in loan_lines
                    for lot in line.lot_ids
                ]
            )
        )
        if prices:
            self._kf_quote_consumed_parts(parts, prices)
        return parts

    def _kf_quote_consumed_parts(self, parts, prices):
        self.ensure_one()
        order = self.sudo()
        quote = self.env["kf.part.quote"]
        if order.kf_quote_state != "draft":
            # the submitted, approved or signed quote is never changed silently
            quote = order.kf_part_quote_ids.filtered(lambda q: q.state == "to_approve")[:1]
            if not quote:
                quote = quote.sudo().create(
                    {"order_id": order.id, "name": f"{order.name}-P{len(order.kf_part_quote_ids) + 1}"}
                )
                manager = self.env["res.users"].kf_activity_users(order, manager_first=True)[order.id]
                summary = manager.kf_lang_env()._(
                    "Approve the supplementary parts quote %(quote)s of work order %(name)s",
                    quote=quote.name,
                    name=order.name,
                )
                self.env["mail.activity"].kf_create_activities(
                    order,
                    "kf_dispatch.mail_activity_type_kf_quote_approval",
                    {order.id: (manager, False, summary, False)},
                )
        self.env["kf.repair.quote.line"].sudo().create(
            [
                {
                    "order_id": order.id,
                    "price_id": prices[part.product_id.id].id,
                    "name": f"{part.product_id.display_name} ({part.lot_id.name})" if part.lot_id else False,
                    "quantity": part.quantity,
                    "price_unit": part.price_unit,
                    "kf_part_id": part.id,
                    "kf_part_quote_id": quote.id,
                }
                for part in parts
            ]
        )
        return quote

    def action_kf_quote_reset(self):
        """A quote back to draft takes in the parts of its pending
        supplementary quotes (the customer signs them with the quote)."""
        res = super().action_kf_quote_reset()
        pending = self.sudo().kf_part_quote_ids.filtered(lambda q: q.state in ("to_approve", "approved"))
        pending.line_ids.write({"kf_part_quote_id": False})
        pending.write({"state": "merged"})
        return res

    def action_view_kf_spare_loans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("kf_spare_parts.kf_spare_loan_action")
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"default_order_id": self.id}
        return action
