from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestWechatGroup(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.owner = new_test_user(cls.env, "hb_w_owner", groups="kf_customer_service.group_kf_specialist")
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Tower Ltd", "is_company": True, "kf_is_customer": True})
        cls.other_company = Partner.create({"name": "Elsewhere Ltd", "is_company": True})
        cls.stays = Partner.create({"name": "Stays", "parent_id": cls.customer.id})
        cls.archived = Partner.create({"name": "Archived", "parent_id": cls.customer.id})
        cls.moved = Partner.create({"name": "Moved", "parent_id": cls.customer.id, "mobile": "13800000000"})
        cls.staff = Partner.create({"name": "Colleague", "parent_id": cls.env.company.partner_id.id})
        cls.group = cls.env["kf.wechat.group"].create(
            {"name": "Tower service group", "partner_id": cls.customer.id, "user_id": cls.owner.id}
        )
        Member = cls.env["kf.wechat.group.member"]
        cls.m_stays, cls.m_archived, cls.m_moved, cls.m_staff, cls.m_free = Member.create(
            [
                {"group_id": cls.group.id, "partner_id": cls.stays.id},
                {"group_id": cls.group.id, "partner_id": cls.archived.id},
                {"group_id": cls.group.id, "partner_id": cls.moved.id},
                {"group_id": cls.group.id, "partner_id": cls.staff.id, "role": "staff"},
                {"group_id": cls.group.id, "name": "Night-shift electrician", "phone": "13700000000", "role": "other"},
            ]
        )
        # A second, clean group of another customer.
        cls.clean_group = cls.env["kf.wechat.group"].create(
            {
                "name": "Clean group",
                "partner_id": cls.other_company.id,
                "user_id": cls.owner.id,
                "member_ids": [(0, 0, {"partner_id": cls.other_company.id})],
            }
        )
        cls.activity_type = cls.env.ref("kf_customer_service.mail_activity_type_kf_wechat_remove")

    def _remove_activities(self, groups):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "kf.wechat.group"),
                ("res_id", "in", groups.ids),
                ("activity_type_id", "=", self.activity_type.id),
            ]
        )

    def test_member_defaults_from_partner(self):
        self.assertEqual(self.m_moved.name, "Moved")
        self.assertEqual(self.m_moved.phone, "13800000000")
        self.assertEqual(self.group.member_count, 5)

    def test_check_flags_exactly_and_once(self):
        self.archived.action_archive()
        self.moved.parent_id = self.other_company
        self.env["kf.wechat.group.member"]._cron_check_members()

        flagged = (self.m_stays | self.m_archived | self.m_moved | self.m_staff | self.m_free).filtered(
            lambda m: not m.is_valid
        )
        self.assertEqual(flagged, self.m_archived | self.m_moved)
        self.assertEqual(self.m_archived.invalid_reason, "Contact archived")
        self.assertEqual(self.m_moved.invalid_reason, "No longer belongs to the customer")
        self.assertTrue(self.m_archived.date_flagged)
        self.assertEqual(self.group.invalid_member_count, 2)

        activity = self._remove_activities(self.group | self.clean_group)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.res_id, self.group.id)
        self.assertEqual(activity.user_id, self.owner)
        self.assertIn("Archived", activity.note)
        self.assertIn("Moved", activity.note)
        self.assertNotIn("Stays", activity.note)

        # Idempotent: a second run flags nothing and schedules nothing.
        self.assertFalse(self.env["kf.wechat.group.member"]._check_members())
        self.assertEqual(len(self._remove_activities(self.group)), 1)

        # A newly invalid member while the activity is open: same activity, note extended.
        self.stays.action_archive()
        self.env["kf.wechat.group.member"]._cron_check_members()
        activity = self._remove_activities(self.group)
        self.assertEqual(len(activity), 1)
        self.assertIn("Stays", activity.note)

        # Members removed, activity done; a later leaver gives a new activity.
        (self.m_archived | self.m_moved | self.m_stays).action_mark_removed()
        self.assertEqual(self.group.invalid_member_count, 0)
        self.assertEqual(self.group.member_count, 2)
        activity.action_feedback(feedback="Removed")
        self.staff.action_archive()
        self.env["kf.wechat.group.member"]._cron_check_members()
        self.assertFalse(self.m_staff.is_valid)
        self.assertEqual(len(self._remove_activities(self.group)), 1)

    def test_archived_group_not_checked(self):
        self.archived.action_archive()
        self.group.action_archive()
        self.env["kf.wechat.group.member"]._cron_check_members()
        self.assertTrue(self.m_archived.is_valid)
        self.assertFalse(self._remove_activities(self.group.with_context(active_test=False)))

    def test_manual_check_button(self):
        self.moved.parent_id = self.other_company
        self.group.with_user(self.owner).action_check_members()
        self.assertFalse(self.m_moved.is_valid)
        self.assertEqual(len(self._remove_activities(self.group)), 1)

    def _queries_to_flag(self, count):
        Partner = self.env["res.partner"]
        customer = Partner.create({"name": f"Customer {count}", "is_company": True})
        contacts = Partner.create([{"name": f"Contact {i}", "parent_id": customer.id} for i in range(count)])
        group = self.env["kf.wechat.group"].create(
            {
                "name": f"Group {count}",
                "partner_id": customer.id,
                "user_id": self.owner.id,
                "member_ids": [(0, 0, {"partner_id": c.id}) for c in contacts],
            }
        )
        contacts.action_archive()
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        flagged = self.env["kf.wechat.group.member"]._check_members(group.member_ids)
        self.env.flush_all()
        self.assertEqual(len(flagged), count)
        return self.env.cr.sql_log_count - before

    def test_check_queries_do_not_grow_with_members(self):
        small = self._queries_to_flag(3)
        large = self._queries_to_flag(60)
        self.assertLessEqual(large, small + 3, f"{small} queries for 3 members, {large} for 60")
