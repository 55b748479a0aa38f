from contextlib import contextmanager
from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import KfDispatchCommon

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


class KfServiceCommon(KfDispatchCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_engineer = new_test_user(
            cls.env,
            "dsp_other_engineer",
            groups="base.group_user",
            name="Other Engineer",
            company_id=cls.company.id,
            company_ids=[Command.set([cls.company.id])],
        )
        cls.team.member_ids = [Command.link(cls.other_engineer.id)]
        cls.price = cls.env["kf.service.price"].create(
            {"name": "Loop card", "list_price": 1200.0, "floor_price": 950.0, "company_id": cls.company.id}
        )
        cls.equipment = cls.env["kf.equipment"].create(
            {
                "name": "Fire alarm panel A",
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "category_id": cls.env.ref("kf_dispatch.kf_equipment_category_controller").id,
            }
        )

    @contextmanager
    def _assert_raises(self, exception, regex):
        """assertRaises (rolled back to a savepoint) and its message."""
        with self.assertRaises(exception) as cm:
            yield cm
        self.assertRegex(str(cm.exception), regex)

    @classmethod
    def _repair_order(cls, **vals):
        values = {"kf_order_type": "repair", "equipment_id": cls.equipment.id, "kf_fault_category": "communication"}
        return cls._create_order(**{**values, **vals})

    def _quote(self, order, price_unit=1200.0):
        order.with_user(self.specialist).write(
            {
                "kf_fault_cause": "Loop card shorted by damp",
                "kf_repair_plan": "Replace the loop card",
                "kf_quote_line_ids": [Command.create({"price_id": self.price.id, "price_unit": price_unit})],
            }
        )

    def _consented_order(self):
        order = self._repair_order()
        self._quote(order)
        order.action_dispatch()
        order.with_user(self.specialist).action_kf_quote_submit()
        order.with_user(self.manager).action_kf_quote_approve()
        order.with_user(self.executor).kf_quote_consent("Zhang Wei", PNG_B64)
        return order

    def _done_order(self):
        order = self._consented_order()
        order.with_user(self.executor).action_start()
        order.with_user(self.executor).completion_note = "Loop card replaced"
        order.with_user(self.executor).action_done()
        return order


@tagged("post_install", "-at_install")
class TestRepairQuote(KfServiceCommon):
    def test_quote_line_below_floor_refused(self):
        order = self._repair_order()
        self.assertFalse(self.specialist.has_group("kf_customer_service.group_kf_manager"))
        self.assertTrue(order.with_user(self.specialist).has_access("write"))
        with self._assert_raises(ValidationError, "below the floor price"):
            self.env["kf.repair.quote.line"].with_user(self.specialist).create(
                {"order_id": order.id, "price_id": self.price.id, "price_unit": 900.0}
            )
        line = (
            self.env["kf.repair.quote.line"]
            .with_user(self.specialist)
            .create({"order_id": order.id, "price_id": self.price.id, "price_unit": 950.0})
        )
        order.invalidate_recordset()
        self.assertEqual(order.kf_quote_line_ids, line)
        with self._assert_raises(ValidationError, "below the floor price"):
            line.with_user(self.specialist).write({"price_unit": 10.0})

    def test_repair_does_not_start_without_consent(self):
        order = self._repair_order()
        self._quote(order)
        order.action_dispatch()
        self.assertEqual(order.user_id, self.executor)
        with self._assert_raises(ValidationError, "consented"):
            order.with_user(self.executor).write({"state": "in_progress"})
        order.invalidate_recordset()
        self.assertEqual(order.state, "dispatched")
        with self._assert_raises(ValidationError, "consented"):
            order.with_user(self.executor).action_start()
        order.invalidate_recordset()
        with self.assertRaises(AccessError):
            order.with_user(self.executor).write({"kf_quote_state": "consented"})
        order.with_user(self.specialist).action_kf_quote_submit()
        with self.assertRaises(AccessError):
            order.with_user(self.specialist).action_kf_quote_approve()
        with self._assert_raises(UserError, "not approved"):
            order.with_user(self.executor).kf_quote_consent("Zhang Wei", PNG_B64)
        order.with_user(self.manager).action_kf_quote_approve()
        with self.assertRaises(AccessError):
            order.with_user(self.other_engineer).kf_quote_consent("Zhang Wei", PNG_B64)
        with self._assert_raises(UserError, "name and signature"):
            order.with_user(self.executor).kf_quote_consent("", PNG_B64)
        order.with_user(self.executor).kf_quote_consent("Zhang Wei", PNG_B64)
        self.assertEqual(order.kf_quote_state, "consented")
        order.with_user(self.executor).write({"state": "in_progress"})
        self.assertEqual(order.state, "in_progress")

    def test_submitted_quote_is_locked(self):
        order = self._repair_order()
        self._quote(order)
        order.with_user(self.specialist).action_kf_quote_submit()
        with self._assert_raises(UserError, "cannot be changed"):
            order.with_user(self.specialist).write({"kf_fault_cause": "Something else"})
        with self._assert_raises(UserError, "cannot be changed"):
            order.kf_quote_line_ids.with_user(self.specialist).write({"quantity": 2})
        with self._assert_raises(UserError, "cannot be changed"):
            order.with_user(self.manager).write({"kf_repair_plan": "Other plan"})
        order.with_user(self.specialist).action_kf_quote_reset()
        order.with_user(self.specialist).write({"kf_fault_cause": "Water ingress"})
        self.assertEqual(order.kf_quote_state, "draft")

    def test_incomplete_quote_not_submitted(self):
        order = self._repair_order()
        with self._assert_raises(UserError, "incomplete"):
            order.with_user(self.specialist).action_kf_quote_submit()

    @freeze_time("2026-03-20 10:00:00")
    def test_rework_within_three_months(self):
        first = self._done_order()
        self.assertEqual(first.user_id, self.executor)
        self.assertFalse(first.kf_is_rework)
        second = self._repair_order(user_id=self.other_engineer.id)
        self.assertTrue(second.kf_is_rework)
        self.assertEqual(second.kf_rework_origin_id, first)
        self.assertEqual(second.kf_rework_technician_id, self.executor)
        problem = second.kf_rework_problem_id
        self.assertEqual((problem.problem_type, problem.user_id), ("quality", self.executor))
        # free of charge: a line below the floor is accepted and the total is zero
        self._quote(second, price_unit=0.0)
        self.assertEqual(second.kf_quote_amount, 0.0)
        with self.assertRaises(AccessError):
            second.with_user(self.specialist).action_kf_rework_product_defect("Batch defect")
        with self.assertRaises(AccessError):
            second.with_user(self.specialist).write({"kf_is_rework": False})
        second.with_user(self.manager).action_kf_rework_product_defect("Batch defect of the loop cards")
        self.assertTrue(second.kf_rework_product_defect)
        self.assertEqual(problem.state, "voided")

    def test_other_fault_is_not_rework(self):
        self._done_order()
        other = self._repair_order(kf_fault_category="power")
        self.assertFalse(other.kf_is_rework)


@tagged("post_install", "-at_install")
class TestServiceFeedback(KfServiceCommon):
    def _form(self, order, **vals):
        values = {
            "order_id": order.id,
            "service_type": "repair",
            "date_arrival": datetime(2026, 3, 13, 9, 0),
            "date_leave": datetime(2026, 3, 13, 11, 0),
            "work_done": "Loop card replaced",
            "result": "Fault cleared",
        }
        values.update(vals)
        return self.env["kf.service.feedback"].with_user(self.executor).create(values)

    def test_done_order_gets_a_draft_form(self):
        order = self._done_order()
        form = order.kf_feedback_ids
        self.assertEqual(len(form), 1)
        self.assertEqual((form.state, form.user_id, form.service_type), ("draft", self.executor, "repair"))

    def test_due_next_working_day_0830_local(self):
        order = self._create_order()
        self.calendar.tz = "Asia/Shanghai"
        # Friday 17:00 in Shanghai -> Monday 08:30 Shanghai (00:30 UTC)
        form = self._form(order, date_arrival=datetime(2026, 3, 13, 7, 0), date_leave=datetime(2026, 3, 13, 9, 0))
        self.assertEqual(form.date_due, datetime(2026, 3, 16, 0, 30))
        # Friday 6 March: Monday 9 is a public holiday -> Tuesday 10 March
        form.write({"date_arrival": datetime(2026, 3, 6, 1, 0), "date_leave": datetime(2026, 3, 6, 3, 0)})
        self.assertEqual(form.date_due, datetime(2026, 3, 10, 0, 30))

    def test_form_for_order_not_assigned_refused(self):
        order = self._create_order()
        self.assertNotEqual(order.user_id, self.other_engineer)
        self.assertTrue(order.with_user(self.other_engineer).has_access("read"))
        with self._assert_raises(AccessError, "not assigned to you"):
            self.env["kf.service.feedback"].with_user(self.other_engineer).create({"order_id": order.id})
        with self._assert_raises(AccessError, "not assigned to you"):
            self.env["kf.service.feedback"].with_user(self.specialist).create({"order_id": order.id})

    def test_signature_on_empty_form_refused(self):
        order = self._create_order()
        form = self.env["kf.service.feedback"].with_user(self.executor).create({"order_id": order.id})
        with self._assert_raises(UserError, "Fill in the feedback form"):
            form.with_user(self.executor).kf_sign("Zhang Wei", PNG_B64)
        self.assertEqual(form.state, "draft")

    def test_signed_form_locked_and_corrected_by_new_version(self):
        order = self._create_order()
        form = self._form(order)
        with self.assertRaises(AccessError):
            form.with_user(self.executor).write({"state": "signed"})
        form.with_user(self.executor).kf_sign("Zhang Wei", PNG_B64)
        self.assertEqual(form.state, "signed")
        for user in (self.executor, self.manager):
            with self._assert_raises(UserError, "locked"):
                form.with_user(user).write({"result": "Changed after signature"})
        form.sudo().write({"late_listed": True})  # the system may
        action = form.with_user(self.executor).action_new_version()
        new = self.env["kf.service.feedback"].browse(action["res_id"])
        self.assertEqual((new.version, new.previous_id, new.state), (2, form, "draft"))
        self.assertEqual(form.next_version_id, new)
        self.assertFalse(new.customer_signature)
        new.with_user(self.executor).write({"result": "Fault cleared, loop retested"})
        self.assertEqual(form.result, "Fault cleared")
        with self._assert_raises(UserError, "latest signed version"):
            form.with_user(self.executor).action_new_version()
        new.with_user(self.executor).kf_sign("Zhang Wei", PNG_B64)
        self.assertEqual(new.state, "signed")

    def test_review_then_same_day_callback(self):
        order = self._create_order()
        form = self._form(order)
        form.with_user(self.executor).kf_sign("Zhang Wei", PNG_B64)
        Callback = self.env["kf.service.callback"].with_user(self.clerk)
        with self._assert_raises(UserError, "reviewed"):
            Callback.create({"feedback_id": form.id, "outcome": "reached"})
        with self.assertRaises(AccessError):
            form.with_user(self.specialist).action_review()
        with freeze_time("2026-03-16 02:00:00"):
            form.with_user(self.manager).action_review()
        self.assertEqual(form.state, "reviewed")
        activity = form.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("kf_dispatch.mail_activity_type_kf_feedback_callback")
        )
        self.assertEqual(len(activity), 1)
        self.assertFalse(self.clerk.has_group("kf_customer_service.group_kf_specialist"))
        with self.assertRaises(AccessError):
            Callback.create({"feedback_id": form.id, "outcome": "reached", "date": datetime(2026, 3, 16, 3, 0)})
        with freeze_time("2026-03-16 05:00:00"):
            on_time = Callback.create({"feedback_id": form.id, "outcome": "confirmed"})
        self.assertEqual(on_time.clerk_id, self.clerk)
        self.assertFalse(on_time.is_late)
        self.assertFalse(form.activity_ids.filtered(lambda a: a.id == activity.id))
        with freeze_time("2026-03-17 05:00:00"):
            late = Callback.create({"feedback_id": form.id, "outcome": "not_satisfied", "note": "Still beeping"})
        self.assertTrue(late.is_late)
        self.assertEqual(late.ticket_id.ticket_type, "complaint")
        self.assertEqual(late.ticket_id.partner_id, self.customer)
        with self.assertRaises(UserError):
            late.with_user(self.clerk).write({"outcome": "confirmed"})

    def test_morning_list_once_per_day(self):
        order = self._create_order()
        missing = self._form(order)
        order_late = self._create_order()
        late = self._form(order_late)
        with freeze_time("2026-03-16 09:00:00"):
            late.with_user(self.executor).kf_sign("Zhang Wei", PNG_B64)
        self.assertFalse(late.is_on_time)
        activity_type = self.env.ref("kf_dispatch.mail_activity_type_kf_feedback_overdue")
        Activity = self.env["mail.activity"]
        domain = [("activity_type_id", "=", activity_type.id), ("user_id", "=", self.manager.id)]
        with freeze_time("2026-03-17 00:45:00"):
            self.env["kf.service.feedback"]._cron_feedback_overdue_scan()
            self.env["kf.service.feedback"]._cron_feedback_overdue_scan()
        activities = Activity.search(domain)
        self.assertEqual(len(activities), 1)
        self.assertIn(missing.name, activities.note)
        self.assertIn(late.name, activities.note)
        self.assertTrue(late.late_listed)
        with freeze_time("2026-03-18 00:45:00"):
            self.env["kf.service.feedback"]._cron_feedback_overdue_scan()
        activities = Activity.search(domain)
        self.assertEqual(len(activities), 2)
        self.assertNotIn(late.name, activities.sorted("id")[-1].note)
