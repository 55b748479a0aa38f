import io

import openpyxl

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSpareStatementXlsx(HttpCase):
    def test_xlsx_export_as_the_clerk(self):
        company = self.env.ref("base.main_company")
        user_vals = {"company_id": company.id, "company_ids": [Command.set([company.id])]}
        new_test_user(self.env, "sp_xlsx_keeper", groups="kf_spare_parts.group_kf_spare_keeper", **user_vals)
        new_test_user(self.env, "sp_xlsx_specialist", groups="kf_customer_service.group_kf_specialist", **user_vals)
        self.authenticate("sp_xlsx_keeper", "sp_xlsx_keeper")
        response = self.url_open(f"/kf_spare_parts/xlsx/statement?month=2026-03&company_id={company.id}")
        self.assertEqual(response.status_code, 200)
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        self.assertEqual(sheet.title, "2026-03")
        self.assertEqual(sheet.cell(row=3, column=3).value, "Opening")
        self.assertEqual(self.url_open("/kf_spare_parts/xlsx/statement?month=2026-13").status_code, 400)
        # a specialist is refused the statement
        self.authenticate("sp_xlsx_specialist", "sp_xlsx_specialist")
        response = self.url_open("/kf_spare_parts/xlsx/statement?month=2026-03")
        self.assertNotEqual(response.status_code, 200)
