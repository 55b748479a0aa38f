from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import KfCommon, setup_test_accounting


@tagged("post_install", "-at_install")
class TestCronDomains(KfCommon):
    """Each scheduled action handles exactly the records of its overridable
    ``_<what>_domain()`` method."""

    def _mine(self, model, domain):
        return self.env[model].search([*domain, ("company_id", "=", self.company.id)])

    @freeze_time("2026-03-10")
    def test_renewal_domains(self):
        Contract = self.env["kf.service.contract"]
        c = self._create_contract
        in_window = c(self.customer_1, "2025-04-10", "2026-04-09")
        ended = c(self.customer_2, "2025-03-10", "2026-03-09")
        c(self.customer_2, "2026-01-01", "2026-12-31")  # ends later
        c(self.customer_1, "2025-04-01", "2026-03-31", state="draft")
        today = self._d("2026-03-10")
        to_enter = self._mine("kf.service.contract", Contract._renewal_to_enter_domain(today))
        to_expire = self._mine("kf.service.contract", Contract._renewal_to_expire_domain(today))
        self.assertEqual(to_enter, in_window | ended)
        self.assertEqual(to_expire, ended)
        Contract._cron_renewal_scan()
        in_pipeline = self._mine("kf.service.contract", [("renewal_stage_id", "!=", False)])
        self.assertEqual(in_pipeline, to_enter)
        self.assertEqual(self._mine("kf.service.contract", [("state", "=", "expired")]), to_expire)
        self.assertFalse(self._mine("kf.service.contract", Contract._renewal_to_enter_domain(today)))
        self.assertFalse(self._mine("kf.service.contract", Contract._renewal_to_expire_domain(today)))

    def test_dunning_domains(self):
        setup_test_accounting(self.env, self.company)
        Line = self.env["kf.contract.payment.line"]
        with freeze_time("2026-03-01"):
            contract = self._create_contract(
                self.customer_1,
                "2026-01-01",
                "2026-12-31",
                payment_line_ids=[
                    Command.create({"name": "Q1", "date_due": "2026-03-05", "amount": 3000}),
                    Command.create({"name": "Q2", "date_due": "2026-09-30", "amount": 3000}),
                ],
            )
            draft = self._create_contract(
                self.customer_2,
                "2026-01-01",
                "2026-12-31",
                state="draft",
                payment_line_ids=[Command.create({"name": "D1", "date_due": "2026-03-02", "amount": 100})],
            )
            self.env.flush_all()
            q1, q2 = contract.payment_line_ids.sorted("date_due")
            to_invoice = self._mine(Line._name, Line._invoice_due_domain(self._d("2026-03-01")))
            self.assertEqual(to_invoice, q1, "due within the lead days, of a live contract")
            Line._cron_invoice_scan()
            self.assertTrue(q1.move_id)
            self.assertFalse(self._mine(Line._name, Line._invoice_due_domain(self._d("2026-03-01"))))
        # an episode left open on a line that is not overdue
        q2.dunning_episode_date = "2026-02-01"
        with freeze_time("2026-03-06"):
            today = self._d("2026-03-06")
            fell_due = self._mine(Line._name, Line._dunning_fell_due_domain(today))
            self.assertEqual(fell_due, q1, "only invoices fall due")
            self.assertFalse(draft.payment_line_ids.move_id)
            self.assertEqual(self._mine(Line._name, Line._dunning_ended_domain()), q2)
            fell_due._refresh_due_state()
            to_dun = self._mine(Line._name, Line._dunning_to_dun_domain())
            self.assertEqual(to_dun, q1, "the draft contract's line is not dunned")
            Line._cron_dunning_scan()
            self.assertFalse(q2.dunning_episode_date)
            dunned = self._mine(Line._name, [("dunning_episode_date", "=", today)])
            self.assertEqual(dunned, to_dun)
            self.assertFalse(self._mine(Line._name, Line._dunning_to_dun_domain()))
            self.assertFalse(self._mine(Line._name, Line._dunning_ended_domain()))

    def test_wechat_member_domain(self):
        Partner = self.env["res.partner"]
        customer = Partner.create({"name": "Tower Ltd", "is_company": True, "kf_is_customer": True})
        contacts = Partner.create([{"name": f"Contact {i}", "parent_id": customer.id} for i in range(3)])
        Group = self.env["kf.wechat.group"]
        group = Group.create({"name": "Tower", "partner_id": customer.id, "user_id": self.specialist_a.id})
        archived_group = Group.create({"name": "Old", "partner_id": customer.id, "user_id": self.specialist_a.id})
        Member = self.env["kf.wechat.group.member"]
        checked, invalid, free = Member.create(
            [
                {"group_id": group.id, "partner_id": contacts[0].id},
                {"group_id": group.id, "partner_id": contacts[1].id, "is_valid": False},
                {"group_id": group.id, "name": "Night-shift electrician", "role": "other"},
            ]
        )
        in_archived = Member.create({"group_id": archived_group.id, "partner_id": contacts[2].id})
        archived_group.action_archive()
        selected = Member.search([*Member._members_to_check_domain(), ("group_id.partner_id", "=", customer.id)])
        self.assertEqual(selected, checked)
        contacts.action_archive()
        Member._cron_check_members()
        self.assertFalse(checked.is_valid, "the selected member is checked")
        self.assertTrue(in_archived.is_valid and free.is_valid, "the others are left alone")
        self.assertFalse(invalid.date_flagged)
