import re

from odoo.tests import HttpCase, new_test_user, tagged

from .test_onsite import PNG, KfOnsiteCommon


@tagged("post_install", "-at_install")
class TestMobilePages(HttpCase, KfOnsiteCommon):
    def _csrf(self, url):
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        return re.search(r'csrf_token: "([^"]+)"', page.text).group(1)

    def test_orders_page_for_the_engineer(self):
        self.authenticate("dsp_executor", "dsp_executor")
        response = self.url_open("/kf/m/orders")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.order.name, response.text)
        self.assertIn('name="viewport"', response.text)
        page = self.url_open(f"/kf/m/order/{self.order.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(f"/kf/m/order/{self.order.id}/checkin", page.text)
        self.assertIn(f"/kf/m/order/{self.order.id}/feedback", page.text)
        self.assertIn("Loop 1", page.text)

    def test_other_engineer_and_portal_refused(self):
        self.authenticate("dsp_engineer2", "dsp_engineer2")
        self.assertEqual(self.url_open(f"/kf/m/order/{self.order.id}").status_code, 404)
        self.assertNotIn(self.order.name, self.url_open("/kf/m/orders").text)
        csrf = self._csrf("/kf/m/orders")
        response = self.url_open(
            f"/kf/m/order/{self.order.id}/checkin", data={"csrf_token": csrf}, allow_redirects=False
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.order.checkin_ids)
        new_test_user(self.env, "dsp_portal", groups="base.group_portal", company_id=self.company.id)
        self.authenticate("dsp_portal", "dsp_portal")
        self.assertEqual(self.url_open("/kf/m/orders").status_code, 403)
        self.assertEqual(self.url_open(f"/kf/m/order/{self.order.id}").status_code, 403)

    def test_check_in_out_and_photo_over_http(self):
        self.authenticate("dsp_executor", "dsp_executor")
        url = f"/kf/m/order/{self.order.id}"
        csrf = self._csrf(url)
        response = self.url_open(
            f"{url}/checkin",
            data={"csrf_token": csrf, "latitude": "31.2304", "longitude": "121.4737"},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        checkin = self.order.checkin_ids
        self.assertEqual(len(checkin), 1)
        self.assertAlmostEqual(checkin.longitude, 121.4737, places=4)
        # a second check-in is refused with the model's message on the page
        response = self.url_open(f"{url}/checkin", data={"csrf_token": csrf})
        self.assertIn("still checked in", response.text)
        self.assertEqual(len(self.order.checkin_ids), 1)
        # photos: an oversized one is refused, a small one is attached
        big = PNG + b"0" * (10 * 1024 * 1024)
        response = self.url_open(
            f"{url}/photo", data={"csrf_token": csrf}, files={"photo": ("big.png", big, "image/png")}
        )
        self.assertIn("too large", response.text)
        self.assertFalse(self.order.kf_photo_ids)
        response = self.url_open(
            f"{url}/photo", data={"csrf_token": csrf}, files={"photo": ("site.png", PNG, "image/png")}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.order.kf_photo_ids), 1)
        response = self.url_open(f"{url}/checkout", data={"csrf_token": csrf, "note": "Done"}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(checkin.check_out)
