from odoo.tests import tagged

from .common import KfCommon

MIXIN = "kf.document.mixin"
HEADER_MODELS = ("kf.service.contract", "kf.visit", "kf.customer.document", "kf.wechat.group")


@tagged("post_install", "-at_install")
class TestDocumentMixin(KfCommon):
    """The document header (number, customer, company, responsible) is
    written once in kf.document.mixin; each model keeps its own labels and
    rules, and numbered models draw their number at create."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Visit = cls.env["kf.visit"].with_company(cls.company)

    def _visit_vals(self, **vals):
        return dict({"partner_id": self.customer_1.id, "company_id": self.company.id}, **vals)

    def test_models_share_the_header(self):
        for model in HEADER_MODELS:
            records = self.env[model]
            self.assertIsInstance(records, self.registry[MIXIN], model)
            fields = records._fields
            self.assertEqual(fields["partner_id"].comodel_name, "res.partner", model)
            self.assertTrue(fields["commercial_partner_id"].store, model)
            self.assertEqual(fields["commercial_partner_id"].related, "partner_id.commercial_partner_id", model)
            self.assertTrue(fields["company_id"].required, model)
            self.assertEqual(fields["user_id"].comodel_name, "res.users", model)
            self.assertTrue(records._check_company_auto, model)

    def test_models_keep_their_labels_and_rules(self):
        Contract, Visit = self.env["kf.service.contract"], self.env["kf.visit"]
        Document, Group = self.env["kf.customer.document"], self.env["kf.wechat.group"]
        self.assertEqual(Contract._fields["name"].string, "Number")
        self.assertEqual(Contract._fields["name"].index, "trigram")
        self.assertEqual(Contract._fields["commercial_partner_id"].string, "Commercial Entity")
        self.assertEqual(Contract._fields["user_id"].string, "Responsible Specialist")
        self.assertEqual(Visit._fields["name"].string, "Reference")
        self.assertTrue(Visit._fields["user_id"].required)
        self.assertEqual(Document._fields["name"].string, "Title")
        self.assertEqual(Document._fields["user_id"].string, "Author")
        self.assertEqual(Group._fields["name"].string, "Name")
        self.assertEqual(Group._fields["user_id"].string, "Owner")
        self.assertFalse(Group._fields["user_id"].required)
        for model in HEADER_MODELS:
            self.assertTrue(self.env[model]._fields["partner_id"].required, model)
        # a title is typed by the user: editable, copied, no "New" placeholder
        for model in (Document, Group):
            name = model._fields["name"]
            self.assertTrue(name.required and not name.readonly and name.copy and name.default is None, model)
            self.assertFalse(model._kf_sequence_code)

    def test_number_drawn_at_create(self):
        first, second = self.Visit.create([self._visit_vals(), self._visit_vals(name=self.env._("New"))])
        self.assertTrue(first.name.startswith("KF-V-"), first.name)
        self.assertEqual(int(second.name.rsplit("-", 1)[1]), int(first.name.rsplit("-", 1)[1]) + 1)
        contract = self._create_contract(self.customer_1, "2026-01-01", "2026-12-31")
        self.assertTrue(contract.name.startswith("KF-C-"), contract.name)
        # a number given explicitly (an import) is kept
        self.assertEqual(self.Visit.create(self._visit_vals(name="IMPORTED-1")).name, "IMPORTED-1")

    def test_number_from_the_sequence_of_the_record_company(self):
        self.env["ir.sequence"].create(
            {"name": "Visits of the test company", "code": "kf.visit", "prefix": "TV-", "company_id": self.company.id}
        )
        visit = self.env["kf.visit"].create(self._visit_vals())
        self.assertTrue(visit.name.startswith("TV-"), visit.name)

    def test_titled_models_are_not_numbered(self):
        document = (
            self.env["kf.customer.document"]
            .with_company(self.company)
            .create({"name": "Chiller assessment", "partner_id": self.customer_1.id, "company_id": self.company.id})
        )
        self.assertEqual(document.name, "Chiller assessment")
        self.assertEqual(document.copy().name, "Chiller assessment")
        group = (
            self.env["kf.wechat.group"]
            .with_company(self.company)
            .create({"name": "Customer One service", "partner_id": self.customer_1.id, "company_id": self.company.id})
        )
        self.assertEqual(group.name, "Customer One service")
