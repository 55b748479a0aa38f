from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL


class KfSpareLoanLine(models.Model):
    _name = "kf.spare.loan.line"
    _description = "Spare-Part Loan Line"
    _check_company_auto = True

    loan_id = fields.Many2one("kf.spare.loan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="loan_id.company_id", store=True, index=True)
    state = fields.Selection(related="loan_id.state")
    product_id = fields.Many2one(
        "product.product",
        string="Part",
        required=True,
        domain=[("tracking", "=", "serial"), ("is_storable", "=", True)],
        check_company=True,
    )
    quantity = fields.Integer(default=1, required=True)
    lot_ids = fields.Many2many(
        "stock.lot",
        "kf_spare_loan_line_lot_rel",
        string="Serial Numbers",
        copy=False,
        domain="[('product_id', '=', product_id)]",
        check_company=True,
    )
    return_lot_ids = fields.Many2many(
        "stock.lot",
        "kf_spare_loan_line_return_lot_rel",
        string="Returned Serial Numbers",
        copy=False,
        domain="[('product_id', '=', product_id)]",
        check_company=True,
    )
    outcome = fields.Selection(
        [("unused", "Unused"), ("used", "Used on a work order"), ("lost", "Lost or damaged")],
        copy=False,
        help="What became of the serials, except those listed as used or lost below.",
    )
    used_lot_ids = fields.Many2many(
        "stock.lot",
        "kf_spare_loan_line_used_lot_rel",
        string="Used Serial Numbers",
        copy=False,
        domain="[('id', 'in', lot_ids)]",
        check_company=True,
        help="Serials of this line used on the work order when the others had another outcome.",
    )
    lost_lot_ids = fields.Many2many(
        "stock.lot",
        "kf_spare_loan_line_lost_lot_rel",
        string="Lost Serial Numbers",
        copy=False,
        domain="[('id', 'in', lot_ids)]",
        check_company=True,
        help="Serials of this line lost or damaged when the others had another outcome.",
    )
    order_id = fields.Many2one(
        "kf.dispatch.order",
        string="Used On",
        check_company=True,
        copy=False,
        help="The work order the parts were used on (defaults to the loan's).",
    )

    _sql_constraints = [("quantity_positive", "CHECK(quantity > 0)", "The quantity must be positive.")]

    @api.constrains("product_id")
    def _check_serial_tracked(self):
        for line in self:
            if line.product_id.tracking != "serial":
                raise ValidationError(
                    self.env._(
                        "%(product)s is not tracked by serial number: it cannot be lent.",
                        product=line.product_id.display_name,
                    )
                )

    @api.constrains("outcome", "order_id", "used_lot_ids")
    def _check_used_on_order(self):
        for line in self.filtered(lambda rec: (rec.outcome == "used" or rec.used_lot_ids) and not rec.order_id):
            raise ValidationError(
                self.env._("Say on which work order %(product)s was used.", product=line.product_id.display_name)
            )

    @api.constrains("lot_ids", "used_lot_ids", "lost_lot_ids")
    def _check_outcome_serials(self):
        for line in self:
            stray = (line.used_lot_ids | line.lost_lot_ids) - line.lot_ids
            both = line.used_lot_ids & line.lost_lot_ids
            if stray or both:
                raise ValidationError(
                    self.env._(
                        "%(product)s: the serials used or lost (%(serials)s) must be serials issued on the line, "
                        "each with one outcome.",
                        product=line.product_id.display_name,
                        serials=", ".join((stray | both).mapped("name")),
                    )
                )

    def _kf_split_by_outcome(self):
        """Before a return is booked, a line whose serials had different
        outcomes is split: one line per outcome, each with its serials, so
        that the transfers, the consumed parts and the charges follow each
        serial (server side)."""
        Line = self.sudo()
        for line in self.sudo():
            groups = [("used", line.used_lot_ids), ("lost", line.lost_lot_ids)]
            groups = [(outcome, lots) for outcome, lots in groups if lots]
            if not groups:
                continue
            rest = line.lot_ids - line.used_lot_ids - line.lost_lot_ids
            if not rest:
                # the line itself keeps the first group
                (outcome, lots), groups = groups[0], groups[1:]
                rest = lots
                line.outcome = outcome
            for outcome, lots in groups:
                Line.create(
                    {
                        "loan_id": line.loan_id.id,
                        "product_id": line.product_id.id,
                        "quantity": len(lots),
                        "lot_ids": [(6, 0, lots.ids)],
                        "return_lot_ids": [(6, 0, (line.return_lot_ids & lots).ids)],
                        "outcome": outcome,
                        "order_id": line.order_id.id if outcome == "used" else False,
                    }
                )
            line.write(
                {
                    "quantity": len(rest),
                    "lot_ids": [(6, 0, rest.ids)],
                    "return_lot_ids": [(6, 0, (line.return_lot_ids & rest).ids)],
                    "used_lot_ids": [(5, 0, 0)],
                    "lost_lot_ids": [(5, 0, 0)],
                }
            )
        return True

    @api.onchange("outcome", "used_lot_ids")
    def _onchange_outcome(self):
        if (self.outcome == "used" or self.used_lot_ids) and not self.order_id:
            self.order_id = self.loan_id.order_id

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._kf_check_editable(set().union(*vals_list))
        return lines

    def write(self, vals):
        self._kf_check_editable(set(vals))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_before_approval(self):
        if not self.env.su and any(line.loan_id.state not in ("draft", "to_approve", "cancelled") for line in self):
            raise UserError(self.env._("The parts of an approved loan cannot change."))

    def _kf_check_editable(self, fields_written):
        """Parts and quantities change only before approval, the issued
        serials only by the clerk before issuing, the return data only by the
        clerk while the parts are out."""
        if self.env.su:
            return
        keeper = self.env.user.has_group("kf_spare_parts.group_kf_spare_keeper")
        for line in self:
            state = line.loan_id.state
            if fields_written & {"product_id", "quantity", "loan_id"} and state not in ("draft", "to_approve"):
                raise UserError(self.env._("The parts of an approved loan cannot change."))
            if "lot_ids" in fields_written and not (keeper and state == "approved"):
                raise UserError(self.env._("Only the spare-part clerk chooses the serials, before issuing."))
            if fields_written & {"return_lot_ids", "outcome", "order_id", "used_lot_ids", "lost_lot_ids"} and not (
                keeper and state in ("issued", "signed")
            ):
                raise UserError(self.env._("Only the spare-part clerk records a return, while the parts are out."))

    def kf_propose_lots(self):
        """Rotation: give each line the serials of its product that have
        been idle longest in the store (oldest last done move first), in one
        query for all the lines."""
        by_company = {}
        for line in self:
            by_company.setdefault(line.company_id, self.browse())
            by_company[line.company_id] |= line
        self.env["stock.quant"].flush_model(["location_id", "product_id", "lot_id", "quantity", "reserved_quantity"])
        self.env["stock.move.line"].flush_model(["lot_id", "state", "date"])
        for company, lines in by_company.items():
            store = company.kf_spare_locations().kf_spare_store_location_id
            self.env.cr.execute(
                SQL(
                    """
                    SELECT q.product_id, q.lot_id
                      FROM stock_quant q
                 LEFT JOIN LATERAL (
                        SELECT max(ml.date) AS last_move
                          FROM stock_move_line ml
                         WHERE ml.lot_id = q.lot_id AND ml.state = 'done'
                       ) lm ON TRUE
                     WHERE q.location_id = %(store)s AND q.product_id IN %(products)s
                       AND q.lot_id IS NOT NULL AND q.quantity > 0 AND q.reserved_quantity = 0
                  ORDER BY lm.last_move NULLS FIRST, q.lot_id
                    """,
                    store=store.id,
                    products=tuple(lines.product_id.ids),
                )
            )
            free = {}
            for product_id, lot_id in self.env.cr.fetchall():
                free.setdefault(product_id, []).append(lot_id)
            for line in lines:
                candidates = free.get(line.product_id.id, [])
                chosen, free[line.product_id.id] = candidates[: line.quantity], candidates[line.quantity :]
                line.sudo().lot_ids = [(6, 0, chosen)]
        return True
