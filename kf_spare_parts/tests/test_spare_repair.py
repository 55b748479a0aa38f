from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import KfSparePartsCommon


@tagged("post_install", "-at_install")
class TestSpareRepair(KfSparePartsCommon):
    def test_repair_steps_are_transfers(self):
        ticket = self._create_ticket(ticket_type="repair")
        repair = (
            self.env["kf.spare.repair"]
            .with_user(self.keeper)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "ticket_id": ticket.id,
                    "product_id": self.board.id,
                    "serial": "CUST-CTL-77",
                    "fault": "No display",
                }
            )
        )
        with self.assertRaises(AccessError):
            repair.with_user(self.specialist).action_receive()
        with self.assertRaises(UserError):
            repair.with_user(self.keeper).write({"state": "returned"})
        repair.with_user(self.keeper).action_receive()
        self.assertEqual(self._lot_location(repair.lot_id), self.locations.kf_spare_repair_location_id)
        repair.with_user(self.keeper).action_send_factory()
        self.assertEqual(self._lot_location(repair.lot_id), self.locations.kf_spare_factory_location_id)
        repair.with_user(self.keeper).action_back_from_factory()
        repair.with_user(self.keeper).action_return_customer()
        self.assertEqual(repair.state, "returned")
        self.assertEqual(len(repair.picking_ids), 4)
        self.assertTrue(all(p.state == "done" for p in repair.picking_ids))
        self.assertEqual(self._lot_location(repair.lot_id), self.env.ref("stock.stock_location_customers"))
