from datetime import datetime

from odoo.tests import freeze_time, tagged

from .common import KfDispatchCommon


@tagged("post_install", "-at_install")
class TestDispatchLanguage(KfDispatchCommon):
    """Escalations written by the scans are in the language of whom they go
    to; the satisfaction survey thanks the customer instead of scoring them;
    the department's canned replies are seeded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["kf_dispatch"], ["zh_CN"], overwrite=True)
        cls.manager.write({"lang": "zh_CN", "tz": "Asia/Shanghai"})

    def test_sla_escalation_in_the_managers_language(self):
        with freeze_time(datetime(2026, 3, 6, 10, 0)):
            ticket = self._create_ticket()
        with freeze_time(datetime(2026, 3, 11, 11, 0)):
            self.env["kf.ticket"].with_context(lang="en_US")._cron_sla_scan()
        activity = ticket.activity_ids.filtered(
            lambda act: act.activity_type_id == self.env.ref("kf_dispatch.mail_activity_type_kf_ticket_sla")
        )
        self.assertEqual(activity.user_id, self.manager)
        self.assertNotIn("got no reply", activity.summary)
        self.assertIn(ticket.name, activity.summary)
        note = ticket.message_ids.filtered(lambda msg: "SLA" in (msg.body or ""))[:1]
        # the deadline in the manager's time zone (UTC+8), to the minute
        self.assertIn("2026/3/10 18:00", note.body)

    def test_survey_ends_with_a_thank_you(self):
        survey = self.env.ref("kf_dispatch.survey_kf_ticket_satisfaction")
        self.assertEqual(survey.scoring_type, "no_scoring")
        self.assertTrue(survey.description_done)

    def test_canned_replies_are_shared_with_the_department(self):
        clerk_group = self.env.ref("kf_customer_service.group_kf_clerk")
        replies = self.env["mail.canned.response"].search([("group_ids", "in", clerk_group.id)])
        self.assertGreaterEqual(len(replies), 5)
        self.assertTrue(replies.with_user(self.clerk).search([("id", "in", replies.ids)]))
