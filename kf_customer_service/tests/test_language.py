import io

from reportlab.pdfgen import canvas

from odoo.tests import HttpCase, freeze_time, new_test_user, tagged
from odoo.tools.pdf import PdfFileReader

from .common import KfCommon


def load_chinese(env):
    """Activate Simplified Chinese with the KF terms (the test database may
    have been installed without it)."""
    env["res.lang"]._activate_lang("zh_CN")
    env["ir.module.module"]._load_module_terms(["base", "mail", "kf_customer_service"], ["zh_CN"], overwrite=True)


@tagged("post_install", "-at_install")
@freeze_time("2026-03-10")
class TestRecipientLanguage(KfCommon):
    """Text written by the code for a user is in that user's language, with
    dates formatted for it, whoever runs the code."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_chinese(cls.env)
        cls.specialist_a.write({"lang": "zh_CN", "tz": "Asia/Shanghai"})
        cls.specialist_b.write({"lang": "en_US"})
        cls.env["kf.service.contract"].search([("company_id", "!=", cls.company.id), ("state", "=", "running")]).write(
            {"state": "draft"}
        )
        cls.contract_zh = cls._create_contract(cls.customer_1, "2025-04-01", "2026-03-31")
        cls.contract_en = cls._create_contract(cls.customer_2, "2025-04-01", "2026-03-31")

    def _summary(self, contract):
        return contract.activity_ids.filtered(
            lambda act: act.activity_type_id == self.env.ref("kf_customer_service.mail_activity_type_kf_renewal")
        ).summary

    def test_renewal_activity_in_each_recipients_language(self):
        self.assertEqual(self.contract_zh.user_id or self.customer_1.kf_specialist_id, self.specialist_a)
        # the scan runs in English (the cron user's language)
        self.env["kf.service.contract"].with_context(lang="en_US")._cron_renewal_scan()
        self.assertEqual(
            self._summary(self.contract_zh), f"续约 {self.contract_zh.name}\uff082026年03月31日 到期\uff09"
        )
        self.assertEqual(self._summary(self.contract_en), f"Renew {self.contract_en.name} (ends 03/31/2026)")

    def test_expiry_note_in_the_followers_language(self):
        contract = self._create_contract(self.customer_1, "2025-03-01", "2026-03-01")
        self.env["kf.service.contract"].with_context(lang="en_US")._cron_renewal_scan()
        self.assertEqual(contract.state, "expired")
        self.assertIn("2026年03月01日", contract.message_ids[0].body)

    def test_lang_env_and_formats(self):
        Users = self.env["res.users"]
        self.assertEqual(self.specialist_a.kf_lang_env().lang, "zh_CN")
        self.assertEqual(Users.kf_lang_env(), self.env, "no user: the current environment")
        self.assertEqual(self.specialist_a.kf_format_date(self._d("2026-12-05")), "2026年12月05日")
        self.assertEqual(self.specialist_b.kf_format_date(self._d("2026-12-05")), "12/05/2026")

    def test_creation_message_names_the_model_in_the_sentences_language(self):
        group = (
            self.env["kf.wechat.group"]
            .with_context(lang="zh_CN", tracking_disable=False)
            .create({"name": "群", "partner_id": self.customer_1.id, "company_id": self.company.id})
        )
        self.assertIn("微信服务群 已创建", group.message_ids[-1].body)

    def test_wechat_check_tells_what_it_found(self):
        group = self.env["kf.wechat.group"].create(
            {
                "name": "Group",
                "partner_id": self.customer_1.id,
                "user_id": self.specialist_a.id,
                "company_id": self.company.id,
            }
        )
        contact = self.env["res.partner"].create({"name": "Left", "parent_id": self.customer_1.id})
        group.member_ids = [(0, 0, {"name": "Left", "partner_id": contact.id, "role": "customer"})]
        action = group.with_user(self.specialist_a).action_check_members()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        contact.parent_id = self.customer_2
        action = group.with_user(self.specialist_a).action_check_members()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")

    def test_assignment_reloads_the_list(self):
        wizard = (
            self.env["kf.partner.assign"]
            .with_user(self.manager)
            .create(
                {"partner_ids": [(6, 0, self.customer_orphan.ids)], "specialist_ids": [(6, 0, self.specialist_a.ids)]}
            )
        )
        wizard.action_balance()
        action = wizard.action_assign()
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.client", "tag": "soft_reload"})
        self.assertEqual(self.customer_orphan.kf_specialist_id, self.specialist_a)


@tagged("post_install", "-at_install")
class TestReportPageNumbers(KfCommon):
    def test_page_numbers_are_stamped(self):
        packet = io.BytesIO()
        can = canvas.Canvas(packet)
        for _page in range(2):
            can.drawString(100, 700, "body")
            can.showPage()
        can.save()
        stamped = self.env["ir.actions.report"]._kf_stamp_page_numbers(packet.getvalue())
        reader = PdfFileReader(io.BytesIO(stamped))
        self.assertEqual(len(reader.pages), 2)
        self.assertIn("2 / 2", reader.pages[1].extract_text())

    def test_layout_prints_the_letterhead_in_the_body_without_headers(self):
        self.company.kf_service_phone = "400-000-0000"
        document = self.env["kf.customer.document"].create(
            {
                "name": "Doc",
                "partner_id": self.customer_1.id,
                "doc_type": "situation",
                "company_id": self.company.id,
            }
        )
        html = str(
            self.env["ir.actions.report"]._render_qweb_html(
                "kf_customer_service.report_kf_customer_document", document.ids
            )[0]
        )
        self.assertIn("Noto Sans CJK SC", html)
        self.assertIn('lang="zh-CN"', html)
        if self.env["ir.actions.report"].kf_layout_in_body():
            self.assertIn("kf_letterhead", html)
            self.assertIn("400-000-0000", html)


@tagged("post_install", "-at_install")
class TestPortalContact(HttpCase):
    """The portal's sidebar names the customer's specialist and the
    department's service phone, not the salesperson."""

    def test_sidebar_shows_the_specialist(self):
        company = self.env["res.company"].create({"name": "KF Portal Co", "kf_service_phone": "400-820-8686"})
        specialist = new_test_user(
            self.env,
            "kf_side_spec",
            groups="kf_customer_service.group_kf_specialist",
            name="Specialist Zhao",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        salesperson = new_test_user(self.env, "kf_side_sales", name="Salesperson Sun")
        customer = self.env["res.partner"].create(
            {
                "name": "Portal Customer Ltd",
                "is_company": True,
                "kf_specialist_id": specialist.id,
                "user_id": salesperson.id,
            }
        )
        contact = self.env["res.partner"].create({"name": "Contact Zhang", "parent_id": customer.id})
        new_test_user(self.env, "kf_side_portal", groups="base.group_portal", partner_id=contact.id)
        self.assertEqual(contact.commercial_partner_id.kf_specialist_id, specialist)
        self.authenticate("kf_side_portal", "kf_side_portal")
        html = self.url_open("/my/home").text
        self.assertIn("Specialist Zhao", html)
        self.assertIn("400-820-8686", html)
        self.assertNotIn("Salesperson Sun", html)
