from datetime import date

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.kf_dispatch.tests.common import KfDispatchCommon


class KfPayCommon(KfDispatchCommon):
    """kf_dispatch's fixtures (company, manager, specialist, clerk, executor,
    customer, project) plus a director and a second specialist; the shipped
    pay rules (valid from 1 March 2025, shared by every company) apply."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        user_vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        cls.director = new_test_user(
            cls.env, "pay_director", groups="kf_customer_service.group_kf_director", name="Pay Director", **user_vals
        )
        cls.specialist2 = new_test_user(
            cls.env,
            "pay_specialist2",
            groups="kf_customer_service.group_kf_specialist",
            name="Second Specialist",
            **user_vals,
        )
        cls.Statement = cls.env["kf.pay.statement"].with_company(cls.company)
        cls.Rule = cls.env["kf.pay.rule"]

    @classmethod
    def _compute(cls, month, company=None):
        """The month's statements by user: {user: statement}."""
        statements = cls.Statement.sudo().compute_month(month, company or cls.company)
        return {s.user_id: s for s in statements}

    @staticmethod
    def _lines(statement, category=None):
        lines = statement.line_ids
        return lines.filtered(lambda line: line.category == category) if category else lines

    @staticmethod
    def month(year, month):
        return date(year, month, 1)
