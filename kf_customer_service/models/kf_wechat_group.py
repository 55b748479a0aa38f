from markupsafe import Markup, escape

from odoo import api, fields, models

REMOVE_ACTIVITY_XMLID = "kf_customer_service.mail_activity_type_kf_wechat_remove"


class KfWechatGroup(models.Model):
    _name = "kf.wechat.group"
    _description = "WeChat Service Group"
    _inherit = ["mail.thread", "mail.activity.mixin", "kf.document.mixin"]
    _order = "name, id"

    # the group's name typed by its owner, not a number; string=None restores the default label "Name"
    name = fields.Char(string=None, readonly=False, copy=True, default=None, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    project_id = fields.Many2one(
        "project.project",
        tracking=True,
        check_company=True,
        help="Optional: the project this group serves.",
    )
    user_id = fields.Many2one(
        string="Owner",
        index=False,
        default=lambda self: self.env.user,
        help="Group owner (群主) who adds and removes members.",
    )
    date_created = fields.Date(string="Created On", default=fields.Date.context_today)
    note = fields.Text()
    member_ids = fields.One2many("kf.wechat.group.member", "group_id", string="Members")
    member_count = fields.Integer(string="Members Count", compute="_compute_member_counts")
    invalid_member_count = fields.Integer(string="Members to Remove", compute="_compute_member_counts")

    @api.depends("member_ids.is_valid", "member_ids.active")
    def _compute_member_counts(self):
        groups = self.env["kf.wechat.group.member"]._read_group(
            [("group_id", "in", self.ids)], ["group_id", "is_valid"], ["__count"]
        )
        valid = {}
        invalid = {}
        for group, is_valid, count in groups:
            target = valid if is_valid else invalid
            target[group.id] = target.get(group.id, 0) + count
        for group in self:
            group.member_count = valid.get(group.id, 0) + invalid.get(group.id, 0)
            group.invalid_member_count = invalid.get(group.id, 0)

    def action_view_invalid_members(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Members to remove"),
            "res_model": "kf.wechat.group.member",
            "view_mode": "list,form",
            "domain": [("group_id", "=", self.id), ("is_valid", "=", False)],
            "context": {"default_group_id": self.id},
        }

    def action_check_members(self):
        """Check the members now and say what the check found."""
        flagged = self.env["kf.wechat.group.member"]._check_members(self.member_ids)
        invalid = self.member_ids.filtered(lambda member: not member.is_valid)
        if flagged:
            message = self.env._(
                "%(count)s members no longer belong to the customer: remove them from the WeChat group.",
                count=len(flagged),
            )
        elif invalid:
            message = self.env._(
                "No new invalid member; %(count)s invalid members still wait to be removed.", count=len(invalid)
            )
        else:
            message = self.env._("All %(count)s members are valid.", count=len(self.member_ids))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if invalid else "success",
                "title": self.env._("Members checked"),
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _notify_members_to_remove(self, members):
        """Give each group's owner one open activity listing ``members`` to remove.

        When an open removal activity exists already, the new members are
        appended to its note instead of creating a second activity.
        """
        activity_type = self.env.ref(REMOVE_ACTIVITY_XMLID)
        member_ids_by_group = {}
        for member in members:
            member_ids_by_group.setdefault(member.group_id.id, []).append(member.id)
        groups = self.browse(list(member_ids_by_group))
        by_group = {group: members.browse(member_ids_by_group[group.id]) for group in groups}
        open_activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", groups.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        )
        open_by_group = {act.res_id: act for act in open_activities}
        owners = self.env["res.users"].kf_activity_users(
            groups, {group.id: group.user_id | group.partner_id.kf_specialist_id for group in groups}
        )
        to_create = {}
        for group, group_members in by_group.items():
            activity = open_by_group.get(group.id)
            # written in the language of the activity's owner
            env = (activity.user_id if activity else owners[group.id]).kf_lang_env()
            lines = Markup("").join(
                Markup("<li>%s</li>") % member.with_env(env)._removal_line() for member in group_members
            )
            if activity:
                activity.note = (activity.note or Markup("")) + Markup("<ul>%s</ul>") % lines
                continue
            to_create[group.id] = (
                owners[group.id],
                False,
                env._("Remove invalid members from %(group)s", group=group.name),
                Markup("<p>%s</p><ul>%s</ul>")
                % (escape(env._("These members left the customer or were archived:")), lines),
            )
        self.env["mail.activity"].kf_create_activities(groups, REMOVE_ACTIVITY_XMLID, to_create, notify=True)
