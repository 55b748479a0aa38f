from collections.abc import Mapping

from odoo import api, fields, models

from .kf_concurrency import subscribe_pairs


class MailActivity(models.Model):
    _inherit = "mail.activity"

    @api.model
    def kf_create_activities(self, records, activity_type_xmlid, values, notify=False, automated=True):
        """Create the activities of a batch job on ``records`` in one call.

        ``values`` maps a record id to ``(user, deadline, summary, note)``, or
        is a list of ``(record id, (user, deadline, summary, note))`` pairs
        when a record receives several activities. ``user`` is a ``res.users``
        record, normally picked by ``res.users.kf_activity_users``; an entry
        whose user is empty is skipped (nobody may read its record). As in
        ``activity_schedule``, an empty deadline means today, an empty summary
        or note the activity type's (in the user's language). Callers write
        the summary and note in the user's language too
        (``res.users.kf_lang_env``).

        The activities are created as superuser (the job may run as a user who
        cannot assign activities to others) with ``automated`` set as asked.
        Without ``notify`` nobody is sent an assignment notice (a daily scan
        may create thousands; the users see them in their activity menu).
        The users follow their records (all of them subscribed in one go).
        The number of queries does not grow with the number of activities
        nor of users (except for the notices).

        Returns the created activities, in the order of ``values``."""
        activity_type = self.env.ref(activity_type_xmlid)
        model_id = self.env["ir.model"]._get_id(records._name)
        today = fields.Date.context_today(self)
        items = list(values.items() if isinstance(values, Mapping) else values)
        # the users' languages and partners, read once for all of them
        users = self.env["res.users"].sudo().browse({user.id for _res_id, (user, *_rest) in items if user})
        users.mapped("lang")
        users.partner_id.mapped("active")
        vals_list = [
            {
                "res_model_id": model_id,
                "res_id": res_id,
                "activity_type_id": activity_type.id,
                "summary": summary or activity_type.with_env(user.kf_lang_env()).summary,
                "note": note or activity_type.with_env(user.kf_lang_env()).default_note,
                "date_deadline": deadline or today,
                "user_id": user.id,
                "automated": automated,
            }
            for res_id, (user, deadline, summary, note) in items
            if user
        ]
        if not vals_list:
            return self.browse()
        # the record names shown by the activities, read in one go
        records.sudo().mapped("display_name")
        # the users follow their records, all pairs at once, so that
        # mail.activity's create() does not subscribe them user by user
        # as message_subscribe: archived partners do not follow
        partner_of = {user.id: user.partner_id.id for user in users if user.partner_id.active}
        subscribe_pairs(
            self.env,
            records._name,
            [(vals["res_id"], partner_of[vals["user_id"]]) for vals in vals_list if vals["user_id"] in partner_of],
        )
        Activity = self.sudo().with_context(kf_followers_subscribed=True)
        if not notify:
            Activity = Activity.with_context(mail_activity_quick_update=True)
        return self.browse(Activity.create(vals_list).ids)
