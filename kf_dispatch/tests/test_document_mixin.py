from odoo.tests import tagged

from .common import KfDispatchCommon


@tagged("post_install", "-at_install")
class TestDispatchDocumentMixin(KfDispatchCommon):
    """Work orders, tickets and problems take their header (number,
    customer, company, responsible) from kf.document.mixin and draw their
    number at create."""

    def _number(self, record):
        return int(record.name.rsplit("-", 1)[1])

    def test_models_share_the_header(self):
        for model in ("kf.dispatch.order", "kf.ticket", "kf.problem"):
            self.assertIsInstance(self.env[model], self.registry["kf.document.mixin"], model)
            self.assertEqual(self.env[model]._fields["partner_id"].string, "Customer", model)
            self.assertEqual(self.env[model]._fields["commercial_partner_id"].string, "Customer Company", model)
            self.assertEqual(self.env[model]._fields["user_id"].string, "Responsible", model)
        self.assertTrue(self.env["kf.dispatch.order"]._fields["partner_id"].required)
        # tickets wait for triage and problems may concern no customer
        self.assertFalse(self.env["kf.ticket"]._fields["partner_id"].required)
        self.assertFalse(self.env["kf.problem"]._fields["partner_id"].required)
        self.assertEqual(self.env["kf.ticket"]._fields["name"].string, "Number")
        self.assertEqual(self.env["kf.dispatch.order"]._fields["name"].string, "Reference")

    def test_number_drawn_at_create(self):
        order = self._create_order()
        self.assertTrue(order.name.startswith("KF-WO-"), order.name)
        ticket = self._create_ticket()
        self.assertTrue(ticket.name.startswith("KF-T-"), ticket.name)
        triage = self._create_ticket(partner_id=False, contact_id=False)
        self.assertEqual(self._number(triage), self._number(ticket) + 1)
        problems = (
            self.env["kf.problem"]
            .with_company(self.company)
            .create([{"problem_type": "quality", "company_id": self.company.id} for _i in range(3)])
        )
        self.assertTrue(all(name.startswith("KF-P-") for name in problems.mapped("name")))
        numbers = [self._number(problem) for problem in problems]
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + 3)))
