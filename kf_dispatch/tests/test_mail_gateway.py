from odoo.tests import tagged

from odoo.addons.mail.tests.common import MailCommon

INCOMING_EMAIL = """Return-Path: {return_path}
To: {to}
cc: {cc}
Received: by mail1.example.com (Postfix, from userid 10002)
    id 5DF9ABFB2A; Fri, 10 Aug 2026 16:16:39 +0200 (CEST)
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit
Date: Fri, 10 Aug 2026 14:16:26 +0000
Message-ID: {msg_id}
{extra}

The chiller in building B makes a loud noise since this morning.
Please send somebody.

Zhang Wei
"""


@tagged("post_install", "-at_install")
class TestTicketMailGateway(MailCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias = cls.env.ref("kf_dispatch.mail_alias_kf_ticket")
        cls.alias.alias_domain_id = cls.mail_alias_domain
        cls.customer = cls.env["res.partner"].create(
            {"name": "Hangzhou Data Center Ltd", "is_company": True, "email": "it@dc.example.com"}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Zhang Wei", "parent_id": cls.customer.id, "email": "zhang.wei@dc.example.com"}
        )

    def test_email_to_alias_creates_ticket(self):
        with self.mock_mail_gateway():
            ticket = self.format_and_process(
                INCOMING_EMAIL,
                '"Zhang Wei" <zhang.wei@dc.example.com>',
                f"kf-tickets@{self.alias_domain}",
                subject="Chiller noise building B",
                target_model="kf.ticket",
                target_field="subject",
            )
        self.assertEqual(len(ticket), 1)
        self.assertTrue(ticket.name.startswith("KF-T-"))
        self.assertEqual(ticket.channel, "email")
        self.assertEqual(ticket.contact_id, self.contact)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertTrue(ticket.sla_deadline)
        self.assertFalse(ticket.first_reply_date)
        self.assertIn("loud noise", ticket.description or "")

    def test_email_from_unknown_sender(self):
        with self.mock_mail_gateway():
            ticket = self.format_and_process(
                INCOMING_EMAIL,
                "stranger@unknown.example.com",
                f"kf-tickets@{self.alias_domain}",
                subject="Who maintains the lift?",
                target_model="kf.ticket",
                target_field="subject",
            )
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.email_from, "stranger@unknown.example.com")
        self.assertFalse(ticket.partner_id)
