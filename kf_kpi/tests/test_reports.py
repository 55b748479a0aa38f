import base64
from datetime import date, datetime

from odoo import Command
from odoo.tests import TransactionCase, new_test_user, tagged

OCTOBER = date(2026, 10, 1)


class KfKpiReportFixtureMixin:
    """A company of its own with a manager and two specialists, customers,
    scored visits, a ticket with a completed satisfaction survey and problems
    of October 2026 (plus records that must not be counted)."""

    @classmethod
    def _kf_answer_survey(cls, ticket, choices, done_on, state="done"):
        """Answer the KF satisfaction survey for ``ticket``: ``choices`` maps a
        question xml id to the xml id of the chosen answer."""
        survey = cls.env.ref("kf_dispatch.survey_kf_ticket_satisfaction")
        answer = survey._create_answer(partner=ticket.partner_id, check_attempts=False)
        for question_xmlid, answer_xmlid in choices.items():
            answer._save_lines(
                cls.env.ref(f"kf_dispatch.{question_xmlid}"), str(cls.env.ref(f"kf_dispatch.{answer_xmlid}").id)
            )
        answer.write({"state": state, "end_datetime": done_on if state == "done" else False})
        ticket.survey_user_input_id = answer
        return answer

    @classmethod
    def _kf_setup_fixture(cls):
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        cls.company = cls.env["res.company"].create({"name": "KF KPI Report Test Company"})
        user_vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])], "tz": "UTC"}
        cls.manager = new_test_user(
            cls.env,
            "kpr_manager",
            groups="kf_customer_service.group_kf_manager",
            name="Report Manager",
            **user_vals,
        )
        # specialist 1 works in Shanghai (UTC+8): a visit done on 30 September
        # at 20:00 UTC is on 1 October for them
        cls.spec1 = new_test_user(
            cls.env,
            "kpr_spec1",
            groups="kf_customer_service.group_kf_specialist",
            name="Alice Specialist",
            **dict(user_vals, tz="Asia/Shanghai"),
        )
        cls.spec2 = new_test_user(
            cls.env,
            "kpr_spec2",
            groups="kf_customer_service.group_kf_specialist",
            name="Bob Specialist",
            **user_vals,
        )
        Partner = cls.env["res.partner"]
        cls.cust_a = Partner.create(
            {"name": "Aurora Plaza", "is_company": True, "company_id": cls.company.id, "kf_specialist_id": cls.spec1.id}
        )
        cls.cust_b = Partner.create(
            {"name": "Binhai Tower", "is_company": True, "company_id": cls.company.id, "kf_specialist_id": cls.spec2.id}
        )
        cls.contact_b = Partner.create({"name": "Mr Chen", "parent_id": cls.cust_b.id})

        Visit = cls.env["kf.visit"]

        def visit(partner, user, score, done_on, state="done"):
            return Visit.create(
                {
                    "partner_id": partner.id,
                    "user_id": user.id,
                    "visit_type": "return_visit",
                    "date_planned": (done_on or datetime(2026, 10, 1)).date(),
                    "state": state,
                    "date_done": done_on if state == "done" else False,
                    "outcome": "Talked to the customer",
                    "score": score,
                    "company_id": cls.company.id,
                }
            )

        cls.v1 = visit(cls.cust_a, cls.spec1, 5, datetime(2026, 10, 5, 3, 0))
        cls.v2 = visit(cls.cust_a, cls.spec1, 3, datetime(2026, 10, 10, 3, 0))
        cls.v3 = visit(cls.cust_b, cls.spec2, 4, datetime(2026, 10, 12, 8, 0))
        visit(cls.cust_b, cls.spec2, 0, datetime(2026, 10, 13, 8, 0))  # not scored
        visit(cls.cust_a, cls.spec1, 2, None, state="planned")  # not done
        cls.v6 = visit(cls.cust_a, cls.spec1, 1, datetime(2026, 9, 30, 20, 0))  # 1 October in Shanghai
        visit(cls.cust_b, cls.spec2, 5, datetime(2026, 9, 30, 20, 0))  # 30 September in UTC

        Ticket = cls.env["kf.ticket"]
        cls.ticket = Ticket.create(
            {
                "subject": "Chiller noise",
                "ticket_type": "complaint",
                "partner_id": cls.cust_b.id,
                "contact_id": cls.contact_b.id,
                "company_id": cls.company.id,
            }
        )
        # no responsible on the ticket: the customer's specialist counts
        cls.ticket.user_id = False
        # satisfied (4) and partly solved (3): 3.5
        cls._kf_answer_survey(
            cls.ticket,
            {
                "survey_kf_ticket_satisfaction_q1": "survey_kf_ticket_satisfaction_q1_a2",
                "survey_kf_ticket_satisfaction_q2": "survey_kf_ticket_satisfaction_q2_a2",
            },
            datetime(2026, 10, 15, 9, 0),
        )
        cls.ticket_open = Ticket.create(
            {
                "subject": "Leaking valve",
                "ticket_type": "repair",
                "partner_id": cls.cust_a.id,
                "user_id": cls.spec1.id,
                "company_id": cls.company.id,
            }
        )
        # survey started but not completed: not counted
        cls._kf_answer_survey(
            cls.ticket_open,
            {"survey_kf_ticket_satisfaction_q1": "survey_kf_ticket_satisfaction_q1_a5"},
            False,
            state="in_progress",
        )

        Project = cls.env["project.project"]
        cls.project1 = Project.create({"name": "Aurora HVAC", "company_id": cls.company.id})
        cls.project2 = Project.create({"name": "Binhai Boilers", "company_id": cls.company.id})

        def evidence(count, prefix):
            return [
                Command.create(
                    {"name": f"{prefix}-{i}.jpg", "datas": base64.b64encode(b"evidence"), "company_id": cls.company.id}
                )
                for i in range(1, count + 1)
            ]

        Problem = cls.env["kf.problem"]

        def problem(user, project, ptype, state, evidence_count, on=date(2026, 10, 3), **extra):
            return Problem.create(
                {
                    "problem_type": ptype,
                    "date": on,
                    "user_id": user.id,
                    "partner_id": (cls.cust_a if project == cls.project1 else cls.cust_b).id,
                    "project_id": project.id,
                    "state": state,
                    "description": f"{ptype} on {project.name}",
                    "evidence_attachment_ids": evidence(evidence_count, f"{ptype}-{user.login}"),
                    "company_id": cls.company.id,
                    **extra,
                }
            )

        cls.p1 = problem(cls.spec1, cls.project1, "overdue", "confirmed", 2)
        cls.p2 = problem(cls.spec1, cls.project1, "complaint", "resolved", 1, on=date(2026, 10, 20))
        # same day as p1: exported after it (by id)
        cls.p3 = problem(cls.spec1, cls.project2, "overdue", "confirmed", 1)
        cls.p4 = problem(cls.spec2, cls.project1, "quality", "confirmed", 3, on=date(2026, 10, 9))
        problem(cls.spec2, cls.project2, "warranty", "draft", 1)  # draft: not counted
        problem(cls.spec1, cls.project1, "acceptance", "confirmed", 1, active=False)  # archived
        problem(cls.spec1, cls.project1, "quality", "confirmed", 1, on=date(2026, 9, 28))  # September


