from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRenewalTour(HttpCase):
    """A specialist walks the renewal board in the browser (Odoo's tour
    framework; skipped with one line where Chromium is missing)."""

    def test_renewal_board_tour(self):
        company = self.env.company
        specialist = new_test_user(
            self.env,
            "kf_tour_spec",
            groups="kf_customer_service.group_kf_specialist",
            name="KF Tour Specialist",
            lang="zh_CN" if self.env["res.lang"]._lang_get("zh_CN") else "en_US",
        )
        customer = self.env["res.partner"].create(
            {"name": "KF Tour Customer", "is_company": True, "kf_specialist_id": specialist.id}
        )
        today = fields.Date.context_today(specialist)
        contract = self.env["kf.service.contract"].create(
            {
                "partner_id": customer.id,
                "date_start": today.replace(year=today.year - 1),
                "date_end": today,
                "amount": 10000.0,
                "company_id": company.id,
                "state": "running",
            }
        )
        contract._renewal_enter_pipeline(today)
        first = contract.renewal_stage_id
        self.assertTrue(first, "the contract is on the board")
        self.start_tour("/odoo/kf-renewals", "kf_renewal_board_tour", login="kf_tour_spec")
        stages = self.env["kf.renewal.stage"].search([])
        self.assertEqual(contract.renewal_stage_id, stages[2])
