from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    kf_spare_store_location_id = fields.Many2one(
        "stock.location", string="Spare-Part Store", groups="base.group_user", check_company=True
    )
    kf_spare_loan_location_id = fields.Many2one(
        "stock.location", string="Parts on Loan", groups="base.group_user", check_company=True
    )
    kf_spare_repair_location_id = fields.Many2one(
        "stock.location", string="Repaired Products", groups="base.group_user", check_company=True
    )
    kf_spare_factory_location_id = fields.Many2one(
        "stock.location", string="Factory Repair", groups="base.group_user", check_company=True
    )

    def kf_spare_locations(self):
        """The spare-part locations of the company, created on first use
        under its first warehouse: the store, the parent of the borrowers'
        on-loan locations, the repaired products taken from customers and the
        factory's repair (transit). Returns the company (sudo) holding them."""
        self.ensure_one()
        company = self.sudo()
        if company.kf_spare_store_location_id:
            return company
        warehouse = self.env["stock.warehouse"].sudo().search([("company_id", "=", company.id)], limit=1)
        if not warehouse:
            warehouse = (
                self.env["stock.warehouse"]
                .sudo()
                .create({"name": company.name, "code": f"KF{company.id}", "company_id": company.id})
            )
        Location = self.env["stock.location"].sudo()
        parent = warehouse.view_location_id
        values = {
            "kf_spare_store_location_id": ("Spare-Part Store", "internal", parent),
            "kf_spare_loan_location_id": ("Parts on Loan", "internal", parent),
            "kf_spare_repair_location_id": ("Repaired Products", "internal", parent),
            "kf_spare_factory_location_id": ("Factory Repair", "transit", parent),
        }
        company.write(
            {
                field: Location.create(
                    {"name": name, "usage": usage, "location_id": loc.id, "company_id": company.id}
                ).id
                for field, (name, usage, loc) in values.items()
            }
        )
        return company

    def kf_spare_warehouse(self):
        """The warehouse whose operation types the spare-part transfers use."""
        self.ensure_one()
        return self.env["stock.warehouse"].sudo().search([("company_id", "=", self.id)], limit=1)
