from datetime import date, datetime

from odoo import Command
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from ..models.kf_kpi_sheet import KpiPeriod

MONTH = date(2025, 3, 1)


@tagged("post_install", "-at_install")
class TestKpiFeedback(TransactionCase):
    """Feedback forms handed in on time (by engineer) and same-day call-backs
    (by clerk): figures, drill-down and one grouped query each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        cls.company = cls.env["res.company"].create({"name": "KF Feedback KPI Co"})
        cls.company.resource_calendar_id.tz = "Asia/Shanghai"
        vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        cls.manager = new_test_user(cls.env, "fk_mgr", groups="kf_customer_service.group_kf_manager", **vals)
        cls.spec = new_test_user(cls.env, "fk_spec", groups="kf_customer_service.group_kf_specialist", **vals)
        cls.clerk = new_test_user(cls.env, "fk_clerk", groups="kf_customer_service.group_kf_clerk", **vals)
        cls.company.kf_manager_id = cls.manager
        customer = cls.env["res.partner"].create({"name": "FB KPI Customer", "is_company": True})
        project = cls.env["project.project"].create({"name": "FB KPI site", "company_id": cls.company.id})
        orders = (
            cls.env["kf.dispatch.order"]
            .sudo()
            .create(
                [
                    {
                        "partner_id": customer.id,
                        "project_id": project.id,
                        "user_id": cls.spec.id,
                        "company_id": cls.company.id,
                    }
                    for _i in range(2)
                ]
            )
        )
        Form = cls.env["kf.service.feedback"].sudo()
        # Tuesday 4 March 11:00 in Shanghai, signed at 13:00: on time (due Wednesday 08:30)
        cls.on_time = Form.create(
            {
                "order_id": orders[0].id,
                "date_arrival": datetime(2025, 3, 4, 1, 0),
                "date_leave": datetime(2025, 3, 4, 3, 0),
                "work_done": "Serviced",
                "result": "OK",
                "state": "reviewed",
                "signed_by": "Customer",
                "signed_on": datetime(2025, 3, 4, 5, 0),
                "reviewed_on": datetime(2025, 3, 5, 2, 0),
            }
        )
        # Monday 10 March, never signed: missing
        cls.missing = Form.create(
            {"order_id": orders[1].id, "date_arrival": datetime(2025, 3, 10, 1), "date_leave": datetime(2025, 3, 10, 3)}
        )
        Callback = cls.env["kf.service.callback"].sudo()
        Callback.create(
            [
                {"feedback_id": cls.on_time.id, "clerk_id": cls.clerk.id, "outcome": "reached", "date": day}
                for day in (datetime(2025, 3, 5, 6, 0), datetime(2025, 3, 6, 6, 0))
            ]
        )

    def _compute(self):
        with freeze_time("2025-04-02 06:00:00"):
            return self.env["kf.kpi.sheet"].compute_month(MONTH, self.company)

    def _line(self, sheets, user, code):
        sheet = sheets.filtered(lambda s: s.user_id == user)
        return sheet.line_ids.filtered(lambda line: line.code == code)

    def test_feedback_on_time_kpi(self):
        self.assertEqual(self.on_time.date_due, datetime(2025, 3, 5, 0, 30))
        self.assertTrue(self.on_time.is_on_time)
        self.assertFalse(self.missing.is_on_time)
        line = self._line(self._compute(), self.spec, "KF-FB")
        self.assertEqual((line.numerator, line.denominator, line.actual), (1, 2, 50))
        model, domain = line._kf_drilldown()
        self.assertEqual(self.env[model].search(domain), self.on_time | self.missing)

    def test_callback_same_day_kpi(self):
        line = self._line(self._compute(), self.clerk, "KF-CB")
        self.assertEqual((line.numerator, line.denominator, line.actual), (1, 2, 50))
        model, domain = line._kf_drilldown()
        self.assertEqual(self.env[model].search_count(domain), 2)

    def test_one_grouped_query_per_kpi(self):
        Sheet = self.env["kf.kpi.sheet"]
        period = KpiPeriod(self.env, MONTH, self.company)
        with self.assertQueryCount(1):
            Sheet._kpi_feedback_on_time(period, False)
        with self.assertQueryCount(1):
            Sheet._kpi_callback_same_day(period, False)
