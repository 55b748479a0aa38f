from collections.abc import Mapping

from odoo import api, fields, models


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
        The number of queries does not grow with the number of activities
        (except for the notices).

        Returns the created activities, in the order of ``values``."""
        activity_type = self.env.ref(activity_type_xmlid)
        model_id = self.env["ir.model"]._get_id(records._name)
        today = fields.Date.context_today(self)
        items = values.items() if isinstance(values, Mapping) else values
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
        self._kf_subscribe_repeated(records, vals_list)
        Activity = self.sudo()
        if not notify:
            Activity = Activity.with_context(mail_activity_quick_update=True)
        return Activity.create(vals_list)

    @api.model
    def _kf_subscribe_repeated(self, records, vals_list):
        """mail.activity's create() subscribes each responsible to the records
        in one batch per user, but inserts the same follower twice when a
        record receives two activities for one user in one call: subscribe
        those beforehand."""
        seen, repeated = set(), set()
        for vals in vals_list:
            key = (vals["res_id"], vals["user_id"])
            (repeated if key in seen else seen).add(key)
        res_ids_by_user = {}
        for res_id, user_id in repeated:
            res_ids_by_user.setdefault(user_id, set()).add(res_id)
        for user_id, res_ids in res_ids_by_user.items():
            partner = self.env["res.users"].browse(user_id).partner_id
            records.browse(sorted(res_ids)).sudo().message_subscribe(partner_ids=partner.ids)
