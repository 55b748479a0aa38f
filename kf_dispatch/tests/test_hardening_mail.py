import base64

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.mail.tests.common import MailCommon

from .test_mail_gateway import INCOMING_EMAIL


@tagged("post_install", "-at_install")
class TestHardeningMailGateway(MailCommon):
    """The ticket mail gateway matches the customer on the sender's real
    address only, never on whatever partner Odoo finds for the From header (a
    contact of one of several customers sharing an address, or an employee,
    does not become the customer); a reply from another customer's contact to
    a ticket does not make that contact a follower receiving its answers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias = cls.env.ref("kf_dispatch.mail_alias_kf_ticket")
        cls.alias.alias_domain_id = cls.mail_alias_domain
        cls.alias_to = f"kf-tickets@{cls.alias_domain}"
        cls.customer = cls.env["res.partner"].create(
            {"name": "Customer One Ltd", "is_company": True, "email": "office@customer.example"}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Chen One", "parent_id": cls.customer.id, "email": "c1@customer.example"}
        )
        cls.colleague = cls.env["res.partner"].create(
            {"name": "Liu One", "parent_id": cls.customer.id, "email": "liu@customer.example"}
        )
        cls.other_customer = cls.env["res.partner"].create({"name": "Customer Two Ltd", "is_company": True})
        cls.other_contact = cls.env["res.partner"].create(
            {"name": "Wang Two", "parent_id": cls.other_customer.id, "email": "wang@two.example"}
        )
        cls.clerk = new_test_user(cls.env, "kf_mail_clerk", groups="kf_customer_service.group_kf_clerk")
        cls.employee = new_test_user(
            cls.env, "kf_mail_emp", groups="base.group_user", email="engineer@kf-company.example"
        )

    def _mail(self, email_from, subject, **kwargs):
        with self.mock_mail_gateway():
            return self.format_and_process(
                INCOMING_EMAIL,
                email_from,
                self.alias_to,
                subject=subject,
                target_model="kf.ticket",
                target_field="subject",
                **kwargs,
            )

    # ------------------------------------------------------------------
    # a. the display name is not the sender
    # ------------------------------------------------------------------
    def test_display_name_holding_customer_address_is_not_the_customer(self):
        self.assertEqual(self.contact.email_normalized, "c1@customer.example")
        self.assertFalse(self.env["res.partner"].search([("email_normalized", "=", "x@elsewhere.example")]))
        encoded = base64.b64encode(b"c1@customer.example").decode()
        for index, email_from in enumerate(
            (
                '"c1@customer.example" <x@elsewhere.example>',
                f"=?utf-8?b?{encoded}?= <x@elsewhere.example>",
                "=?utf-8?q?c1=40customer=2Eexample?= <x@elsewhere.example>",
            )
        ):
            with self.subTest(email_from=email_from):
                ticket = self._mail(email_from, f"Spoofed display name HML{index}")
                self.assertEqual(len(ticket), 1)
                self.assertFalse(ticket.partner_id, "the display name does not make the sender a customer")
                self.assertFalse(ticket.contact_id)
                self.assertTrue(ticket.needs_triage)
                self.assertIn("x@elsewhere.example", ticket.email_from)
                self.assertNotIn(self.contact, ticket.message_partner_ids)

    def test_real_address_matches_customer(self):
        ticket = self._mail('"Somebody else" <c1@customer.example>', "Real sender HMLOK")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.contact_id, self.contact)
        self.assertFalse(ticket.needs_triage)

    # ------------------------------------------------------------------
    # b. ambiguous or internal senders wait for triage
    # ------------------------------------------------------------------
    def test_address_shared_by_two_customers_needs_triage(self):
        shared = self.env["res.partner"].create(
            {"name": "Facility desk", "parent_id": self.other_customer.id, "email": "c1@customer.example"}
        )
        self.assertNotEqual(shared.commercial_partner_id, self.contact.commercial_partner_id)
        ticket = self._mail("c1@customer.example", "Shared address HMLSH")
        self.assertEqual(len(ticket), 1)
        self.assertFalse(ticket.partner_id, "neither customer is picked")
        self.assertFalse(ticket.contact_id)
        self.assertTrue(ticket.needs_triage)
        # the clerk (lowest KF role) triages by setting the customer
        self.assertFalse(self.clerk.has_group("kf_customer_service.group_kf_specialist"))
        self.flush_tracking()  # the mail was processed in an earlier transaction
        ticket = self._reset_mail_context(ticket)
        # unticking the flag without naming the customer is refused (RPC path)
        with self.assertRaises(UserError):
            ticket.with_user(self.clerk).write({"needs_triage": False})
        self.assertTrue(ticket.needs_triage)
        ticket.with_user(self.clerk).write({"partner_id": self.customer.id, "contact_id": self.contact.id})
        self.flush_tracking()
        self.assertFalse(ticket.needs_triage)
        messages = self.env["mail.message"].search([("model", "=", "kf.ticket"), ("res_id", "=", ticket.id)])
        self.assertIn(
            "needs_triage", messages.tracking_value_ids.field_id.mapped("name"), "clearing the flag is tracked"
        )

    def test_two_contacts_of_one_customer_is_not_ambiguous(self):
        self.env["res.partner"].create(
            {"name": "Chen One (old card)", "parent_id": self.customer.id, "email": "c1@customer.example"}
        )
        ticket = self._mail("c1@customer.example", "Same customer twice HMLSAME")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertFalse(ticket.needs_triage)

    def test_employee_address_is_not_a_customer(self):
        self.assertTrue(self.employee.has_group("base.group_user"))
        self.assertFalse(self.employee.share)
        # the employee's private card sits under a customer, the usual trap
        self.employee.partner_id.parent_id = self.customer
        ticket = self._mail('"Engineer" <engineer@kf-company.example>', "Sent by an employee HMLEMP")
        self.assertEqual(len(ticket), 1)
        self.assertFalse(ticket.partner_id, "an employee is never the customer")
        self.assertFalse(ticket.contact_id)
        self.assertTrue(ticket.needs_triage)

    def test_unknown_sender_needs_triage(self):
        ticket = self._mail("stranger@unknown.example", "Unknown sender HMLUNK")
        self.assertFalse(ticket.partner_id)
        self.assertTrue(ticket.needs_triage)
        # the partner Odoo creates to answer the stranger is no customer
        self.assertTrue(self.env["res.partner"].search([("email_normalized", "=", "stranger@unknown.example")]))
        ticket = self._mail("stranger@unknown.example", "Unknown sender again HMLUNK2")
        self.assertFalse(ticket.partner_id)
        self.assertTrue(ticket.needs_triage)

    def test_individual_service_customer_matches(self):
        person = self.env["res.partner"].create(
            {"name": "Mrs Zhou", "email": "zhou@home.example", "kf_is_customer": True}
        )
        ticket = self._mail("zhou@home.example", "Individual customer HMLIND")
        self.assertEqual(ticket.partner_id, person)
        self.assertEqual(ticket.contact_id, person)
        self.assertFalse(ticket.needs_triage)

    def test_triage_filter_and_views(self):
        field = self.env["kf.ticket"]._fields["needs_triage"]
        self.assertTrue(field.tracking)
        search_arch = self.env.ref("kf_dispatch.kf_ticket_view_search").arch
        self.assertIn('name="to_triage"', search_arch)
        for xmlid in ("kf_dispatch.kf_ticket_view_form", "kf_dispatch.kf_ticket_view_list"):
            self.assertIn('name="needs_triage"', self.env.ref(xmlid).arch)

    # ------------------------------------------------------------------
    # c. replies from outside the customer
    # ------------------------------------------------------------------
    def test_reply_from_other_customer_is_internal_note(self):
        msg_id = "<hml-original-1@customer.example>"
        ticket = self._mail('"Chen One" <c1@customer.example>', "Leak in room 5 HMLREP", msg_id=msg_id)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertNotEqual(self.other_contact.commercial_partner_id, ticket.commercial_partner_id)
        self._mail(
            '"Wang Two" <wang@two.example>',
            "Re: Leak in room 5 HMLREP foreign",
            msg_id="<hml-foreign-1@two.example>",
            extra=f"In-Reply-To: {msg_id}\nReferences: {msg_id}",
            cc="boss@two.example",
        )
        message = ticket.message_ids.filtered(lambda m: m.message_id == "<hml-foreign-1@two.example>")
        self.assertEqual(len(message), 1, "the mail is kept on the ticket")
        self.assertEqual(message.author_id, self.other_contact)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_note"), "kept as an internal note")
        self.assertNotIn(self.other_contact, ticket.message_partner_ids, "not a follower of a foreign ticket")
        self.assertNotIn("boss@two.example", ticket.email_cc or "")
        self.assertEqual(ticket.partner_id, self.customer)

        # a colleague of the customer answers: a public message, and a follower
        self._mail(
            '"Liu One" <liu@customer.example>',
            "Re: Leak in room 5 HMLREP colleague",
            msg_id="<hml-colleague-1@customer.example>",
            extra=f"In-Reply-To: {msg_id}\nReferences: {msg_id}",
        )
        message = ticket.message_ids.filtered(lambda m: m.message_id == "<hml-colleague-1@customer.example>")
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertIn(self.colleague, ticket.message_partner_ids)
