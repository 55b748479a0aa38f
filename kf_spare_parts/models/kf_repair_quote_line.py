from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class KfRepairQuoteLine(models.Model):
    _inherit = "kf.repair.quote.line"

    kf_part_quote_id = fields.Many2one(
        "kf.part.quote",
        string="Supplementary Quote",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        groups="base.group_user",
    )
    kf_part_id = fields.Many2one(
        "kf.dispatch.order.part",
        string="Consumed Part",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        groups="base.group_user",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("kf_part_quote_id") or vals.get("kf_part_id") for vals in vals_list):
            raise AccessError(self.env._("The spare parts of a quote are added by the spare-part returns only."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and {"kf_part_quote_id", "kf_part_id"}.intersection(vals):
            raise AccessError(self.env._("The spare parts of a quote are added by the spare-part returns only."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_consumed_parts(self):
        if not self.env.su and any(line.kf_part_id for line in self):
            raise UserError(self.env._("A spare part used on the work order stays on its quote."))
