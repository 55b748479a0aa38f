from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, tagged

from .test_reports import OCTOBER, KfKpiReportFixtureMixin


@tagged("post_install", "-at_install")
class TestKfKpiReportRows(KfKpiReportFixtureMixin, TransactionCase):
    """The rows the XLSX exports write, as the report models give them: their
    content, their order, the record rules of the reading user and batching;
    and the satisfaction KPI computed from the satisfaction summary's
    responses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._kf_setup_fixture()

    # ------------------------------------------------------------- problems
    def _problem_rows(self, user, **kwargs):
        return list(self.env["kf.kpi.problem.report"].with_user(user).xlsx_rows(OCTOBER, **kwargs))

    def test_problem_rows(self):
        rows = self._problem_rows(self.manager)
        self.assertEqual([row["name"] for row in rows], [self.p1.name, self.p3.name, self.p4.name, self.p2.name])
        self.assertEqual(
            rows[0],
            {
                "name": self.p1.name,
                "date": date(2026, 10, 3),
                "type": "Overdue delivery",
                "customer": "Aurora Plaza",
                "project": "Aurora HVAC",
                "employee": "Alice Specialist",
                "state": "Confirmed",
                "description": "overdue on Aurora HVAC",
                "evidence_count": 2,
                "evidence_files": "overdue-kpr_spec1-1.jpg, overdue-kpr_spec1-2.jpg",
            },
        )
        self.assertEqual(rows[3]["state"], "Resolved")

    def test_problem_rows_in_batches(self):
        """Keyset pages of one or two problems (p1 and p3 share a day): every
        problem once, in date order."""
        expected = [self.p1.name, self.p3.name, self.p4.name, self.p2.name]
        for batch_size in (1, 2, 3):
            rows = self._problem_rows(self.manager, batch_size=batch_size)
            self.assertEqual([row["name"] for row in rows], expected, f"batches of {batch_size}")

    def test_problem_rows_record_rules(self):
        self.assertEqual([row["name"] for row in self._problem_rows(self.spec2)], [self.p4.name])
        stats = list(self.env["kf.kpi.problem.report"].with_user(self.spec2).xlsx_statistics_rows(OCTOBER))
        self.assertEqual([row["employee"] for row in stats], ["Bob Specialist", "Total"])
        self.assertEqual(stats[0]["counts"], [0, 0, 1, 0, 0])

    def test_evidence_names_follow_attachment_access(self):
        """An evidence file attached to a problem Bob may not read is not
        listed to Bob; the manager sees it."""
        foreign = self.p1.evidence_attachment_ids[:1]
        self.p4.write({"evidence_attachment_ids": [Command.link(foreign.id)]})
        own = "quality-kpr_spec2-1.jpg, quality-kpr_spec2-2.jpg, quality-kpr_spec2-3.jpg"
        (bob_row,) = self._problem_rows(self.spec2)
        self.assertEqual(bob_row["evidence_files"], own)
        manager_row = next(row for row in self._problem_rows(self.manager) if row["name"] == self.p4.name)
        self.assertEqual(manager_row["evidence_files"], f"{foreign.name}, {own}")

    def test_problem_statistics_rows(self):
        Report = self.env["kf.kpi.problem.report"].with_user(self.manager)
        self.assertEqual(
            [label for _key, label in Report.problem_types()],
            ["Overdue delivery", "Complaint", "Quality", "Acceptance", "Warranty"],
        )
        rows = [
            (row["employee"], row["project"], row["counts"], row["total"], row["evidence"], row["is_total"])
            for row in Report.xlsx_statistics_rows(OCTOBER)
        ]
        self.assertEqual(
            rows,
            [
                ("Alice Specialist", "Aurora HVAC", [1, 1, 0, 0, 0], 2, 3, False),
                ("Alice Specialist", "Binhai Boilers", [1, 0, 0, 0, 0], 1, 1, False),
                ("Bob Specialist", "Aurora HVAC", [0, 0, 1, 0, 0], 1, 3, False),
                ("Total", None, [2, 1, 1, 0, 0], 4, 7, True),
            ],
        )
        self.assertFalse(list(Report.xlsx_statistics_rows(date(2026, 8, 1))), "no problem, no total row")

    # --------------------------------------------------------- satisfaction
    def _satisfaction_rows(self, user, groupby):
        Report = self.env["kf.kpi.satisfaction.report"].with_user(user)
        return [
            (row["label"], row["responses"], row["visits"], row["surveys"], row["average_score"], row["is_total"])
            for row in Report.xlsx_rows(OCTOBER, groupby=groupby)
        ]

    def test_satisfaction_rows(self):
        self.assertEqual(
            self._satisfaction_rows(self.manager, "partner_id"),
            [
                ("Aurora Plaza", 3, 3, 0, 3.0, False),
                ("Binhai Tower", 2, 1, 1, 3.75, False),
                ("Total", 5, 4, 1, 3.3, True),
            ],
        )
        rows = list(self.env["kf.kpi.satisfaction.report"].with_user(self.manager).xlsx_rows(OCTOBER, "user_id"))
        self.assertEqual([row["label"] for row in rows], ["Alice Specialist", "Bob Specialist", "Total"])
        self.assertAlmostEqual(rows[1]["average_pct"], 0.75)
        self.assertAlmostEqual(rows[2]["average_pct"], 0.66)

    def test_satisfaction_rows_record_rules(self):
        self.assertEqual(
            self._satisfaction_rows(self.spec1, "user_id"),
            [("Alice Specialist", 3, 3, 0, 3.0, False), ("Total", 3, 3, 0, 3.0, True)],
        )

    # ------------------------------------------------------------ appraisal
    def test_satisfaction_kpi_is_the_summary_figure(self):
        """The KPI averages the summary's responses: Bob's survey counts, and
        Alice's visit done on 1 October in Shanghai counts in October."""
        sheets = self.env["kf.kpi.sheet"].compute_month(OCTOBER, self.company)
        # as the company's manager: the summary of this company only
        Report = self.env["kf.kpi.satisfaction.report"].with_user(self.manager)
        summary = {row["label"]: row["average_pct"] * 100 for row in Report.xlsx_rows(OCTOBER, groupby="user_id")}
        for who, sheet in (
            ("Alice Specialist", sheets.filtered(lambda s: s.user_id == self.spec1)),
            ("Bob Specialist", sheets.filtered(lambda s: s.user_id == self.spec2)),
            ("Total", sheets.filtered(lambda s: s.scope == "department")),
        ):
            line = sheet.line_ids.filtered(lambda line: line.definition_id.method == "satisfaction")
            self.assertTrue(line.has_data, who)
            self.assertAlmostEqual(line.actual, summary[who], places=2, msg=who)
        self.assertEqual(
            {who: round(pct, 6) for who, pct in summary.items()},
            {"Alice Specialist": 60.0, "Bob Specialist": 75.0, "Total": 66.0},
        )
        bob = sheets.filtered(lambda s: s.user_id == self.spec2).line_ids
        action = bob.filtered(lambda line: line.definition_id.method == "satisfaction").action_open_records()
        responses = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual((responses.visit_id, responses.ticket_id), (self.v3, self.ticket))

    def test_appraisal_rows(self):
        self.env["kf.kpi.sheet"].compute_month(OCTOBER, self.company)
        Sheet = self.env["kf.kpi.sheet"].with_user(self.manager)
        summary = list(Sheet.xlsx_rows(OCTOBER))
        self.assertEqual(
            [(row["appraised"], row["scope"], row["state"]) for row in summary],
            [
                ("Customer Service Department", "Department", "To Approve"),
                ("Alice Specialist", "Employee", "To Approve"),
                ("Bob Specialist", "Employee", "To Approve"),
                ("Report Manager", "Employee", "To Approve"),
            ],
        )
        lines = list(self.env["kf.kpi.sheet.line"].with_user(self.manager).xlsx_rows(OCTOBER))
        appraised = [row["appraised"] for row in lines]
        self.assertEqual(list(dict.fromkeys(appraised)), [row["appraised"] for row in summary], "in sheet order")
        alice_sat = next(row for row in lines if row["appraised"] == "Alice Specialist" and row["code"] == "KF-SAT")
        self.assertEqual(
            {key: alice_sat[key] for key in ("date_from", "kpi", "family", "unit", "unit_key", "met")},
            {
                "date_from": OCTOBER,
                "kpi": "Customer satisfaction",
                "family": "Customer",
                "unit": "%",
                "unit_key": "percent",
                "met": "No",
            },
        )
        self.assertAlmostEqual(alice_sat["target"], 0.9, msg="percentages as fractions")
        self.assertAlmostEqual(alice_sat["actual"], 0.6)
        # batches of one sheet give the same rows
        self.assertEqual(list(self.env["kf.kpi.sheet.line"].with_user(self.manager).xlsx_rows(OCTOBER, 20)), lines)

    def test_appraisal_rows_record_rules(self):
        self.env["kf.kpi.sheet"].compute_month(OCTOBER, self.company)
        Sheet = self.env["kf.kpi.sheet"].with_user(self.spec1)
        mine = ["Customer Service Department", "Alice Specialist"]
        self.assertEqual([row["appraised"] for row in Sheet.xlsx_rows(OCTOBER)], mine)
        lines = self.env["kf.kpi.sheet.line"].with_user(self.spec1).xlsx_rows(OCTOBER)
        self.assertEqual(list(dict.fromkeys(row["appraised"] for row in lines)), mine)
