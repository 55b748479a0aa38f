from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestDocumentReport(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.author = new_test_user(
            cls.env,
            "hb_d_author",
            groups="kf_customer_service.group_kf_specialist",
            name="赵沙",
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "上海华宇置业有限公司",
                "is_company": True,
                "kf_is_customer": True,
                "street": "世纪大道88号",
                "city": "上海",
                "kf_specialist_id": cls.author.id,
            }
        )
        cls.contact = cls.env["res.partner"].create({"name": "张伟", "parent_id": cls.customer.id})
        cls.document = (
            cls.env["kf.customer.document"]
            .with_user(cls.author)
            .create(
                {
                    "name": "1#冷水机组维修建议",
                    "partner_id": cls.customer.id,
                    "contact_id": cls.contact.id,
                    "doc_type": "repair_suggestion",
                    "body": "<p>建议更换压缩机轴承。</p>",
                }
            )
        )

    def test_issue_requires_body(self):
        empty = self.env["kf.customer.document"].create(
            {"name": "Empty", "partner_id": self.customer.id, "doc_type": "summary", "body": "<p><br></p>"}
        )
        with self.assertRaises(UserError):
            empty.action_issue()
        self.document.with_user(self.author).action_issue()
        self.assertEqual(self.document.state, "issued")

    def test_render_pdf(self):
        report = self.env.ref("kf_customer_service.report_kf_customer_document")
        content, content_type = self.env["ir.actions.report"]._render_qweb_pdf(report, self.document.ids)
        self.assertIn(content_type, ("html", "pdf"))
        if content_type == "html":
            html = content.decode()
            self.assertIn("Repair suggestion", html)
            self.assertIn("1#冷水机组维修建议", html)
            self.assertIn("上海华宇置业有限公司", html)
            self.assertIn("世纪大道88号", html)
            self.assertIn("张伟", html)
            self.assertIn("建议更换压缩机轴承", html)
            self.assertIn("赵沙", html)
        action = self.document.action_print()
        self.assertEqual(action["report_name"], report.report_name)

    def test_title_by_type(self):
        self.document.doc_type = "water_treatment"
        self.assertEqual(self.document._get_report_title(), "Water-treatment report")
        self.assertIn(self.document.name, self.document._get_report_base_filename())

    def test_specialist_sees_own_documents_only(self):
        other = new_test_user(self.env, "hb_d_other", groups="kf_customer_service.group_kf_specialist")
        self.assertFalse(self.env["kf.customer.document"].with_user(other).search([("id", "=", self.document.id)]))
        self.assertTrue(self.env["kf.customer.document"].with_user(self.author).search([("id", "=", self.document.id)]))
