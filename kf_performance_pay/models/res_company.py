from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    kf_pay_date_start = fields.Date(
        "Performance Pay From",
        groups="base.group_user",
        help="Pay falling due before this day was settled outside Odoo: the statements leave it out. Set it to the "
        "first day of the first month Odoo computes, or the first statement pays the past twelve months.",
    )
    kf_pay_clerk_id = fields.Many2one(
        "res.users",
        "Commissioning Clerk",
        groups="base.group_user",
        domain="[('share', '=', False), ('company_ids', 'in', id)]",
        help="The clerk paid a share of the specialists' commissioning fees each month; empty = no share taken.",
    )

    @api.constrains("kf_pay_clerk_id")
    def _check_kf_pay_clerk_id(self):
        for company in self.filtered("kf_pay_clerk_id"):
            clerk = company.kf_pay_clerk_id
            if clerk.share or company not in clerk.company_ids:
                raise ValidationError(
                    self.env._(
                        "The commissioning clerk of %(company)s must be an employee allowed in that company.",
                        company=company.name,
                    )
                )
