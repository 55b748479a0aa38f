from odoo import fields, models


class StockLocation(models.Model):
    _inherit = "stock.location"

    kf_loan_user_id = fields.Many2one("res.users", string="Borrower", index="btree_not_null")

    _sql_constraints = [
        (
            "kf_loan_user_unique",
            "UNIQUE(kf_loan_user_id, company_id)",
            "A borrower has one on-loan location per company.",
        )
    ]

    def kf_loan_location(self, user, company):
        """The on-loan location of ``user`` in ``company`` (created on first
        use under the company's "Parts on Loan" location)."""
        company = company.kf_spare_locations()
        Location = self.sudo().with_context(active_test=False)
        location = Location.search([("kf_loan_user_id", "=", user.id), ("company_id", "=", company.id)], limit=1)
        return location or Location.create(
            {
                "name": user.name,
                "usage": "internal",
                "location_id": company.kf_spare_loan_location_id.id,
                "company_id": company.id,
                "kf_loan_user_id": user.id,
            }
        )
