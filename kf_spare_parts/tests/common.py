from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.kf_dispatch.tests.common import KfDispatchCommon


class KfSparePartsCommon(KfDispatchCommon):
    """kf_dispatch's fixtures plus a spare-part clerk, a second specialist,
    serial-tracked parts received into the company's spare-part store."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        user_vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        cls.keeper = new_test_user(
            cls.env, "sp_keeper", groups="kf_spare_parts.group_kf_spare_keeper", name="Parts Clerk", **user_vals
        )
        cls.specialist2 = new_test_user(
            cls.env,
            "sp_specialist2",
            groups="kf_customer_service.group_kf_specialist",
            name="Second Specialist",
            **user_vals,
        )
        Product = cls.env["product.product"]
        cls.detector = Product.create(
            {"name": "Smoke detector", "is_storable": True, "tracking": "serial", "list_price": 180.0}
        )
        cls.board = Product.create(
            {"name": "Controller board", "is_storable": True, "tracking": "serial", "list_price": 2800.0}
        )
        cls.locations = cls.company.kf_spare_locations()
        cls.store = cls.locations.kf_spare_store_location_id
        Lot = cls.env["stock.lot"]
        cls.detector_lots = Lot.create(
            [{"product_id": cls.detector.id, "name": f"DET-{n}", "company_id": cls.company.id} for n in range(1, 5)]
        )
        cls.board_lots = Lot.create(
            [{"product_id": cls.board.id, "name": f"CTL-{n}", "company_id": cls.company.id} for n in range(1, 3)]
        )
        cls.receipt = cls.env["stock.picking"].kf_spare_transfer(
            cls.company,
            cls.env.ref("stock.stock_location_suppliers"),
            cls.store,
            cls.detector_lots | cls.board_lots,
            kind="incoming",
        )
        cls.Loan = cls.env["kf.spare.loan"].with_company(cls.company)

    @classmethod
    def _request(cls, user, lines, **vals):
        """A loan requested by ``user`` (as that user): lines = [(product, qty)]."""
        values = {
            "user_id": user.id,
            "company_id": cls.company.id,
            "reason": "Replace a faulty part on site",
            "line_ids": [Command.create({"product_id": p.id, "quantity": q}) for p, q in lines],
        }
        values.update(vals)
        return cls.Loan.with_user(user).create(values)

    @classmethod
    def _issued(cls, user, lines, **vals):
        loan = cls._request(user, lines, **vals)
        loan.with_user(user).action_submit()
        loan.with_user(cls.manager).action_approve()
        loan.with_user(cls.keeper).action_issue()
        return loan

    def _lot_location(self, lot):
        """Where the serial is: the destination of its last done move."""
        return (
            self.env["stock.move.line"]
            .search([("lot_id", "=", lot.id), ("state", "=", "done")], order="id desc", limit=1)
            .location_dest_id
        )
