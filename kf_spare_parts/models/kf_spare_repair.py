from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from .kf_spare_loan import KEEPER_GROUP


class KfSpareRepair(models.Model):
    """A customer's product taken in for repair: received from the customer,
    sent to the factory's repair, back from it and returned to the customer,
    each step an Inventory transfer of its serial number."""

    _name = "kf.spare.repair"
    _description = "Repaired Product"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    # step: (state before, state after, source field, destination field, operation kind)
    _kf_steps = {
        "receive": ("draft", "received", "customer", "kf_spare_repair_location_id", "incoming"),
        "send": ("received", "at_factory", "kf_spare_repair_location_id", "kf_spare_factory_location_id", "internal"),
        "back": ("at_factory", "repaired", "kf_spare_factory_location_id", "kf_spare_repair_location_id", "internal"),
        "return": ("repaired", "returned", "kf_spare_repair_location_id", "customer", "outgoing"),
    }

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="New")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, tracking=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    user_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user, tracking=True)
    ticket_id = fields.Many2one("kf.ticket", check_company=True, index="btree_not_null")
    product_id = fields.Many2one("product.product", required=True, domain=[("tracking", "=", "serial")])
    serial = fields.Char(string="Serial Number", required=True)
    lot_id = fields.Many2one("stock.lot", readonly=True, copy=False)
    fault = fields.Text(required=True)
    repair_note = fields.Text(string="Factory's Report")
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("received", "Received"),
            ("at_factory", "At Factory Repair"),
            ("repaired", "Back from Repair"),
            ("returned", "Returned to Customer"),
        ],
        default="draft",
        required=True,
        tracking=True,
        readonly=True,
        copy=False,
    )
    picking_ids = fields.Many2many("stock.picking", string="Transfers", readonly=True, copy=False)
    date_received = fields.Datetime(readonly=True, copy=False)
    date_returned = fields.Datetime(readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "New") == "New":
                company = self.env["res.company"].browse(vals.get("company_id") or self.env.company.id)
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code("kf.spare.repair") or "New"
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            if {"state", "lot_id", "picking_ids", "date_received", "date_returned"} & set(vals):
                raise UserError(self.env._("The state of a repaired product changes through its buttons only."))
            if {"product_id", "serial", "partner_id"} & set(vals) and any(rec.state != "draft" for rec in self):
                raise UserError(self.env._("The product, serial and customer are fixed once received."))
        return super().write(vals)

    def _kf_step(self, step):
        if not self.env.user.has_group(KEEPER_GROUP):
            raise AccessError(self.env._("Only the spare-part clerk moves repaired products."))
        before, after, source_field, dest_field, kind = self._kf_steps[step]
        customers = self.env.ref("stock.stock_location_customers")
        for repair in self:
            if repair.state != before:
                raise UserError(self.env._("%(name)s is not at this step.", name=repair.name))
            company = repair.company_id.kf_spare_locations()
            lot = repair.lot_id or repair._kf_find_or_create_lot()
            source = customers if source_field == "customer" else company[source_field]
            dest = customers if dest_field == "customer" else company[dest_field]
            picking = self.env["stock.picking"].kf_spare_transfer(
                company, source, dest, lot, kind=kind, partner=repair.partner_id, origin=repair.name
            )
            vals = {"state": after, "lot_id": lot.id, "picking_ids": [Command.link(picking.id)]}
            if step == "receive":
                vals["date_received"] = fields.Datetime.now()
            elif step == "return":
                vals["date_returned"] = fields.Datetime.now()
            repair.sudo().write(vals)
        return True

    def _kf_find_or_create_lot(self):
        Lot = self.env["stock.lot"].sudo()
        domain = [("product_id", "=", self.product_id.id), ("name", "=", self.serial)]
        return Lot.search([*domain, ("company_id", "in", (False, self.company_id.id))], limit=1) or Lot.create(
            {"product_id": self.product_id.id, "name": self.serial, "company_id": self.company_id.id}
        )

    def action_receive(self):
        return self._kf_step("receive")

    def action_send_factory(self):
        return self._kf_step("send")

    def action_back_from_factory(self):
        return self._kf_step("back")

    def action_return_customer(self):
        return self._kf_step("return")
