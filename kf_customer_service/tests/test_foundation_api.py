from datetime import date, datetime, timedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import create_test_calendar


@tagged("post_install", "-at_install")
class TestWorkingDays(TransactionCase):
    """resource.calendar / res.company working-day helpers on a calendar
    working Monday to Friday 8-12 and 13-17 (UTC), Monday 9 March 2026 being
    a public holiday."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = create_test_calendar(cls.env)
        cls.company = cls.env["res.company"].create({"name": "KF Calendar Co", "resource_calendar_id": cls.calendar.id})
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": cls.calendar.id,
                "resource_id": False,
                "date_from": datetime(2026, 3, 9, 0, 0),
                "date_to": datetime(2026, 3, 9, 23, 59, 59),
            }
        )
        cls.no_calendar = cls.env["res.company"].create({"name": "KF No Calendar Co"})
        cls.no_calendar.resource_calendar_id = False

    def test_working_dates_skip_weekend_and_holiday(self):
        expected = {date(2026, 3, 6), date(2026, 3, 10)}
        self.assertEqual(self.calendar.kf_working_dates(date(2026, 3, 6), date(2026, 3, 10)), expected)
        self.assertEqual(self.company.kf_working_dates(date(2026, 3, 6), date(2026, 3, 10)), expected)
        self.assertEqual(self.no_calendar.kf_working_dates(date(2026, 3, 6), date(2026, 3, 10)), set())

    def test_plan_working_hours_forward_and_back(self):
        friday = datetime(2026, 3, 6, 15, 0)
        tuesday = datetime(2026, 3, 10, 10, 0)
        self.assertEqual(self.calendar.kf_plan_working_hours(4, friday), tuesday)
        self.assertEqual(self.calendar.kf_plan_working_hours(-4, tuesday), friday)
        self.assertEqual(self.company.kf_plan_working_hours(4, friday), tuesday)
        self.assertEqual(self.company.kf_plan_working_hours(-4, tuesday), friday)
        self.assertEqual(self.no_calendar.kf_plan_working_hours(-4, tuesday), tuesday - timedelta(hours=4))

    def test_add_working_days(self):
        friday = datetime(2026, 3, 6, 10, 0)
        self.assertEqual(self.calendar.kf_add_working_days(1, friday), datetime(2026, 3, 10, 10, 0))
        self.assertEqual(self.calendar.kf_add_working_days(1.5, friday), datetime(2026, 3, 10, 15, 0))
        self.assertEqual(self.company.kf_add_working_days(1, friday), datetime(2026, 3, 10, 10, 0))
        self.assertEqual(self.no_calendar.kf_add_working_days(1, friday), friday + timedelta(days=1))
        self.assertEqual(self.env["res.company"].kf_add_working_days(2, friday), friday + timedelta(days=2))


@tagged("post_install", "-at_install")
class TestBatchActivities(TransactionCase):
    """mail.activity.kf_create_activities"""

    TODO = "mail.mail_activity_data_todo"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.user = new_test_user(cls.env, "kf_act_user", groups="base.group_user", name="Activity User")
        cls.other = new_test_user(cls.env, "kf_act_other", groups="base.group_user", name="Other User")

    def _partners(self, count):
        return self.env["res.partner"].create([{"name": f"Partner {count}-{i}"} for i in range(count)])

    def _queries_to_create(self, count):
        partners = self._partners(count)
        values = {partner.id: (self.user, date(2026, 3, 10), f"Call {partner.name}", False) for partner in partners}
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        activities = self.env["mail.activity"].kf_create_activities(partners, self.TODO, values)
        self.env.flush_all()
        self.assertEqual(len(activities), count)
        return self.env.cr.sql_log_count - before

    def test_queries_do_not_grow_with_activities(self):
        self._queries_to_create(2)  # warm the caches of the first run
        small = self._queries_to_create(3)
        large = self._queries_to_create(30)
        self.assertEqual(large, small, f"{small} queries for 3 activities, {large} for 30")

    def test_values_skipped_entries_and_order(self):
        partners = self._partners(3)
        empty = self.env["res.users"]
        activities = self.env["mail.activity"].kf_create_activities(
            partners,
            self.TODO,
            {
                partners[2].id: (self.other, date(2026, 3, 10), "Third", "<p>Note</p>"),
                partners[0].id: (self.user, False, False, False),
                partners[1].id: (empty, date(2026, 3, 10), "Nobody may read it", False),
            },
        )
        todo = self.env.ref(self.TODO)
        self.assertEqual(activities.mapped("res_id"), [partners[2].id, partners[0].id])
        self.assertEqual([activity.user_id for activity in activities], [self.other, self.user])
        self.assertEqual(activities.mapped("summary"), ["Third", todo.summary])
        self.assertEqual(activities[0].date_deadline, date(2026, 3, 10))
        self.assertEqual(activities[1].date_deadline, fields.Date.context_today(activities))
        self.assertIn("Note", str(activities[0].note))
        self.assertTrue(all(activities.mapped("automated")))
        self.assertEqual(activities.activity_type_id, todo)
        self.assertIn(self.other.partner_id, partners[2].message_partner_ids)
        self.assertFalse(partners[1].activity_ids)

    def test_two_activities_on_one_record(self):
        partner = self._partners(1)
        activities = self.env["mail.activity"].kf_create_activities(
            partner,
            self.TODO,
            [(partner.id, (self.user, False, "First", False)), (partner.id, (self.user, False, "Second", False))],
            automated=False,
        )
        self.assertEqual(activities.mapped("summary"), ["First", "Second"])
        self.assertFalse(any(activities.mapped("automated")))
        followers = partner.message_follower_ids.filtered(lambda f: f.partner_id == self.user.partner_id)
        self.assertEqual(len(followers), 1)

    def test_notify(self):
        partners = self._partners(2)
        Message = self.env["mail.message"]
        domain = [
            ("model", "=", "res.partner"),
            ("res_id", "in", partners.ids),
            ("message_type", "=", "user_notification"),
        ]
        self.env["mail.activity"].kf_create_activities(
            partners[0], self.TODO, {partners[0].id: (self.user, False, "A", False)}
        )
        self.assertFalse(Message.search(domain))
        self.env["mail.activity"].kf_create_activities(
            partners[1], self.TODO, {partners[1].id: (self.user, False, "B", False)}, notify=True
        )
        self.assertEqual(Message.search(domain).partner_ids, self.user.partner_id)


@tagged("post_install", "-at_install")
class TestActivityUsersScale(TransactionCase):
    """res.users.kf_activity_users and mail.activity.kf_create_activities keep
    the same number of queries whatever the number of assignees, and choose
    exactly the users a check user by user would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        cls.company = cls.env["res.company"].create({"name": "KF Scale Co"})
        cls.other_company = cls.env["res.company"].create({"name": "KF Scale Other Co"})
        cls.manager = new_test_user(
            cls.env,
            "kf_scale_mgr",
            groups="kf_customer_service.group_kf_manager",
            company_id=cls.company.id,
            company_ids=[(6, 0, [cls.company.id])],
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Scale Customer", "is_company": True, "company_id": cls.company.id}
        )

    def _specialists(self, count, prefix):
        users = self.env["res.users"]
        for i in range(count):
            # every third one works in the other company only
            company = self.other_company if i % 3 == 2 else self.company
            users |= new_test_user(
                self.env,
                f"kf_scale_{prefix}_{i}",
                groups="kf_customer_service.group_kf_specialist",
                company_id=company.id,
                company_ids=[(6, 0, [company.id])],
            )
        return users

    def _choose(self, count, prefix):
        """Visits of the first company owned by ``count`` specialists, each
        offered to the next specialist (who may not read it) then to its
        owner; returns (queries, choice, expected choice)."""
        users = self._specialists(count, prefix)
        owners = users.filtered(lambda user: self.company in user.company_ids)
        visits = self.env["kf.visit"].create(
            [{"partner_id": self.customer.id, "user_id": owner.id, "company_id": self.company.id} for owner in owners]
        )
        preferred = {visit.id: users[(i + 1) % len(users)] | visit.user_id for i, visit in enumerate(visits)}
        self.env.flush_all()
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        before = self.env.cr.sql_log_count
        chosen = self.env["res.users"].kf_activity_users(visits, preferred)
        queries = self.env.cr.sql_log_count - before
        expected = {}
        for visit in visits:
            expected[visit.id] = self.env["res.users"]
            for user in preferred[visit.id] | self.company.kf_get_manager():
                if (
                    visit.with_user(user)
                    .with_context(allowed_company_ids=user.company_ids.ids)
                    ._filtered_access("read")
                ):
                    expected[visit.id] = user
                    break
        return queries, visits, chosen, expected

    def test_activity_users_queries_do_not_grow_with_users(self):
        small, _visits, chosen, expected = self._choose(3, "s")
        self.assertEqual(chosen, expected)
        large, visits, chosen, expected = self._choose(15, "l")
        self.assertEqual(chosen, expected)
        # precondition: some visits go to their owner, none to a user who
        # cannot read them
        self.assertTrue(any(chosen[visit.id] == visit.user_id for visit in visits))
        self.assertLessEqual(large, small, f"{small} queries for 3 users, {large} for 15")

    def test_create_activities_queries_do_not_grow_with_users(self):
        def queries(count, prefix):
            users = self._specialists(count, prefix)
            partners = self.env["res.partner"].create([{"name": f"Followed {prefix} {i}"} for i in range(count)])
            values = {
                partner.id: (user, date(2026, 3, 10), "Call", False)
                for partner, user in zip(partners, users, strict=True)
            }
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            activities = self.env["mail.activity"].kf_create_activities(
                partners, "mail.mail_activity_data_todo", values
            )
            self.env.flush_all()
            count_queries = self.env.cr.sql_log_count - before
            self.assertEqual(len(activities), count)
            for partner, user in zip(partners, users, strict=True):
                # each user follows the record of their activity, with the default subtypes
                follower = partner.message_follower_ids.filtered(lambda f, u=user: f.partner_id == u.partner_id)
                self.assertTrue(follower)
                self.assertTrue(follower.subtype_ids)
            return count_queries

        queries(2, "warm")
        small = queries(3, "cs")
        large = queries(15, "cl")
        self.assertEqual(large, small, f"{small} queries for 3 users, {large} for 15")
