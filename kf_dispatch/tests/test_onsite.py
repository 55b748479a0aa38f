import base64
from datetime import timedelta

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import KfDispatchCommon

# a 1x1 transparent PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


class KfOnsiteCommon(KfDispatchCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        user_vals = {"company_id": cls.company.id, "company_ids": [Command.set([cls.company.id])]}
        # a second engineer of the same team: reads the team's orders, acts on none
        cls.other_engineer = new_test_user(
            cls.env, "dsp_engineer2", groups="base.group_user", name="Second Engineer", **user_vals
        )
        cls.team.member_ids = [Command.link(cls.other_engineer.id)]
        cls.order = cls._create_order(date_planned_start=fields.Datetime.now() - timedelta(hours=1))
        cls.order.with_user(cls.manager).action_dispatch()
        cls.order.check_ids = [
            Command.create({"name": "Loop 1", "point_count": 10}),
            Command.create({"name": "Loop 2", "point_count": 5}),
        ]

    @property
    def Checkin(self):
        return self.env["kf.dispatch.order.checkin"]

    def _as(self, user, record=None):
        return (record or self.order).with_user(user)


@tagged("post_install", "-at_install")
class TestCheckin(KfOnsiteCommon):
    def test_precondition_lowest_privilege(self):
        self.assertEqual(self.order.user_id, self.executor)
        self.assertFalse(self.executor.has_group("kf_customer_service.group_kf_clerk"))
        self.assertTrue(self.order.with_user(self.other_engineer).has_access("read"), "team members read it")

    def test_check_in_and_out(self):
        checkin = self.Checkin.browse(self._as(self.executor).kf_check_in(31.2304, 121.4737))
        self.assertEqual(checkin.user_id, self.executor)
        self.assertAlmostEqual(checkin.latitude, 31.2304, places=4)
        self.assertEqual(self.order.state, "in_progress", "arriving on site starts the order")
        self.assertTrue(checkin.is_open)
        self._as(self.executor).kf_check_out(note="Replaced the compressor")
        self.assertTrue(checkin.check_out)
        self.assertFalse(checkin.is_open)
        self.assertEqual(checkin.note, "Replaced the compressor")
        with self.assertRaises(UserError):
            self._as(self.executor).kf_check_out()

    def test_check_out_before_check_in_refused(self):
        with self.assertRaisesRegex(UserError, "before checking out"):
            self._as(self.executor).kf_check_out()
        checkin = self.Checkin.browse(self._as(self.executor).kf_check_in())
        with self.assertRaisesRegex(ValidationError, "cannot be before the check-in"):
            checkin.with_user(self.executor).write({"check_out": checkin.check_in - timedelta(hours=1)})
        with self.assertRaises(ValidationError):
            checkin.with_user(self.executor).write({"check_out": fields.Datetime.now() + timedelta(hours=2)})

    def test_second_open_check_in_refused(self):
        other_order = self._create_order(work_content="Second site")
        other_order.with_user(self.manager).action_dispatch()
        self._as(self.executor).kf_check_in()
        with self.assertRaisesRegex(ValidationError, "still checked in"):
            self._as(self.executor, other_order).kf_check_in()
        with self.assertRaisesRegex(ValidationError, "still checked in"):
            self.env["kf.dispatch.order.checkin"].with_user(self.executor).create({"order_id": other_order.id})

    def test_order_not_assigned_refused(self):
        Checkin = self.env["kf.dispatch.order.checkin"].with_user(self.other_engineer)
        with self.assertRaisesRegex(ValidationError, "only its engineer checks in"):
            Checkin.create({"order_id": self.order.id})
        with self.assertRaises(AccessError):
            Checkin.create({"order_id": self.order.id, "user_id": self.executor.id})
        with self.assertRaises(AccessError):
            self._as(self.other_engineer).kf_check_in()
        self.assertFalse(self.env["kf.dispatch.order.checkin"].search_count([("order_id", "=", self.order.id)]))

    def test_other_engineer_cannot_touch_a_check_in(self):
        checkin = self.Checkin.browse(self._as(self.executor).kf_check_in())
        self.assertFalse(
            self.env["kf.dispatch.order.checkin"].with_user(self.other_engineer).search([("id", "=", checkin.id)])
        )
        with self.assertRaises(AccessError):
            checkin.with_user(self.other_engineer).write({"note": "not mine"})
        with self.assertRaises(AccessError):
            checkin.with_user(self.executor).write({"user_id": self.other_engineer.id})
        with self.assertRaises(AccessError):
            checkin.with_user(self.executor).unlink()
        # the clerk reads the register but does not edit it
        self.assertTrue(checkin.with_user(self.clerk).has_access("read"))
        with self.assertRaises(AccessError):
            checkin.with_user(self.clerk).write({"note": "edited"})

    def test_draft_or_closed_order_refused(self):
        draft = self._create_order()
        with self.assertRaisesRegex(UserError, "no check-in"):
            self._as(self.executor, draft).kf_check_in()

    def test_multi_company(self):
        checkin = self.Checkin.browse(self._as(self.executor).kf_check_in())
        company_b = self.env["res.company"].create({"name": "KF Other Company"})
        clerk_b = new_test_user(
            self.env,
            "dsp_clerk_b",
            groups="kf_customer_service.group_kf_manager",
            company_id=company_b.id,
            company_ids=[Command.set([company_b.id])],
        )
        self.assertTrue(clerk_b.has_group("kf_customer_service.group_kf_manager"))
        self.assertFalse(self.env["kf.dispatch.order.checkin"].with_user(clerk_b).search([("id", "=", checkin.id)]))
        self.assertTrue(self.env["kf.dispatch.order.checkin"].with_user(self.clerk).search([("id", "=", checkin.id)]))


@tagged("post_install", "-at_install")
class TestOnsiteWork(KfOnsiteCommon):
    def test_photo_limits(self):
        with self.assertRaisesRegex(UserError, "too large"):
            self._as(self.executor).kf_add_photo("big.png", PNG + b"0" * (10 * 1024 * 1024))
        with self.assertRaisesRegex(UserError, "not a photo"):
            self._as(self.executor).kf_add_photo("notes.pdf", b"%PDF-1.4 fake")
        with self.assertRaises(AccessError):
            self._as(self.other_engineer).kf_add_photo("site.png", PNG)
        attachment = self.env["ir.attachment"].browse(self._as(self.executor).kf_add_photo("site.png", PNG))
        self.assertEqual((attachment.res_model, attachment.res_id), ("kf.dispatch.order", self.order.id))
        self.assertEqual(self.order.kf_photo_ids, attachment)
        self.assertEqual(attachment.mimetype, "image/png")

    def test_checklist_by_assigned_engineer_only(self):
        check = self.order.check_ids[0]
        with self.assertRaises(AccessError):
            check.with_user(self.other_engineer).write({"done": True})
        with self.assertRaises(AccessError):
            self._as(self.other_engineer).kf_set_check(check, True)
        self._as(self.executor).kf_set_check(check, True, result="ok")
        self.assertTrue(check.done)
        self.assertEqual(self.order.check_point_done, 10)

    def test_complete_and_customer_signs_on_site(self):
        order = self._as(self.executor)
        with self.assertRaisesRegex(UserError, "once the work order is done"):
            order.kf_onsite_accept("Zhang Wei", base64.b64encode(PNG))
        with self.assertRaisesRegex(UserError, "Describe the work done"):
            order.kf_complete_onsite("  ")
        order.kf_complete_onsite("Compressor replaced, system tested")
        self.assertEqual(self.order.state, "done")
        with self.assertRaisesRegex(UserError, "name and signature"):
            order.kf_onsite_accept("", base64.b64encode(PNG))
        with self.assertRaisesRegex(UserError, "could not be read"):
            order.kf_onsite_accept("Zhang Wei", base64.b64encode(b"not an image"))
        with self.assertRaises(AccessError):
            self._as(self.other_engineer).kf_onsite_accept("Zhang Wei", base64.b64encode(PNG))
        # the signature is a system field: a plain write is refused
        with self.assertRaises(AccessError):
            order.write({"customer_signature": base64.b64encode(PNG)})
        order.kf_onsite_accept("Zhang Wei", base64.b64encode(PNG))
        self.assertEqual(self.order.state, "closed")
        self.assertEqual(self.order.customer_signed_by, "Zhang Wei")
        self.assertTrue(self.order.certificate_attachment_ids)

    def test_mobile_orders_today(self):
        later = self._create_order(date_planned_start=fields.Datetime.now() + timedelta(days=3))
        later.with_user(self.manager).action_dispatch()
        orders = self.env["kf.dispatch.order"].with_user(self.executor).kf_mobile_orders()
        self.assertIn(self.order, orders)
        self.assertNotIn(later, orders)
        self.assertFalse(self.env["kf.dispatch.order"].with_user(self.other_engineer).kf_mobile_orders())

    def test_service_register_report(self):
        checkin = self.Checkin.browse(self._as(self.executor).kf_check_in())
        self._as(self.executor).kf_check_out(note="All loops tested")
        rows = self.env["kf.dispatch.order.checkin"].with_user(self.clerk).kf_register_rows(checkin.date)
        self.assertEqual(rows, checkin)
        html, _type = (
            self.env["ir.actions.report"]
            .with_user(self.clerk)
            ._render_qweb_pdf("kf_dispatch.report_kf_service_register", rows.ids)
        )
        html = html.decode()
        self.assertIn(self.order.name, html)
        self.assertIn("Field Engineer", html)
        self.assertIn("All loops tested", html)

    def test_my_orders_menu_and_views_for_field_staff(self):
        self.assertFalse(self.executor.has_group("kf_customer_service.group_kf_clerk"))
        menus = self.env["ir.ui.menu"].with_user(self.executor).load_menus(False)
        menu = self.env.ref("kf_dispatch.kf_dispatch_order_menu_my_root")
        self.assertIn(menu.id, menus)
        action = self.env.ref("kf_dispatch.kf_dispatch_order_action_my")
        Order = self.env["kf.dispatch.order"].with_user(self.executor).with_context(uid=self.executor.id)
        views = Order.get_views([(False, "list"), (False, "form")])
        model_fields = views["models"]["kf.dispatch.order"]["fields"]
        # the fields the web client reads: those left in the arch for this user
        names = set()
        for view in views["views"].values():
            names.update(etree.fromstring(view["arch"]).xpath("//field/@name"))
        spec = {
            name: {"fields": {"display_name": {}}} if desc["type"] in ("many2one", "one2many", "many2many") else {}
            for name, desc in model_fields.items()
            if name in names
        }
        self.assertNotIn("problem_count", spec)
        domain = [("user_id", "=", self.executor.id)]
        self.assertIn("uid", action.domain)
        result = Order.web_search_read(domain, spec)
        self.assertEqual([r["id"] for r in result["records"]], [self.order.id])
