from odoo import api, models
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.misc import format_date, format_datetime
from odoo.tools.safe_eval import safe_eval


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
        for all candidates at once (``_kf_readable_by``), so the number of
        queries does not grow with the number of candidates.

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
        # every candidate in one prefetch set: their fields are read at once
        if isinstance(preferred, dict):
            candidate_ids = list(dict.fromkeys(uid for users in preferred.values() if users for uid in users.ids))
        else:
            candidate_ids = (preferred or Users).ids
        record_managers = {record.id: manager_of(record) for record in records}
        candidate_ids += [manager.id for manager in managers.values() if manager]
        for record in records:
            wanted = preferred.get(record.id) if isinstance(preferred, dict) else preferred
            wanted = Users.browse((wanted or Users).ids)
            manager = record_managers[record.id]
            candidates = ((manager | wanted) if manager_first else (wanted | manager)).with_prefetch(candidate_ids)
            pending[record.id] = [user for user in candidates if user.active and not user.share]
        result = dict.fromkeys(records.ids, Users.browse())
        while pending:
            by_user = {}
            for record_id, candidates in pending.items():
                if candidates:
                    by_user.setdefault(candidates[0], []).append(record_id)
            next_pending = {}
            readable_by = self._kf_readable_by(records, by_user)
            for user, record_ids in by_user.items():
                readable = readable_by[user]
                for record_id in record_ids:
                    if record_id in readable:
                        result[record_id] = user
                    elif len(pending[record_id]) > 1:
                        next_pending[record_id] = pending[record_id][1:]
            pending = next_pending
        # one prefetch set: reading the chosen users' language or partner
        # (kf_lang_env, the activities) is one query for all of them
        prefetch = [user.id for user in result.values() if user]
        return {record_id: user.with_prefetch(prefetch) for record_id, user in result.items()}

    @api.model
    def _kf_readable_by(self, records, ids_by_user):
        """``{user: set of ids}``: of the ids given for each user, those the
        user may read with all their companies allowed — the access rights
        and record rules ``_filtered_access("read")`` checks — in a number of
        queries that does not grow with the number of users: the rules are
        read once, evaluated for each user in Python, and one query tests
        every distinct resulting domain on the records.

        Models with their own ``_check_access`` or with ``_inherits`` parents
        are checked user by user, as ``_filtered_access`` does."""
        Model = records.browse().sudo().with_context(active_test=False)
        if type(Model)._check_access is not models.BaseModel._check_access or Model._inherits:
            return {
                user: set(
                    records.browse(ids)
                    .with_user(user)
                    .with_context(allowed_company_ids=user.company_ids.ids)
                    ._filtered_access("read")
                    .ids
                )
                for user, ids in ids_by_user.items()
            }
        users = self.env["res.users"].sudo().browse([user.id for user in ids_by_user])
        # one query per field for all users: the rule evaluation reads them
        users.mapped("groups_id")
        users.mapped("company_ids")
        users.mapped("company_id")
        self.env["ir.model.access"].flush_model()
        acl_groups = {
            group_id
            for (group_id,) in self.env.execute_query(
                SQL(
                    """SELECT a.group_id FROM ir_model_access a JOIN ir_model m ON m.id = a.model_id
                        WHERE m.model = %s AND a.active AND a.perm_read""",
                    Model._name,
                )
            )
        }
        rules = (
            self.env["ir.rule"]
            .sudo()
            .search([("model_id.model", "=", Model._name), ("active", "=", True), ("perm_read", "=", True)])
        )
        rules.mapped("groups")
        by_domain = {}  # repr(domain) -> (domain, {user: ids})
        result = {}
        for user, ids in ids_by_user.items():
            result[user] = set()
            group_ids = set(user.sudo().groups_id.ids)
            if None not in acl_groups and not acl_groups & group_ids:
                continue
            domain = self._kf_rule_domain(rules, user, group_ids)
            if not domain:
                result[user] = set(ids)
                continue
            by_domain.setdefault(repr(domain), (domain, {}))[1][user] = set(ids)
        entries = list(by_domain.values())
        for start in range(0, len(entries), 100):
            chunk = entries[start : start + 100]
            all_ids = sorted({i for _domain, per_user in chunk for ids in per_user.values() for i in ids})
            columns = SQL(", ").join(
                SQL(
                    "r.id IN (%s)",
                    Model._search(
                        [("id", "in", sorted({i for ids in per_user.values() for i in ids})), *domain]
                    ).subselect(),
                )
                for domain, per_user in chunk
            )
            for row in self.env.execute_query(SQL("SELECT r.id, %s FROM unnest(%s::int[]) AS r(id)", columns, all_ids)):
                for (_domain, per_user), allowed in zip(chunk, row[1:], strict=True):
                    if allowed:
                        for user, ids in per_user.items():
                            if row[0] in ids:
                                result[user].add(row[0])
        return result

    @api.model
    def _kf_rule_domain(self, rules, user, group_ids):
        """The read domain of ``rules`` for ``user`` with all their companies
        allowed, combined as ``ir.rule._compute_domain`` does (global rules
        and-ed, the user's group rules or-ed)."""
        # ir.rule._eval_context() for the user with all their companies
        # allowed, without env.companies' lookup (a query per user)
        company_ids = user.sudo().company_ids.ids
        eval_context = dict(
            self.env["ir.rule"]._eval_context(),
            user=self.env(user=user.id, context={}).user,
            company_ids=company_ids,
            company_id=company_ids[0] if company_ids else user.sudo().company_id.id,
        )
        global_domains, group_domains = [], []
        for rule in rules:
            # only the rules that apply to the user are evaluated: another
            # group's rule may read fields of the user (a query per user)
            if rule.groups and not set(rule.groups.ids) & group_ids:
                continue
            domain = expression.normalize_domain(
                safe_eval(rule.domain_force, eval_context) if rule.domain_force else []
            )
            if not rule.groups:
                global_domains.append(domain)
            else:
                group_domains.append(domain)
        if group_domains:
            global_domains.append(expression.OR(group_domains))
        domain = expression.AND(global_domains) if global_domains else []
        return [] if domain == expression.TRUE_DOMAIN else domain

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
        # the slice keeps the prefetch set: the languages of the users picked
        # together (``kf_activity_users``) are read in one query
        user = self[:1].with_prefetch(self._prefetch_ids).sudo()
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
