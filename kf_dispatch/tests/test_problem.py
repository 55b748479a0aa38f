import base64

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import KfDispatchCommon


@tagged("post_install", "-at_install")
class TestProblem(KfDispatchCommon):
    def test_confirm_needs_evidence(self):
        order = self._create_order()
        problem = (
            self.env["kf.problem"]
            .with_user(self.specialist)
            .create(
                {
                    "problem_type": "quality",
                    "order_id": order.id,
                    "partner_id": self.customer.id,
                    "project_id": self.project.id,
                    "user_id": self.executor.id,
                    "company_id": self.company.id,
                    "description": "Pipe insulation missing after repair.",
                }
            )
        )
        self.assertTrue(problem.name.startswith("KF-P-"))
        self.assertEqual(problem.evidence_count, 0)
        with self.assertRaisesRegex(UserError, "evidence"):
            problem.action_confirm()
        photo = self.env["ir.attachment"].create({"name": "photo.jpg", "datas": base64.b64encode(b"jpeg")})
        problem.evidence_attachment_ids = [Command.link(photo.id)]
        self.assertEqual(problem.evidence_count, 1)
        self.assertEqual(photo.res_model, "kf.problem")
        problem.action_confirm()
        self.assertEqual(problem.state, "confirmed")
        problem.action_resolve()
        self.assertEqual(problem.state, "resolved")
        self.assertEqual(order.problem_count, 1)
        with self.assertRaises(UserError):
            problem.action_confirm()
