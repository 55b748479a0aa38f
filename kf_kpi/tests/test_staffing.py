import re
from datetime import date

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestStaffing(TransactionCase):
    """Staffing table (编制) on hr.job: staffed and vacancy counts, staff
    names, the planned-headcount constraint, the KF manager's rights and the
    printable report."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.manager = new_test_user(
            cls.env,
            "kf_stf_manager",
            groups="kf_customer_service.group_kf_manager",
            name="KF Staffing Manager",
        )
        cls.department = cls.env["hr.department"].create({"name": "KF Test Department"})
        cls.job = cls.env["hr.job"].create(
            {
                "name": "测试客服专员",
                "department_id": cls.department.id,
                "kf_is_kf_position": True,
                "kf_planned_headcount": 3,
                "kf_planned_hiring_date": date(2026, 12, 1),
            }
        )
        cls.other_job = cls.env["hr.job"].create({"name": "Other KF Test Position", "department_id": cls.department.id})

    def _employee(self, name, job=None):
        return self.env["hr.employee"].create(
            {"name": name, "job_id": (job or self.job).id, "department_id": self.department.id}
        )

    def test_staffed_and_vacancies(self):
        job = self.job
        self.assertEqual((job.kf_staffed_count, job.kf_vacancy_count), (0, 3))
        self.assertFalse(job.kf_staff_names)
        first = self._employee("李明")
        second = self._employee("张华")
        self.assertEqual((job.kf_staffed_count, job.kf_vacancy_count), (2, 1))
        self.assertEqual(job.kf_staff_names, "李明、张华")
        # archived employees are no longer staff
        first.action_archive()
        self.assertEqual((job.kf_staffed_count, job.kf_vacancy_count), (1, 2))
        self.assertEqual(job.kf_staff_names, "张华")
        first.action_unarchive()
        self.assertEqual((job.kf_staffed_count, job.kf_vacancy_count), (2, 1))
        # moving an employee to another position updates both
        second.job_id = self.other_job
        self.assertEqual((job.kf_staffed_count, job.kf_vacancy_count), (1, 2))
        self.assertEqual(self.other_job.kf_staffed_count, 1)
        self.assertEqual(self.other_job.kf_staff_names, "张华")
        # over-staffed: vacancies never go below zero
        for name in ("王一", "王二", "王三"):
            self._employee(name)
        self.assertEqual((job.kf_staffed_count, job.kf_vacancy_count), (4, 0))
        job.kf_planned_headcount = 6
        self.assertEqual(job.kf_vacancy_count, 2)
        # stored fields: the "With vacancies" filter can search them
        found = self.env["hr.job"].search([("kf_vacancy_count", ">", 0), ("id", "=", job.id)])
        self.assertEqual(found, job)

    def test_negative_planned_headcount_refused(self):
        with self.assertRaises(ValidationError):
            self.job.kf_planned_headcount = -1
        with self.assertRaises(ValidationError):
            self.env["hr.job"].create({"name": "Negative KF Position", "kf_planned_headcount": -2})

    def test_manager_edits_staffing_fields(self):
        self._employee("李明")
        job = self.job.with_user(self.manager)
        job.write({"kf_planned_headcount": 4, "kf_planned_hiring_date": date(2027, 1, 15)})
        self.assertEqual(job.kf_vacancy_count, 3)
        # the names are readable although the manager cannot read hr.employee
        job.invalidate_recordset(["kf_staff_names"])
        self.assertEqual(job.kf_staff_names, "李明")
        with self.assertRaises(AccessError):
            self.env["hr.job"].with_user(self.manager).create({"name": "Not allowed"})
        with self.assertRaises(AccessError):
            job.unlink()

    def test_action_lists_kf_positions(self):
        action = self.env.ref("kf_kpi.kf_kpi_staffing_action")
        jobs = self.env["hr.job"].search(safe_eval(action.domain))
        self.assertIn(self.job, jobs)
        self.assertNotIn(self.other_job, jobs)

    def test_report_renders(self):
        self._employee("李明")
        self._employee("张华")
        report = self.env.ref("kf_kpi.report_kf_staffing")
        content, content_type = (
            self.env["ir.actions.report"].with_user(self.manager)._render_qweb_pdf(report, self.job.ids)
        )
        self.assertIn(content_type, ("html", "pdf"))
        if content_type != "html":
            return
        html = content.decode()
        self.assertIn("Customer Service Department — Staffing Table", html)
        self.assertIn(self.env.company.name, html)
        for header in ("Position", "Planned headcount", "Staffed", "Vacancies", "Planned hiring date", "Names"):
            self.assertIn(header, html)
        self.assertIn("测试客服专员", html)
        self.assertIn("李明、张华", html)
        figures = re.findall(r'name="td_(planned|staffed|vacancies)">(\d+)<', html)
        self.assertEqual(figures, [("planned", "3"), ("staffed", "2"), ("vacancies", "1")])
        self.assertIn("12/01/2026", html)
        self.assertNotIn("Other KF Test Position", html)

    def test_demo_figures(self):
        manager_job = self.env.ref("kf_kpi.hr_job_kf_manager_demo", raise_if_not_found=False)
        if not manager_job:
            self.skipTest("kf_kpi demo data not loaded")
        specialist_job = self.env.ref("kf_kpi.hr_job_kf_specialist_demo")
        self.assertEqual(
            (manager_job.kf_planned_headcount, manager_job.kf_staffed_count, manager_job.kf_vacancy_count),
            (1, 1, 0),
        )
        self.assertEqual(manager_job.kf_staff_names, "赵兴华")
        self.assertEqual(
            (
                specialist_job.kf_planned_headcount,
                specialist_job.kf_staffed_count,
                specialist_job.kf_vacancy_count,
            ),
            (2, 2, 0),
        )
        self.assertEqual(specialist_job.kf_staff_names, "赵沙、王梦飞")
        # one employee per demo user, no duplicates
        users = (
            self.env.ref("kf_customer_service.user_kf_manager_demo")
            | self.env.ref("kf_customer_service.user_kf_specialist_zhaosha_demo")
            | self.env.ref("kf_customer_service.user_kf_specialist_wangmengfei_demo")
        )
        for user in users:
            self.assertEqual(len(user.employee_ids), 1, user.name)
