from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import create_test_calendar

CHINA_CALENDAR = "kf_customer_service.resource_calendar_china"


@tagged("post_install", "-at_install")
class TestWorkingCalendar(TransactionCase):
    """The China working calendar (public holidays and make-up working days)
    and the working-day API built on it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.china = cls.env.ref(CHINA_CALENDAR)
        cls.company = cls.env["res.company"].create({"name": "KF Calendar Co A"})
        cls.company_b = cls.env["res.company"].create({"name": "KF Calendar Co B"})
        cls.calendar = cls.company.resource_calendar_id
        cls.manager = new_test_user(
            cls.env,
            "kf_cal_manager",
            groups="kf_customer_service.group_kf_manager",
            company_id=cls.company.id,
            company_ids=[Command.set([cls.company.id])],
        )
        cls.specialist = new_test_user(
            cls.env,
            "kf_cal_specialist",
            groups="kf_customer_service.group_kf_specialist",
            company_id=cls.company.id,
            company_ids=[Command.set([cls.company.id])],
        )

    def test_new_company_gets_a_copy_of_the_china_calendar(self):
        calendar = self.calendar
        self.assertNotEqual(calendar, self.china)
        self.assertEqual(calendar.name, self.china.name)
        self.assertEqual(calendar.tz, "Asia/Shanghai")
        self.assertEqual(calendar.company_id, self.company)
        self.assertEqual(calendar.hours_per_day, 8.0)
        self.assertEqual(
            sorted(calendar.kf_workday_ids.mapped("date")), sorted(self.china.kf_workday_ids.mapped("date"))
        )
        self.assertEqual(len(calendar.global_leave_ids), len(self.china.global_leave_ids))
        self.assertNotEqual(self.company_b.resource_calendar_id, calendar, "one calendar per company")

    def test_china_2026_holidays_and_make_up_days(self):
        dates = self.calendar.kf_working_dates(date(2026, 2, 9), date(2026, 3, 1))
        self.assertIn(date(2026, 2, 13), dates)
        self.assertIn(date(2026, 2, 14), dates, "Saturday 14 February is a make-up working day")
        self.assertIn(date(2026, 2, 28), dates, "Saturday 28 February is a make-up working day")
        for day in range(16, 24):
            self.assertNotIn(date(2026, 2, day), dates, "Spring Festival")
        self.assertNotIn(date(2026, 2, 21), dates)
        self.assertIn(date(2026, 2, 24), dates)
        self.assertNotIn(date(2026, 3, 1), dates, "an ordinary Sunday")
        # National Day: 1-7 October off, Sunday 20 September and Saturday 10 October worked
        october = self.calendar.kf_working_dates(date(2026, 9, 19), date(2026, 10, 11))
        self.assertIn(date(2026, 9, 20), october)
        self.assertIn(date(2026, 10, 10), october)
        self.assertFalse({date(2026, 10, day) for day in range(1, 8)} & october)

    def test_add_working_days_counts_make_up_saturday(self):
        # Friday 13 February 2026 10:00 in Shanghai (02:00 UTC): 6.5 hours left
        # on Friday, 1.5 on the make-up Saturday from 08:30 -> Saturday 10:00
        friday = datetime(2026, 2, 13, 2, 0)
        self.assertEqual(self.calendar.kf_add_working_days(1, friday), datetime(2026, 2, 14, 2, 0))
        self.assertEqual(self.company.kf_add_working_days(1, friday), datetime(2026, 2, 14, 2, 0))
        # without the make-up day, the next working day is after the Spring Festival
        self.calendar.kf_workday_ids.filtered(lambda w: w.date == date(2026, 2, 14)).active = False
        self.assertEqual(self.calendar.kf_add_working_days(1, friday), datetime(2026, 2, 24, 2, 0))

    def test_month_working_days_and_backward_planning(self):
        # February 2026: 20 weekdays, 6 of them in the Spring Festival, 2
        # make-up Saturdays -> 16 working days (the KPI's daily-report count)
        self.assertEqual(len(self.company.kf_working_dates(date(2026, 2, 1), date(2026, 2, 28))), 16)
        # two working hours before Saturday 14 February 10:00 (Shanghai): 1.5
        # hours on the make-up Saturday, then Friday 17:00 (09:00 UTC)
        self.assertEqual(
            self.company.kf_plan_working_hours(-2, datetime(2026, 2, 14, 2, 0)), datetime(2026, 2, 13, 9, 0)
        )

    def test_batch_planning_equals_one_by_one(self):
        starts = [datetime(2026, 2, 13, 2, 0), datetime(2026, 9, 30, 8, 0), datetime(2026, 1, 2, 1, 0)]
        requests = [(days, start) for start in starts for days in (0.5, 1, 3)]
        batch = self.calendar.kf_add_working_days_batch(requests)
        single = [self.calendar.kf_add_working_days(days, start) for days, start in requests]
        self.assertEqual(batch, single)
        self.assertEqual(self.company.kf_add_working_days_batch(requests), single)

    def test_calendar_without_working_hours_is_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self.env["resource.calendar"].create({"name": "Empty", "attendance_ids": [Command.clear()]})
        self.assertIn("no working hours", str(caught.exception))
        calendar = create_test_calendar(self.env, "KF to empty")
        with self.assertRaises(ValidationError):
            calendar.attendance_ids = [Command.clear()]
        with self.assertRaises(ValidationError):
            calendar.attendance_ids.unlink()
        self.assertEqual(len(calendar.attendance_ids), 10, "nothing lost")

    def test_holidays_removing_every_working_day_are_refused(self):
        calendar = create_test_calendar(self.env, "KF holidays")
        Leave = self.env["resource.calendar.leaves"]
        before = Leave.search_count([("calendar_id", "=", calendar.id)])
        with self.assertRaises(ValidationError) as caught:
            Leave.create(
                {
                    "name": "Whole year off",
                    "calendar_id": calendar.id,
                    "date_from": datetime(2026, 1, 1),
                    "date_to": datetime(2026, 12, 31, 23, 59),
                }
            )
        self.assertIn("without a single working day", str(caught.exception))
        self.assertEqual(Leave.search_count([("calendar_id", "=", calendar.id)]), before)
        # a normal holiday week is fine
        Leave.create(
            {
                "name": "Holiday week",
                "calendar_id": calendar.id,
                "date_from": datetime(2026, 10, 1),
                "date_to": datetime(2026, 10, 7, 23, 59),
            }
        )

    def test_make_up_day_needs_hours_of_its_weekday(self):
        with self.assertRaises(ValidationError):
            self.env["kf.calendar.workday"].create(
                {"name": "Bad", "date": date(2026, 3, 8), "calendar_id": self.calendar.id, "dayofweek": "6"}
            )

    def test_only_managers_edit_holidays_and_make_up_days(self):
        self.assertFalse(self.specialist.has_group("kf_customer_service.group_kf_manager"))
        holiday = {
            "name": "Company day",
            "calendar_id": self.calendar.id,
            "date_from": datetime(2026, 3, 16, 0, 0),
            "date_to": datetime(2026, 3, 16, 15, 59),
        }
        workday = {"name": "Make-up", "date": date(2026, 3, 21), "calendar_id": self.calendar.id}
        with self.assertRaises(AccessError):
            self.env["resource.calendar.leaves"].with_user(self.specialist).create(holiday)
        with self.assertRaises(AccessError):
            self.env["kf.calendar.workday"].with_user(self.specialist).create(workday)
        existing = self.calendar.kf_workday_ids[:1]
        with self.assertRaises(AccessError):
            existing.with_user(self.specialist).write({"date": date(2026, 3, 22)})
        self.env["resource.calendar.leaves"].with_user(self.manager).create(holiday)
        made = self.env["kf.calendar.workday"].with_user(self.manager).create(workday)
        self.assertIn(date(2026, 3, 21), self.calendar.kf_working_dates(date(2026, 3, 16), date(2026, 3, 22)))
        self.assertNotIn(date(2026, 3, 16), self.calendar.kf_working_dates(date(2026, 3, 16), date(2026, 3, 22)))
        # company B's make-up days are invisible to company A's manager
        other = self.company_b.resource_calendar_id.kf_workday_ids
        self.assertTrue(other)
        visible = self.env["kf.calendar.workday"].with_user(self.manager).search([])
        self.assertIn(made, visible)
        self.assertFalse(visible & other)
