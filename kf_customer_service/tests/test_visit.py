from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from odoo.addons.kf_customer_service.models.kf_visit import KfVisit


@tagged("post_install", "-at_install")
class TestVisit(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.manager = new_test_user(cls.env, "hb_v_manager", groups="kf_customer_service.group_kf_manager")
        cls.spec_a = new_test_user(cls.env, "hb_v_spec_a", groups="kf_customer_service.group_kf_specialist")
        cls.spec_b = new_test_user(cls.env, "hb_v_spec_b", groups="kf_customer_service.group_kf_specialist")
        cls.customer_a = cls.env["res.partner"].create(
            {"name": "Customer A", "is_company": True, "kf_is_customer": True, "kf_specialist_id": cls.spec_a.id}
        )
        cls.customer_b = cls.env["res.partner"].create(
            {"name": "Customer B", "is_company": True, "kf_is_customer": True, "kf_specialist_id": cls.spec_b.id}
        )
        cls.visit = cls.env["kf.visit"].create(
            {
                "partner_id": cls.customer_a.id,
                "user_id": cls.spec_a.id,
                "visit_type": "return_visit",
                "channel": "phone",
            }
        )

    def test_sequence_name(self):
        self.assertTrue(self.visit.name)
        self.assertNotEqual(self.visit.name, "New")

    def test_score_validation(self):
        for score in (0, 1, 5):
            self.visit.score = score
            self.assertEqual(self.visit.score, score)
        for score in (6, -1):
            with self.assertRaisesRegex(ValidationError, "between 1 and 5"):
                self.visit.score = score
                self.visit.flush_recordset()
        with self.assertRaises(ValidationError):
            self.env["kf.visit"].create({"partner_id": self.customer_a.id, "score": 9})

    def test_done_requires_outcome(self):
        with self.assertRaisesRegex(UserError, "outcome"):
            self.visit.action_done()
        self.visit.outcome = "   "
        with self.assertRaisesRegex(UserError, "outcome"):
            self.visit.action_done()
        self.assertEqual(self.visit.state, "planned")

        self.visit.write({"outcome": "Satisfied with the repair", "score": 5})
        with patch.object(KfVisit, "_on_visit_done", autospec=True) as hook:
            self.visit.with_user(self.spec_a).action_done()
        hook.assert_called_once()
        self.assertEqual(self.visit.state, "done")
        self.assertTrue(self.visit.date_done)
        with self.assertRaises(UserError):
            self.visit.action_cancel()
        with self.assertRaises(UserError):
            self.visit.action_done()

    def test_interest_gives_followup(self):
        visit = self.env["kf.visit"].create(
            {
                "partner_id": self.customer_a.id,
                "user_id": self.spec_b.id,
                "outcome": "Wants a quote for the boilers",
                "interest_contract": True,
                "interest_note": "Two boilers, next spring",
            }
        )
        visit.action_done()
        todo = visit.activity_ids
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.user_id, self.spec_a, "The customer's specialist follows up")
        self.assertIn("Two boilers", todo.note)
        self.assertFalse(self.visit.activity_ids)

    def test_cancel_and_reset(self):
        self.visit.action_cancel()
        self.assertEqual(self.visit.state, "cancelled")
        self.visit.action_reset_planned()
        self.assertEqual(self.visit.state, "planned")

    @freeze_time("2026-04-15")
    def test_overdue(self):
        late = self.env["kf.visit"].create({"partner_id": self.customer_a.id, "date_planned": "2026-04-10"})
        future = self.env["kf.visit"].create({"partner_id": self.customer_a.id, "date_planned": "2026-04-20"})
        self.assertTrue(late.is_overdue)
        self.assertFalse(future.is_overdue)
        overdue = self.env["kf.visit"].search([("is_overdue", "=", True)])
        self.assertIn(late, overdue)
        self.assertNotIn(future, overdue)
        self.assertIn(future, self.env["kf.visit"].search([("is_overdue", "=", False)]))

    def test_source_reference(self):
        models = dict(self.env["kf.visit"]._selection_source_models())
        self.assertIn("kf.service.contract", models)
        contract = self.env["kf.service.contract"].create(
            {"partner_id": self.customer_a.id, "date_start": "2026-01-01", "date_end": "2026-12-31"}
        )
        visit = self.env["kf.visit"].create(
            {"partner_id": self.customer_a.id, "source_ref": f"kf.service.contract,{contract.id}"}
        )
        self.assertEqual(visit.source_model, "kf.service.contract")
        self.assertEqual(visit.source_id, contract.id)
        self.assertEqual(visit.source_ref, contract)
        # Searchable through the stored pair (kf_dispatch links tickets this way).
        self.assertEqual(
            self.env["kf.visit"].search(
                [("source_model", "=", "kf.service.contract"), ("source_id", "=", contract.id)]
            ),
            visit,
        )
        visit.source_ref = False
        self.assertFalse(visit.source_model)
        self.assertFalse(visit.source_id)

    def test_specialist_record_rules(self):
        visit_b = self.env["kf.visit"].create({"partner_id": self.customer_b.id, "user_id": self.spec_b.id})
        # spec_b plans a visit on spec_a's customer: both see it.
        shared = self.env["kf.visit"].create({"partner_id": self.customer_a.id, "user_id": self.spec_b.id})
        visible_a = self.env["kf.visit"].with_user(self.spec_a).search([])
        self.assertIn(self.visit, visible_a)
        self.assertIn(shared, visible_a)
        self.assertNotIn(visit_b, visible_a)
        with self.assertRaises(AccessError):
            visit_b.with_user(self.spec_a).read(["name"])
        visible_manager = self.env["kf.visit"].with_user(self.manager).search([])
        self.assertLessEqual(self.visit | visit_b | shared, visible_manager)
        # A specialist can plan and complete visits for their customers.
        own = (
            self.env["kf.visit"]
            .with_user(self.spec_a)
            .create({"partner_id": self.customer_a.id, "outcome": "Done by phone"})
        )
        own.action_done()
        self.assertEqual(own.state, "done")

    def test_multi_company_rule(self):
        other_company = self.env["res.company"].create({"name": "Other KF Company"})
        foreign = self.env["kf.visit"].create(
            {"partner_id": self.customer_a.id, "user_id": self.spec_a.id, "company_id": other_company.id}
        )
        self.assertNotIn(foreign, self.env["kf.visit"].with_user(self.spec_a).search([]))
        self.assertNotIn(foreign, self.env["kf.visit"].with_user(self.manager).search([]))
