from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from .common import KfCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-20")
class TestRenewalWizard(KfCommon):
    def _yearly_contract(self):
        return self._create_contract(
            self.customer_1,
            "2025-04-01",
            "2026-03-31",
            payment_line_ids=[
                Command.create({"name": "H1", "date_due": "2025-04-30", "amount": 6000}),
                Command.create({"name": "H2", "date_due": "2025-10-31", "amount": 6000}),
            ],
        )

    def _wizard(self, contract, user, **values):
        form = Form(self.env["kf.service.contract.renew"].with_user(user).with_context(default_contract_id=contract.id))
        for key, value in values.items():
            setattr(form, key, value)
        return form.save()

    def test_renew_with_price_change_regenerates_schedule(self):
        contract = self._yearly_contract()
        self.assertEqual(contract.user_id, self.specialist_a)
        wizard = self._wizard(contract, self.specialist_a, price_change=5.0, note="Scope: +2 chillers")
        self.assertEqual(str(wizard.date_start), "2026-04-01")
        self.assertEqual(wizard.term_months, 12)
        self.assertEqual(str(wizard.date_end), "2027-03-31")
        self.assertEqual(wizard.amount, 12600.0)
        action = wizard.action_renew()
        successor = contract.successor_id
        self.assertEqual(action["res_id"], successor.id)
        self.assertEqual(successor.predecessor_id, contract)
        self.assertEqual(successor.state, "running")
        self.assertEqual(successor.amount, 12600.0)
        self.assertAlmostEqual(successor.renewal_price_change, 5.0)
        self.assertEqual(contract.state, "renewed")
        self.assertEqual(contract.renewal_stage_id, self.env.ref("kf_customer_service.stage_renewed"))
        lines = successor.payment_line_ids.sorted("date_due")
        self.assertEqual(lines.mapped("amount"), [6300.0, 6300.0])
        self.assertEqual([str(d) for d in lines.mapped("date_due")], ["2026-04-30", "2026-10-31"])
        self.assertFalse(lines.move_id, "a regenerated schedule starts uninvoiced")
        self.assertTrue(any("Scope: +2 chillers" in str(body) for body in successor.message_ids.mapped("body")))

    def test_renew_shorter_term(self):
        contract = self._yearly_contract()
        wizard = self._wizard(contract, self.specialist_a, term_months=6, amount=5000.0)
        successor = self.env["kf.service.contract"].browse(wizard.action_renew()["res_id"])
        self.assertEqual(str(successor.date_end), "2026-09-30")
        self.assertEqual(sum(successor.payment_line_ids.mapped("amount")), 5000.0)
        self.assertTrue(all(line.date_due <= successor.date_end for line in successor.payment_line_ids))

    def test_quote_needs_manager_approval(self):
        contract = self._yearly_contract()
        wizard = self._wizard(contract, self.specialist_a, quote=True)
        successor = self.env["kf.service.contract"].browse(wizard.action_renew()["res_id"])
        self.assertEqual(successor.state, "draft")
        self.assertEqual(successor.renewal_quote_state, "to_approve")
        self.assertEqual(contract.successor_id, successor, "the contract is reserved for its quote")
        self.assertEqual(contract.state, "running")
        # the specialist (the lowest user who renews) cannot start nor approve it
        spec_successor = successor.with_user(self.specialist_a)
        self.assertFalse(self.specialist_a.has_group("kf_customer_service.group_kf_manager"))
        with self.assertRaises(AccessError):
            spec_successor.action_approve_renewal_quote()
        with self.assertRaises(UserError):
            spec_successor.write({"renewal_quote_state": "approved"})
        with self.assertRaises(ValidationError):
            spec_successor.write({"state": "running"})
        with self.assertRaises(UserError):
            spec_successor.action_confirm()
        with self.assertRaises(UserError):
            contract.with_user(self.specialist_a).action_renew()
        successor.with_user(self.manager).action_approve_renewal_quote()
        self.assertEqual(successor.state, "running")
        self.assertEqual(successor.renewal_quote_state, "approved")
        self.assertEqual(successor.renewal_quote_approved_by_id, self.manager)
        self.assertEqual(contract.state, "renewed")

    def test_rejected_quote_frees_the_contract(self):
        contract = self._yearly_contract()
        successor = contract.with_user(self.specialist_a).kf_renew(
            contract.date_end.replace(day=1, month=4), contract.date_end.replace(year=2027), 12000.0, quote=True
        )
        successor.with_user(self.manager).action_reject_renewal_quote()
        self.assertEqual(successor.state, "cancelled")
        self.assertFalse(contract.successor_id)
        self.assertEqual(contract.state, "running")
        self._wizard(contract, self.specialist_a).action_renew()
        self.assertEqual(contract.state, "renewed")

    def test_renew_refused_twice_for_draft_and_cancelled(self):
        contract = self._yearly_contract()
        self._wizard(contract, self.specialist_a).action_renew()
        with self.assertRaises(UserError):
            contract.with_user(self.specialist_a).kf_renew(contract.date_end, contract.date_end.replace(year=2028), 1)
        for state in ("draft", "cancelled"):
            other = self._create_contract(self.customer_1, "2025-01-01", "2025-12-31", state=state)
            with self.assertRaises(UserError):
                other.with_user(self.specialist_a).action_renew()

    def test_renewal_links_are_not_written_by_hand(self):
        contract = self._yearly_contract()
        other = self._create_contract(self.customer_1, "2026-04-01", "2027-03-31", state="draft")
        with self.assertRaises(UserError):
            contract.with_user(self.specialist_a).write({"successor_id": other.id})
        with self.assertRaises(UserError):
            self.Contract.with_user(self.specialist_a).create(
                {
                    "partner_id": self.customer_1.id,
                    "date_start": "2026-04-01",
                    "date_end": "2027-03-31",
                    "predecessor_id": contract.id,
                }
            )
