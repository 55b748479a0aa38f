import re
from datetime import date

from odoo.tests import HttpCase, tagged

from .test_maintenance_plan import KfPlanCommon


@tagged("post_install", "-at_install")
class TestEquipmentQrPage(HttpCase, KfPlanCommon):
    def _url(self, equipment=None, token=None):
        equipment = equipment or self.controller
        return f"/kf/equipment/{equipment.id}/{token or equipment.access_token}"

    def _post_report(self, url, description="The panel beeps and shows a loop fault", phone="13800138000"):
        page = self.url_open(self._url())
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open(
            f"{url}/report",
            data={"csrf_token": csrf, "description": description, "phone": phone},
            allow_redirects=False,
        )

    def test_page_with_token(self):
        response = self.url_open(self._url())
        self.assertEqual(response.status_code, 200)
        self.assertIn("Alarm controller A", response.text)
        self.assertNotIn("Fire pump 1", response.text, "nothing of other equipment")

    def test_wrong_or_regenerated_token_refused(self):
        self.assertEqual(self.url_open(self._url(token="guessed-token-000")).status_code, 404)
        # the token of another equipment does not open this one
        self.assertEqual(self.url_open(self._url(self.controller, self.pump.access_token)).status_code, 404)
        old = self.controller.access_token
        self.controller.action_regenerate_token()
        self.assertNotEqual(self.controller.access_token, old)
        self.assertEqual(self.url_open(self._url(token=old)).status_code, 404)
        self.assertEqual(self.url_open(self._url()).status_code, 200)

    def test_anonymous_report_creates_flagged_ticket_rate_limited(self):
        url = self._url()
        for _i in range(3):
            response = self._post_report(url)
            self.assertEqual(response.status_code, 303)
        tickets = self.env["kf.ticket"].search([("equipment_id", "=", self.controller.id)])
        self.assertEqual(len(tickets), 3)
        self.assertTrue(all(tickets.mapped("kf_to_confirm")))
        self.assertEqual(tickets[0].partner_id, self.customer)
        self.assertEqual(tickets[0].ticket_type, "repair")
        response = self._post_report(url)
        self.assertEqual(response.status_code, 200, "the fourth report in an hour is refused")
        self.assertEqual(self.env["kf.ticket"].search_count([("equipment_id", "=", self.controller.id)]), 3)
        # bad input: nothing created
        self._post_report(url, phone="abc")
        self.assertEqual(self.env["kf.ticket"].search_count([("equipment_id", "=", self.controller.id)]), 3)
        self.assertEqual(self._post_report(url.replace(self.controller.access_token, "wrong")).status_code, 404)

    def test_open_tickets_listed(self):
        ticket = self._create_ticket(equipment_id=self.controller.id, ticket_type="repair")
        self.assertFalse(ticket.is_closed)
        self.assertIn(ticket.name, self.url_open(self._url()).text)
        self.assertEqual(self.controller.warranty_end, date(2027, 6, 30))
