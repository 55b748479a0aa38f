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

    def _numbering_queries(self, count):
        """Queries of drawing the numbers of ``count`` problems created in
        one batch (the sequence part of create), and the numbers."""
        Problem = self.env["kf.problem"].with_user(self.specialist)
        vals_list = [{"company_id": self.company.id} for _i in range(count)]
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        Problem._kf_number_vals(vals_list)
        return self.env.cr.sql_log_count - before, [vals["name"] for vals in vals_list]

    def test_batch_numbers_drawn_at_once(self):
        sequence = self.env["ir.sequence"].sudo().search([("code", "=", "kf.problem")], limit=1)
        self._numbering_queries(1)  # warm the caches of the first run
        small, _names = self._numbering_queries(2)
        large, names = self._numbering_queries(12)
        self.assertEqual(large, small, f"{small} queries to number 2 problems, {large} for 12")
        # consecutive numbers, and the sequence moved on by exactly that many
        numbers = [int(name.rsplit("-", 1)[-1]) for name in names]
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + 12)))
        self.assertEqual(len(set(names)), 12)
        self.assertEqual(self._numbering_queries(1)[1][0], sequence.get_next_char(numbers[-1] + 1))
