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
        apply), in date order.

        The rows are read by one SQL query built on the access-checked query of
        ``_search`` (record rules, multi-company), the names of the related
        records joined in and the evidence names aggregated in it, and streamed
        through a server-side cursor ``batch_size`` rows at a time: the number
        of queries does not grow with the month and memory stays flat.

        Each row is a dict: ``name``, ``date``, ``type`` and ``state``
        (labels), ``customer``, ``project``, ``employee`` (names, as the views
        show them: the user's language), ``description``, ``evidence_count``
        and ``evidence_files``: the names, comma-separated in name order, of
        the problem's evidence attachments the user may read (access to an
        attachment is access to the document it is attached to)."""
        fnames = [
            "name",
            "date",
            "problem_type",
            "state",
            "evidence_count",
            "partner_id",
            "project_id",
            "user_id",
            "problem_id",
        ]
        self.check_access("read")
        self.check_field_access_rights("read", fnames)
        types = dict(self.problem_types())
        states = dict(self._fields["state"]._description_selection(self.env))
        self.env.flush_all()
        sql = self._kf_xlsx_query(month)
        cursor = self.env.cr._cnx.cursor(f"kf_xlsx_problems_{id(sql)}")
        cursor.itersize = max(batch_size, 1)
        try:
            cursor.execute(sql.code, sql.params)
            while True:
                page = cursor.fetchmany(max(batch_size, 1))
                for name, day, ptype, state, count, customer, project, employee, description, files in page:
                    yield {
                        "name": name or False,
                        "date": day,
                        "type": types.get(ptype, ptype),
                        "customer": customer or False,
                        "project": project or False,
                        "employee": employee or False,
                        "state": states.get(state, state),
                        "description": description or False,
                        "evidence_count": count,
                        "evidence_files": files,
                    }
                if len(page) < batch_size:
                    return
        finally:
            cursor.close()

    def _kf_xlsx_query(self, month):
        """The SELECT of ``xlsx_rows``: the report's rows the user may read, in
        (date, id) order, with the names of their customer, project and
        employee (superuser reads, as the views show them), the problem's
        description and its readable evidence names (aggregated once for the
        month's problems, joined in)."""
        table = self._table
        query = self._search(self.month_domain(month), order="date, id")
        Problem = self.env["kf.problem"].sudo()
        evidence = Problem._fields["evidence_attachment_ids"]
        problem_ids = query.subselect(SQL.identifier(table, "problem_id"))
        files = query.make_alias(table, "evidence_files")
        query.add_join(
            "LEFT JOIN",
            files,
            SQL(
                """(SELECT r.%(col1)s AS problem_id, string_agg(a.name, ', ' ORDER BY a.name, a.id) AS names
                      FROM %(rel)s r JOIN ir_attachment a ON a.id = r.%(col2)s
                     WHERE r.%(col1)s IN %(problem_ids)s AND %(readable)s
                     GROUP BY r.%(col1)s)""",
                rel=SQL.identifier(evidence.relation),
                col1=SQL.identifier(evidence.column1),
                col2=SQL.identifier(evidence.column2),
                problem_ids=problem_ids,
                readable=self._kf_readable_attachment_sql(problem_ids, evidence),
            ),
            SQL("%s = %s", SQL.identifier(files, "problem_id"), SQL.identifier(table, "problem_id")),
        )
        problem = query.left_join(table, "problem_id", Problem._table, "id", "problem_id")
        partner = query.left_join(table, "partner_id", "res_partner", "id", "partner_id")
        project = query.left_join(table, "project_id", "project_project", "id", "project_id")
        user = query.left_join(table, "user_id", "res_users", "id", "user_id")
        return query.select(
            *(self._field_to_sql(table, fname, query) for fname in ("name", "date", "problem_type", "state")),
            self._field_to_sql(table, "evidence_count", query),
            self.env["res.partner"].sudo()._field_to_sql(partner, "name", query),
            self.env["project.project"].sudo()._field_to_sql(project, "name", query),
            self.env["res.users"].sudo()._field_to_sql(user, "name", query),
            Problem._field_to_sql(problem, "description", query),
            SQL.identifier(files, "names"),
        )

    def _kf_readable_attachment_sql(self, problem_ids, evidence):
        """SQL condition on ``ir_attachment a``: the current user may read the
        attachment, as ``ir.attachment._search`` decides it (public; without a
        document: created by the user or the user is an administrator; else
        the user may read its document). The documents' models are those of
        the evidence of the problems ``problem_ids`` (a sub-query; one query);
        their record rules are applied as sub-queries."""
        Attachment = self.env["ir.attachment"]
        Attachment.check_access("read")
        if self.env.su:
            return SQL("TRUE")
        models = [
            res_model
            for (res_model,) in self.env.execute_query(
                SQL(
                    """SELECT DISTINCT a.res_model
                         FROM %(rel)s r JOIN ir_attachment a ON a.id = r.%(col2)s
                        WHERE r.%(col1)s IN %(problems)s AND a.res_model IS NOT NULL""",
                    rel=SQL.identifier(evidence.relation),
                    col1=SQL.identifier(evidence.column1),
                    col2=SQL.identifier(evidence.column2),
                    problems=problem_ids,
                )
            )
        ]
        conditions = [
            SQL("a.public"),
            SQL(
                "(COALESCE(a.res_id, 0) = 0 AND %s)",
                SQL("TRUE") if self.env.is_system() else SQL("a.create_uid = %s", self.env.uid),
            ),
        ]
        for res_model in models:
            if res_model not in self.env:
                conditions.append(SQL("(a.res_model = %s AND COALESCE(a.res_id, 0) <> 0)", res_model))
            elif self.env[res_model].has_access("read"):
                documents = self.env[res_model].with_context(active_test=False)._search([])
                conditions.append(
                    SQL(
                        "(a.res_model = %s AND a.res_id IN %s)",
                        res_model,
                        documents.subselect(),
                    )
                )
        return SQL("(%s)", SQL(" OR ").join(conditions))
