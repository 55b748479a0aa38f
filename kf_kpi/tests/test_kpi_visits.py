from datetime import date, datetime

from odoo import Command
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from ..models.kf_kpi_sheet import KpiPeriod

MONTH = date(2025, 3, 1)


@tagged("post_install", "-at_install")
class TestKpiVisits(TransactionCase):
    """The 20-visit KPI, the manager's quarterly checks and the orphan
    customers: figures and drill-down."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        cls.company = cls.env["res.company"].create({"name": "KF Visit KPI Co"})
        vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        cls.manager = new_test_user(cls.env, "vk_mgr", groups="kf_customer_service.group_kf_manager", **vals)
        cls.spec_a = new_test_user(cls.env, "vk_spec_a", groups="kf_customer_service.group_kf_specialist", **vals)
        cls.spec_b = new_test_user(cls.env, "vk_spec_b", groups="kf_customer_service.group_kf_specialist", **vals)
        cls.company.kf_manager_id = cls.manager
        cls.customer = cls.env["res.partner"].create(
            {"name": "Visit KPI Customer", "is_company": True, "company_id": cls.company.id}
        )
        Visit = cls.env["kf.visit"].with_company(cls.company)

        def visits(user, count, day, **extra):
            return Visit.create(
                [
                    {
                        "partner_id": cls.customer.id,
                        "user_id": user.id,
                        "company_id": cls.company.id,
                        "visit_type": "visit",
                        "date_planned": day,
                        **extra,
                    }
                    for _i in range(count)
                ]
            )

        # A: 20 visits done in March, B: 12 done, 3 planned; a return visit and an April visit do not count
        done_a = visits(cls.spec_a, 20, date(2025, 3, 5))
        done_b = visits(cls.spec_b, 15, date(2025, 3, 6))
        other = visits(cls.spec_a, 1, date(2025, 3, 6), visit_type="return_visit") | visits(
            cls.spec_a, 1, date(2025, 4, 1)
        )
        (done_a | done_b[:12] | other[:1]).sudo().write(
            {"state": "done", "date_done": datetime(2025, 3, 20, 8), "outcome": "ok"}
        )
        other[1:].sudo().write({"state": "done", "date_done": datetime(2025, 4, 1, 8), "outcome": "ok"})
        # manager's checks planned in March: 2, one done
        checks = visits(cls.manager, 2, date(2025, 3, 10), kf_purpose="manager_check")
        checks[0].sudo().write({"state": "done", "date_done": datetime(2025, 3, 10, 9), "outcome": "127 = 127"})
        # orphan customers: one held by B, one held by nobody (the manager's)
        gone = new_test_user(cls.env, "vk_sales_gone", groups="base.group_user", **vals)
        Partner = cls.env["res.partner"]
        cls.orphans = Partner.create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "kf_is_customer": True,
                    "company_id": cls.company.id,
                    "user_id": gone.id,
                    "kf_specialist_id": specialist,
                }
                for name, specialist in (("Orphan held by B", cls.spec_b.id), ("Orphan held by nobody", False))
            ]
        )
        gone.active = False
        cls.orphans.invalidate_recordset()

    def _compute(self):
        with freeze_time("2025-04-02 06:00:00"):
            return self.env["kf.kpi.sheet"].compute_month(MONTH, self.company)

    def _line(self, sheets, user, code):
        sheet = sheets.filtered(lambda s: s.user_id == user if user else s.scope == "department")
        return sheet.line_ids.filtered(lambda line: line.code == code)

    def test_twenty_visits_kpi(self):
        sheets = self._compute()
        line_a = self._line(sheets, self.spec_a, "KF-VIS")
        line_b = self._line(sheets, self.spec_b, "KF-VIS")
        self.assertEqual(line_a.target, 20)
        self.assertEqual(line_a.actual, 20)
        self.assertTrue(line_a.met)
        self.assertEqual(line_b.actual, 12)
        self.assertFalse(line_b.met)
        model, domain = line_a._kf_drilldown()
        self.assertEqual(model, "kf.visit")
        self.assertEqual(self.env[model].search_count(domain), 20)

    def test_manager_check_kpi(self):
        sheets = self._compute()
        line = self._line(sheets, self.manager, "KF-MGR-CHK")
        self.assertEqual((line.numerator, line.denominator), (1, 2))
        self.assertEqual(line.actual, 50)

    def test_orphan_customers_kpi(self):
        self.assertTrue(all(self.orphans.mapped("kf_is_orphan")))
        sheets = self._compute()
        manager_line = self._line(sheets, self.manager, "KF-ORPH")
        self.assertEqual(manager_line.actual, 1)
        self.assertEqual(self._line(sheets, self.spec_b, "KF-ORPH").actual, 1)
        model, domain = manager_line._kf_drilldown()
        self.assertEqual(self.env[model].search(domain), self.orphans[1])
        self.assertEqual(self._line(sheets, None, "KF-ORPH").actual, 2)

    def test_one_grouped_query_per_kpi(self):
        Sheet = self.env["kf.kpi.sheet"]
        period = KpiPeriod(self.env, MONTH, self.company)
        with self.assertQueryCount(1):
            Sheet._kpi_visit_count(period, False)
