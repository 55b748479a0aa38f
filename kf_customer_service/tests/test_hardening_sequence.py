from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import KfCommon


@tagged("post_install", "-at_install")
class TestHardeningSequence(KfCommon):
    """Contract numbers have no holes: they come from a "no gap" sequence
    drawn at create, so a save that fails validation and rolls back gives
    its number back to the next contract."""

    def _number(self, contract):
        return int(contract.name.rsplit("-", 1)[1])

    def test_sequence_is_gapless(self):
        sequence = self.env.ref("kf_customer_service.seq_kf_service_contract")
        self.assertEqual(sequence.implementation, "no_gap")

    def test_failed_save_does_not_burn_a_number(self):
        Contract = self.Contract.with_user(self.specialist_a)
        vals = {"partner_id": self.customer_1.id, "date_start": "2026-01-01", "company_id": self.company.id}
        first = Contract.create(dict(vals, date_end="2026-12-31"))
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            # end before start: refused after the number was drawn
            Contract.create(dict(vals, date_end="2025-12-31"))
        second = Contract.create(dict(vals, date_end="2026-12-31"))
        self.assertEqual(self._number(second), self._number(first) + 1)

    def test_update_switches_existing_sequences(self):
        """Databases installed before keep "standard" sequences (their data is
        noupdate): the update switches them without reusing a number."""
        sequence = self.env["ir.sequence"].create(
            {"name": "Old contracts", "code": "kf.test.legacy", "prefix": "L-", "padding": 3}
        )
        self.assertEqual(sequence.implementation, "standard")
        self.assertEqual(sequence.next_by_id(), "L-001")
        self.assertEqual(sequence.next_by_id(), "L-002")
        self.env["ir.sequence"].kf_make_gapless(["kf.test.legacy"])
        self.assertEqual(sequence.implementation, "no_gap")
        self.assertEqual(sequence.next_by_id(), "L-003")
