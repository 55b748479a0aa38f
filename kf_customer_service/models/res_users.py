from odoo import api, models
from odoo.tools.misc import format_date, format_datetime


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def kf_activity_users(self, records, preferred=None, manager_first=False):
        """Choose who receives a KF activity on each of ``records``, so that no
        activity ever goes to a user who cannot open its record.

        ``preferred`` is a ``res.users`` recordset (candidates for every
        record, in order) or a dict ``{record id: res.users}``. The manager of
        the record's company (``res.company.kf_get_manager()``) is tried after
        them (before them with ``manager_first``). Each record gets the first
        active internal candidate allowed to read it; readability is checked
        once per distinct candidate for all its records.

        Returns ``{record id: res.users}``; the user is empty when nobody can
        read the record (callers then skip the activity)."""
        Users = self.env["res.users"].sudo()
        records = records.sudo()
        managers = {}

        def manager_of(record):
            company = record.company_id if "company_id" in record._fields else None
            company = company or self.env.company
            if company not in managers:
                managers[company] = company.kf_get_manager()
            return managers[company]

        pending = {}
        for record in records:
            wanted = preferred.get(record.id) if isinstance(preferred, dict) else preferred
            wanted = Users.browse((wanted or Users).ids)
            manager = manager_of(record)
            candidates = (manager | wanted) if manager_first else (wanted | manager)
            pending[record.id] = [user for user in candidates if user.active and not user.share]
        result = dict.fromkeys(records.ids, Users.browse())
        while pending:
            by_user = {}
            for record_id, candidates in pending.items():
                if candidates:
                    by_user.setdefault(candidates[0], []).append(record_id)
            next_pending = {}
            for user, record_ids in by_user.items():
                readable = set(
                    records.browse(record_ids)
                    .with_user(user)
                    .with_context(allowed_company_ids=user.company_ids.ids)
                    ._filtered_access("read")
                    .ids
                )
                for record_id in record_ids:
                    if record_id in readable:
                        result[record_id] = user
                    elif len(pending[record_id]) > 1:
                        next_pending[record_id] = pending[record_id][1:]
            pending = next_pending
        return result

    @api.model
    def kf_activity_user(self, record, preferred=None, manager_first=False):
        """``kf_activity_users`` for one record: the user to assign, or an
        empty recordset when nobody who can read ``record`` is found."""
        if not record:
            return self.env["res.users"]
        record.ensure_one()
        return self.kf_activity_users(record, preferred, manager_first)[record.id]

    def kf_lang_env(self):
        """The environment in this user's language and time zone (the current
        ones for an empty user or a user without them). Text the code writes
        for the user (activity summaries and notes, chatter messages) is
        translated with ``env._`` of this environment and its dates formatted
        with ``kf_format_date`` / ``kf_format_datetime`` (or
        ``odoo.tools.misc.format_amount(env, ...)``)."""
        user = self[:1].sudo()
        lang = user.lang or self.env.lang
        tz = user.tz or self.env.context.get("tz")
        if lang == self.env.lang and tz == self.env.context.get("tz"):
            return self.env
        return self.env(context=dict(self.env.context, lang=lang, tz=tz))

    def kf_format_date(self, value):
        """``value`` (a date) written as this user reads dates."""
        return format_date(self.kf_lang_env(), value)

    def kf_format_datetime(self, value):
        """``value`` (a naive UTC datetime) written in this user's language and
        time zone, to the minute."""
        env = self.kf_lang_env()
        return format_datetime(env, value, tz=env.context.get("tz"), dt_format="short")
