from odoo import api, fields, models


class KfContractPrecondition(models.Model):
    """An item of a maintenance contract's precondition checklist, copied
    from the company's templates when the contract is created: the contract
    is confirmed only once every item is done."""

    _name = "kf.contract.precondition"
    _description = "Maintenance Contract Precondition"
    _order = "contract_id, sequence, id"

    contract_id = fields.Many2one("kf.service.contract", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    done = fields.Boolean()
    done_by_id = fields.Many2one("res.users", string="Checked By", readonly=True)
    done_on = fields.Datetime(string="Checked On", readonly=True)
    note = fields.Char()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("done"):
                vals.update(done_by_id=self.env.uid, done_on=fields.Datetime.now())
        records = super().create(vals_list)
        records.contract_id._kf_check_preconditions_editable()
        return records

    def write(self, vals):
        if not self.env.su and {"done_by_id", "done_on"}.intersection(vals):
            vals = {k: v for k, v in vals.items() if k not in ("done_by_id", "done_on")}
        self.contract_id._kf_check_preconditions_editable()
        if "done" in vals:
            vals.update(
                done_by_id=self.env.uid if vals["done"] else False,
                done_on=fields.Datetime.now() if vals["done"] else False,
            )
        res = super().write(vals)
        if "done" in vals:
            for item in self:
                message = (
                    self.env._("Precondition checked: %(name)s", name=item.name)
                    if item.done
                    else self.env._("Precondition unchecked: %(name)s", name=item.name)
                )
                item.contract_id.message_post(body=message)
        return res

    def unlink(self):
        self.contract_id._kf_check_preconditions_editable()
        return super().unlink()