@tagged("post_install", "-at_install")
class TestKfKpiReports(KfKpiReportFixtureMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._kf_setup_fixture()

    def _october(self, model):
        return [("company_id", "=", self.company.id), ("month", "=", OCTOBER)]

    def test_satisfaction_rows(self):
        Report = self.env["kf.kpi.satisfaction.report"]
        rows = Report.search(self._october(Report), order="date, id")
        self.assertEqual(len(rows), 5, "4 scored done visits of October (local time) and 1 completed survey")
        visits = rows.filtered(lambda r: r.source == "visit")
        self.assertEqual(visits.visit_id, self.v1 | self.v2 | self.v3 | self.v6)
        self.assertEqual(rows[0].visit_id, self.v6, "done at 20:00 UTC on 30 September = 1 October in Shanghai")
        self.assertEqual(rows[0].date, date(2026, 10, 1))
        survey = rows.filtered(lambda r: r.source == "survey")
        self.assertEqual(survey.ticket_id, self.ticket)
        self.assertAlmostEqual(survey.score, 3.5)
        self.assertAlmostEqual(survey.score_pct, 70.0)
        self.assertEqual(survey.partner_id, self.cust_b)
        self.assertEqual(survey.user_id, self.spec2, "no ticket responsible: the customer's specialist")
        self.assertEqual(survey.date, date(2026, 10, 15))
        self.assertEqual(survey.month, OCTOBER)
        self.assertEqual(set(rows.mapped("response_count")), {1})

    def test_satisfaction_by_customer_and_specialist(self):
        Report = self.env["kf.kpi.satisfaction.report"]
        domain = self._october(Report)
        aggregates = ["response_count:sum", "score:avg", "score_pct:avg"]
        by_customer = {partner: values for partner, *values in Report._read_group(domain, ["partner_id"], aggregates)}
        # Aurora: 5, 3, 1 -> 3.0; Binhai: 4 and the survey's 3.5 -> 3.75
        self.assertEqual(by_customer[self.cust_a][0], 3)
        self.assertAlmostEqual(by_customer[self.cust_a][1], 3.0)
        self.assertAlmostEqual(by_customer[self.cust_a][2], 60.0)
        self.assertEqual(by_customer[self.cust_b][0], 2)
        self.assertAlmostEqual(by_customer[self.cust_b][1], 3.75)
        self.assertAlmostEqual(by_customer[self.cust_b][2], 75.0)
        by_user = {user: values for user, *values in Report._read_group(domain, ["user_id"], aggregates)}
        self.assertEqual(set(by_user), {self.spec1, self.spec2})
        self.assertEqual(by_user[self.spec1][0], 3)
        self.assertAlmostEqual(by_user[self.spec1][1], 3.0)
        self.assertEqual(by_user[self.spec2][0], 2)
        self.assertAlmostEqual(by_user[self.spec2][1], 3.75)
        by_source = dict(Report._read_group(domain, ["source"], ["__count"]))
        self.assertEqual(by_source, {"visit": 4, "survey": 1})

    def test_satisfaction_record_rules(self):
        Report = self.env["kf.kpi.satisfaction.report"]
        domain = [("month", "=", OCTOBER)]
        mine = Report.with_user(self.spec1).search(domain)
        self.assertEqual(len(mine), 3)
        self.assertEqual(mine.user_id, self.spec1, "a specialist sees only their own responses")
        self.assertEqual(len(Report.with_user(self.manager).search(domain)), 5, "the manager sees all of the company")

    def test_problem_statistics(self):
        Report = self.env["kf.kpi.problem.report"]
        domain = [("company_id", "=", self.company.id), ("month", "=", OCTOBER)]
        rows = Report.search(domain)
        self.assertEqual(
            rows.problem_id, self.p1 | self.p2 | self.p3 | self.p4, "draft, archived and September excluded"
        )
        stats = {
            (user, ptype): (count, evidence)
            for user, ptype, count, evidence in Report._read_group(
                domain, ["user_id", "problem_type"], ["problem_count:sum", "evidence_count:sum"]
            )
        }
        self.assertEqual(
            stats,
            {
                (self.spec1, "overdue"): (2, 3),
                (self.spec1, "complaint"): (1, 1),
                (self.spec2, "quality"): (1, 3),
            },
        )
        by_project = dict(Report._read_group(domain, ["project_id"], ["problem_count:sum"]))
        self.assertEqual(by_project, {self.project1: 3, self.project2: 1})
        p2 = rows.filtered(lambda r: r.problem_id == self.p2)
        self.assertEqual(
            (p2.state, p2.date, p2.month, p2.partner_id), ("resolved", date(2026, 10, 20), OCTOBER, self.cust_a)
        )

    def test_problem_record_rules(self):
        Report = self.env["kf.kpi.problem.report"]
        domain = [("month", "=", OCTOBER)]
        self.assertEqual(Report.with_user(self.spec2).search(domain).problem_id, self.p4)
        self.assertEqual(len(Report.with_user(self.manager).search(domain)), 4)

    def test_export_wizard(self):
        wizard = (
            self.env["kf.kpi.export"].with_user(self.spec1).create({"month": date(2026, 10, 17), "report": "problems"})
        )
        action = wizard.action_export()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(action["url"], "/kf_kpi/xlsx/problems?month=2026-10")
        default = self.env["kf.kpi.export"].create({"report": "appraisal"})
        self.assertEqual(default.month.day, 1)
