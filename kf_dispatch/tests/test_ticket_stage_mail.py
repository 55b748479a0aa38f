from odoo.tests import tagged

from .common import KfDispatchCommon


@tagged("post_install", "-at_install")
class TestTicketStageMail(KfDispatchCommon):
    """The mail of a stage (its ``template_id``) goes to the customer through
    tracking, once per stage change, whatever the path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.resolved = cls.env.ref("kf_dispatch.kf_ticket_stage_resolved")
        cls.closed = cls.env.ref("kf_dispatch.kf_ticket_stage_closed")
        cls.template = cls.env.ref("kf_dispatch.mail_template_kf_ticket_resolved")

    def _ticket(self, **vals):
        # tracking on, as in the web client (a record created without tracking
        # is not tracked until the transaction's tracking is flushed)
        ticket = self._create_ticket(ticket_type="enquiry", resolution="Answered by phone.", **vals)
        self._flush_tracking()
        return ticket.with_context(tracking_disable=False)

    def _flush_tracking(self):
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _stage_mails(self, ticket):
        return self.env["mail.message"].search(
            [("model", "=", "kf.ticket"), ("res_id", "=", ticket.id), ("subject", "ilike", "has been resolved")]
        )

    def test_resolved_stage_sends_its_template(self):
        self.assertEqual(self.resolved.template_id, self.template)
        self.assertFalse(self.closed.template_id)

    def test_button_sends_the_stage_mail_once(self):
        ticket = self._ticket()
        ticket.with_user(self.specialist).action_resolve()
        self._flush_tracking()
        mail = self._stage_mails(ticket)
        self.assertEqual(len(mail), 1)
        self.assertIn(self.contact, mail.partner_ids)
        self.assertEqual(mail.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertIn("Answered by phone.", mail.body)
        self.assertTrue(ticket.access_token, "the portal link in the mail works")
        self.assertFalse(ticket.first_reply_date, "the stage mail is not a reply")
        ticket.action_close()
        self._flush_tracking()
        self.assertEqual(len(self._stage_mails(ticket)), 1, "a stage without template sends nothing")

    def test_plain_write_sends_the_stage_mail_once(self):
        ticket = self._ticket()
        ticket.with_user(self.specialist).write({"stage_id": self.resolved.id})
        ticket.with_user(self.specialist).write({"stage_id": self.resolved.id, "subject": "Renamed"})
        self._flush_tracking()
        self.assertEqual(len(self._stage_mails(ticket)), 1)
        self.assertTrue(ticket.date_resolved, "a plain write has the button's effects")
        self.assertTrue(ticket.visit_id)

    def test_other_stage_template_and_no_recipient(self):
        self.closed.template_id = self.template
        ticket = self._ticket()
        ticket.action_close()
        self._flush_tracking()
        self.assertEqual(len(self._stage_mails(ticket)), 1, "the template of the stage moved to")
        self.resolved.template_id = False
        silent = self._ticket()
        silent.action_resolve()
        self._flush_tracking()
        self.assertFalse(self._stage_mails(silent), "a stage without template sends nothing")

    def test_ticket_without_email_gets_no_stage_mail(self):
        partner = self.env["res.partner"].create({"name": "No Mail Ltd", "is_company": True})
        ticket = self._ticket(partner_id=partner.id, contact_id=False)
        ticket.action_resolve()
        self._flush_tracking()
        self.assertTrue(ticket.is_resolved)
        self.assertFalse(self._stage_mails(ticket))

    def test_ticket_created_in_the_stage_gets_no_stage_mail(self):
        ticket = self.Ticket.with_context(tracking_disable=False).create(
            {
                "subject": "Imported",
                "ticket_type": "enquiry",
                "partner_id": self.customer.id,
                "contact_id": self.contact.id,
                "company_id": self.company.id,
                "stage_id": self.resolved.id,
                "resolution": "Done before.",
            }
        )
        self._flush_tracking()
        self.assertFalse(self._stage_mails(ticket))
