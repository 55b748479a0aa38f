from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import Form, TransactionCase, freeze_time, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPartner(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.manager = new_test_user(cls.env, "hb_manager", groups="kf_customer_service.group_kf_manager")
        cls.spec_a = new_test_user(cls.env, "hb_spec_a", groups="kf_customer_service.group_kf_specialist")
        cls.spec_b = new_test_user(cls.env, "hb_spec_b", groups="kf_customer_service.group_kf_specialist")
        cls.salesperson = new_test_user(cls.env, "hb_sales", groups="base.group_user")
        cls.activity_type = cls.env.ref("kf_customer_service.mail_activity_type_kf_contact_customer")

    def _customer(self, name, **vals):
        return self.env["res.partner"].create(dict({"name": name, "is_company": True, "kf_is_customer": True}, **vals))

    def _contact_activities(self, partners):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("activity_type_id", "=", self.activity_type.id),
            ]
        )

    def test_orphan_compute(self):
        with_sales = self._customer("With salesperson", user_id=self.salesperson.id)
        without_sales = self._customer("Without salesperson")
        not_customer = self.env["res.partner"].create({"name": "Just a contact"})
        self.assertFalse(with_sales.kf_is_orphan)
        self.assertTrue(without_sales.kf_is_orphan)
        self.assertFalse(not_customer.kf_is_orphan, "Only service customers can be orphans")

        # The salesperson leaves: archived user -> orphan.
        self.salesperson.action_archive()
        self.assertTrue(with_sales.kf_is_orphan)
        self.salesperson.action_unarchive()
        self.assertFalse(with_sales.kf_is_orphan)

        # A salesperson who is no longer an internal user -> orphan.
        portal = new_test_user(self.env, "hb_portal_sales", groups="base.group_portal")
        with_sales.user_id = portal
        self.assertTrue(with_sales.kf_is_orphan)

    def test_orphan_override(self):
        partner = self._customer("Override", user_id=self.salesperson.id)
        partner.write({"kf_orphan_override": "yes", "kf_orphan_reason": "Sales rep on leave"})
        self.assertTrue(partner.kf_is_orphan)
        partner.kf_orphan_override = "no"
        partner.user_id = False
        self.assertFalse(partner.kf_is_orphan, "A manual 'not orphan' wins over the rule")
        partner.kf_orphan_override = "auto"
        self.assertTrue(partner.kf_is_orphan)
        # Stored: searchable.
        self.assertIn(partner, self.env["res.partner"].search([("kf_is_orphan", "=", True)]))

    @freeze_time("2026-03-02")
    def test_assignment_activity_once(self):
        partner = self._customer("To assign")
        partner.with_user(self.manager).kf_specialist_id = self.spec_a
        activity = self._contact_activities(partner)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.spec_a)
        self.assertEqual(activity.date_deadline, date(2026, 3, 9))
        self.assertEqual(partner.kf_assign_date, date(2026, 3, 2))

        # Writing the same specialist again is not a new assignment.
        partner.with_user(self.manager).write({"kf_specialist_id": self.spec_a.id})
        self.assertEqual(len(self._contact_activities(partner)), 1)

        # Re-assignment: the new specialist gets the activity, the old one's goes.
        partner.with_user(self.manager).kf_specialist_id = self.spec_b
        activity = self._contact_activities(partner)
        self.assertEqual(activity.user_id, self.spec_b)

        # Un-assigning schedules nothing and removes the open activity.
        partner.with_user(self.manager).kf_specialist_id = False
        self.assertFalse(self._contact_activities(partner))

    def test_assignment_at_create(self):
        partner = (
            self.env["res.partner"]
            .with_user(self.manager)
            .create({"name": "Created assigned", "kf_is_customer": True, "kf_specialist_id": self.spec_a.id})
        )
        self.assertEqual(self._contact_activities(partner).user_id, self.spec_a)

    def test_only_manager_assigns(self):
        partner = self._customer("Not yours")
        with self.assertRaises(AccessError):
            partner.with_user(self.spec_a).kf_specialist_id = self.spec_a
        # Specialists may still maintain other customer data.
        partner.with_user(self.spec_a).write({"kf_archive_paper_done": True})
        self.assertTrue(partner.kf_archive_paper_done)

    def test_archive_complete(self):
        partner = self._customer("Archives")
        attachment = self.env["ir.attachment"].create({"name": "scan.pdf", "raw": b"%PDF"})
        partner.write(
            {
                "kf_archive_platform_done": True,
                "kf_archive_electronic_done": True,
                "kf_archive_electronic_attachment_ids": [(4, attachment.id)],
            }
        )
        self.assertFalse(partner.kf_archive_complete)
        self.assertFalse(partner.kf_archive_paper_attachment_ids)
        partner.kf_archive_paper_done = True
        self.assertTrue(partner.kf_archive_complete)

    def test_counters(self):
        partner = self._customer("Counted")
        contact = self.env["res.partner"].create({"name": "Contact", "parent_id": partner.id})
        self.env["kf.visit"].create([{"partner_id": partner.id}, {"partner_id": contact.id}])
        self.env["kf.wechat.group"].create({"name": "Group", "partner_id": partner.id})
        self.assertEqual(partner.kf_visit_count, 2)
        self.assertEqual(contact.kf_visit_count, 2, "Counted on the commercial partner")
        self.assertEqual(partner.kf_wechat_group_count, 1)
        self.assertEqual(partner.kf_contract_count, 0)
        self.env["kf.service.contract"].create(
            {"partner_id": contact.id, "date_start": "2026-01-01", "date_end": "2026-12-31"}
        )
        partner.invalidate_recordset(["kf_contract_count"])
        self.assertEqual(partner.kf_contract_count, 1)
        action = partner.action_view_kf_contracts()
        self.assertEqual(self.env["kf.service.contract"].search_count(action["domain"]), 1)
        action = partner.action_view_kf_visits()
        self.assertEqual(self.env["kf.visit"].search_count(action["domain"]), 2)

    def test_balance_even_spread(self):
        # spec_a already holds three customers (one key), spec_b none.
        for index in range(3):
            self._customer(
                f"Existing {index}",
                kf_specialist_id=self.spec_a.id,
                kf_grade="key" if index == 0 else "normal",
            )
        new = self.env["res.partner"]
        for index in range(7):
            new |= self._customer(f"New {index}", kf_grade="key" if index < 3 else "normal")
        wizard = (
            self.env["kf.partner.assign"]
            .with_user(self.manager)
            .create(
                {
                    "partner_ids": [(6, 0, new.ids)],
                    "specialist_ids": [(6, 0, (self.spec_a | self.spec_b).ids)],
                }
            )
        )
        wizard.action_balance()
        self.assertEqual(len(wizard.line_ids), 7)
        proposed_a = wizard.line_ids.filtered(lambda line: line.user_id == self.spec_a)
        proposed_b = wizard.line_ids.filtered(lambda line: line.user_id == self.spec_b)
        # 10 customers in all: 5 each; 4 key customers: 2 each.
        self.assertEqual(len(proposed_a) + 3, 5)
        self.assertEqual(len(proposed_b), 5)
        self.assertEqual(len(proposed_a.filtered(lambda line: line.grade == "key")) + 1, 2)
        self.assertEqual(len(proposed_b.filtered(lambda line: line.grade == "key")), 2)

        # The manager edits one line before assigning.
        moved = proposed_b[-1]
        moved.user_id = self.spec_a
        wizard.action_assign()
        self.assertEqual(moved.partner_id.kf_specialist_id, self.spec_a)
        self.assertEqual(set(new.mapped("kf_specialist_id").ids), {self.spec_a.id, self.spec_b.id})
        self.assertEqual(len(self._contact_activities(new)), 7)

    def test_balance_defaults_and_access(self):
        unassigned = self._customer("Unassigned")
        wizard = Form(
            self.env["kf.partner.assign"]
            .with_user(self.manager)
            .with_context(active_model="res.partner", active_ids=unassigned.ids)
        ).save()
        self.assertEqual(wizard.partner_ids, unassigned)
        self.assertIn(self.spec_a, wizard.specialist_ids)
        self.assertNotIn(self.manager, wizard.specialist_ids)
        with self.assertRaises(AccessError):
            self.env["kf.partner.assign"].with_user(self.spec_a).create({})
