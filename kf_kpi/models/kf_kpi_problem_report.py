from dateutil.relativedelta import relativedelta

from odoo import api, fields, models, tools
from odoo.tools import SQL

from odoo.addons.kf_dispatch.models.kf_problem import PROBLEM_TYPES


class KfKpiProblemReport(models.Model):
    """Confirmed and resolved problems by month, type, employee and project,
    with their evidence counts (for the monthly appraisal)."""

    _name = "kf.kpi.problem.report"
    _description = "Problem Statistics"
    _auto = False
    _rec_name = "name"
    _order = "date desc, id desc"

    name = fields.Char(string="Reference", readonly=True)
    date = fields.Date(readonly=True)
    month = fields.Date(readonly=True)
    problem_type = fields.Selection(PROBLEM_TYPES, string="Type", readonly=True)
    problem_id = fields.Many2one("kf.problem", readonly=True)
    user_id = fields.Many2one("res.users", string="Employee", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    project_id = fields.Many2one("project.project", readonly=True)
    order_id = fields.Many2one("kf.dispatch.order", string="Work Order", readonly=True)
    ticket_id = fields.Many2one("kf.ticket", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    state = fields.Selection(
        [("confirmed", "Confirmed"), ("resolved", "Resolved")],
        string="Status",
        readonly=True,
    )
    problem_count = fields.Integer(string="Problems", readonly=True, aggregator="sum")
    evidence_count = fields.Integer(string="Evidence", readonly=True, aggregator="sum")

    def _query(self):
        return SQL(
            """
            SELECT p.id, p.id AS problem_id, p.name, p.date,
                   date_trunc('month', p.date)::date AS month,
                   p.problem_type, p.user_id,
                   COALESCE(p.commercial_partner_id, p.partner_id) AS partner_id,
                   p.project_id, p.order_id, p.ticket_id, p.company_id, p.state,
                   1 AS problem_count,
                   COALESCE(p.evidence_count, 0) AS evidence_count
              FROM kf_problem p
             WHERE p.active AND p.state IN ('confirmed', 'resolved')
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))

    # ------------------------------------------------------------ exports
    @api.model
    def month_domain(self, month):
        """Domain of the problems of a month (``month``: its first day). A date
        range rather than the ``month`` column lets PostgreSQL use the index on
        kf_problem.date through the view."""
        return [("date", ">=", month), ("date", "<", month + relativedelta(months=1))]

    @api.model
    def problem_types(self):
        """(key, label) of the problem types in display order, labels in the
        user's language."""
        return self._fields["problem_type"]._description_selection(self.env)

    @api.model
    def xlsx_statistics_rows(self, month):
        """Yield the problems of a month the current user may read (record rules
        apply: a specialist gets their own), counted per employee and project,
        in the order of the employees' then the projects' names (none last);
        then a total row when there is any problem.

        Each row is a dict: ``employee`` (the name, or "Unassigned"),
        ``project`` (the name, or "No project"), ``counts`` (one count per
        problem type, in the order of ``problem_types()``), ``total``,
        ``evidence`` (pieces of evidence) and ``is_total``."""
        types = [key for key, _label in self.problem_types()]
        stats = {}  # (user id, project id) -> [count per type..., total, evidence]
        for user, project, ptype, count, evidence in self._read_group(
            self.month_domain(month), ["user_id", "project_id", "problem_type"], ["__count", "evidence_count:sum"]
        ):
            row = stats.setdefault((user.id, project.id), [0] * (len(types) + 2))
            if ptype in types:
                row[types.index(ptype)] += count
            row[-2] += count
            row[-1] += evidence or 0

        def ranks(model, ids):
            # names sorted by the database, as the views sort them; none last
            records = self.env[model].sudo().with_context(active_test=False)
            named = records.search_fetch([("id", "in", [i for i in ids if i])], ["name"], order="name, id")
            return {record.id: (index, record.name) for index, record in enumerate(named)} | {False: (len(named), None)}

        users = ranks("res.users", {user_id for user_id, _project_id in stats})
        projects = ranks("project.project", {project_id for _user_id, project_id in stats})
        totals = [0] * (len(types) + 2)
        for user_id, project_id in sorted(stats, key=lambda key: (users[key[0]][0], projects[key[1]][0])):
            figures = stats[(user_id, project_id)]
            yield {
                "employee": users[user_id][1] or self.env._("Unassigned"),
                "project": projects[project_id][1] or self.env._("No project"),
                "counts": figures[:-2],
                "total": figures[-2],
                "evidence": figures[-1],
                "is_total": False,
            }
            totals = [a + b for a, b in zip(totals, figures, strict=True)]
        if stats:
            yield {
                "employee": self.env._("Total"),
                "project": None,
                "counts": totals[:-2],
                "total": totals[-2],
                "evidence": totals[-1],
                "is_total": True,
            }

    @api.model
    def xlsx_rows(self, month, batch_size=5000):
        """Yield the problems of a month the current user may read (record rules
        apply), in date order, read ``batch_size`` at a time (keyset pages on
        (date, id), the cache emptied after each page: memory does not grow
        with the month).

        Each row is a dict: ``name``, ``date``, ``type`` and ``state``
        (labels), ``customer``, ``project``, ``employee`` (names),
        ``description``, ``evidence_count`` and ``evidence_files``: the names,
        comma-separated, of the problem's evidence attachments the user may read
        (access to an attachment is access to the document it is attached to)."""
        types = dict(self.problem_types())
        states = dict(self._fields["state"]._description_selection(self.env))
        # a page is read in one query (record rules applied), the names on it
        # in one query per related model, their name column only: the cost
        # does not grow with the fields of those models
        fnames = ["id", "name", "date", "problem_type", "state", "evidence_count"]
        relations = [("partner_id", "name"), ("project_id", "name"), ("user_id", "name"), ("problem_id", "description")]
        domain = self.month_domain(month)
        while True:
            query = self._search(domain, order="date, id", limit=batch_size)
            columns = [*fnames, *(fname for fname, _target in relations)]
            page = self.env.execute_query(
                query.select(*(self._field_to_sql(self._table, fname, query) for fname in columns))
            )
            values = [
                self._kf_related_values(self._fields[fname].comodel_name, {row[index] for row in page}, target)
                for index, (fname, target) in enumerate(relations, start=len(fnames))
            ]
            problem_ids = {row[-1] for row in page if row[-1]}
            files = self._kf_evidence_names(self.env["kf.problem"].browse(problem_ids))
            partners, projects, users, descriptions = values
            for _id, name, day, ptype, state, count, partner, project, user, problem in page:
                yield {
                    "name": name or False,
                    "date": day,
                    "type": types.get(ptype, ptype),
                    "customer": partners.get(partner, False),
                    "project": projects.get(project, False),
                    "employee": users.get(user, False),
                    "state": states.get(state, state),
                    "description": descriptions.get(problem, False),
                    "evidence_count": count,
                    "evidence_files": files.get(problem),
                }
            if len(page) < batch_size:
                return
            last_date, last_id = page[-1][2], page[-1][0]
            domain = [
                *self.month_domain(month),
                "|",
                ("date", ">", last_date),
                "&",
                ("date", "=", last_date),
                ("id", ">", last_id),
            ]
            self.env.invalidate_all()

    def _kf_related_values(self, model, ids, fname):
        """{id: value of ``fname``} of these records of ``model``, read as the
        views show them (superuser, the user's language), that field only."""
        records = self.env[model].sudo().browse(sorted(i for i in ids if i))
        records.fetch([fname])
        return {record.id: record[fname] for record in records}

    def _kf_evidence_names(self, problems):
        """{problem id: "a.jpg, b.jpg"}: the names of the problems' evidence
        attachments the current user may read, in name order (two queries for
        the whole batch)."""
        problems = problems.sudo()
        problems.fetch(["evidence_attachment_ids"])
        links = {problem.id: problem.evidence_attachment_ids.ids for problem in problems}
        attachment_ids = {attachment_id for ids in links.values() for attachment_id in ids}
        readable = self.env["ir.attachment"].search_fetch(
            [("id", "in", list(attachment_ids))], ["name"], order="name, id"
        )
        rank = {attachment.id: index for index, attachment in enumerate(readable)}
        names = {attachment.id: attachment.name for attachment in readable}
        result = {}
        for problem_id, ids in links.items():
            ordered = sorted((i for i in ids if i in rank), key=rank.get)
            if ordered:
                result[problem_id] = ", ".join(names[i] for i in ordered)
        return result
