from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError

from .kf_pay_statement import MANAGER_GROUP
from .kf_pay_statement_line import CATEGORIES

CLERK_GROUP = "kf_customer_service.group_kf_clerk"
SPECIALIST_GROUP = "kf_customer_service.group_kf_specialist"
# the lines finance books as the month's commissioning allocation
ALLOCATION_CATEGORIES = ("commissioning", "commissioning_final", "clerk_share")
REMINDER_ACTIVITY_XMLID = "kf_performance_pay.mail_activity_type_kf_pay_finance_export"
# the stamp (kf.run.stamp) of the month's reminder
REMINDER_JOB = "kf.pay.finance.reminder"
# the day of the month finance expects last month's commissioning allocation
REMINDER_DAY = 5


class KfPayStatement(models.Model):
    _inherit = "kf.pay.statement"

    # ------------------------------------------------------------------ print
    def action_print(self):
        self.ensure_one()
        return self.env.ref("kf_performance_pay.report_kf_pay_statement").report_action(self)

    def kf_report_lines(self):
        """The statement's lines as the PDF prints them: by category, then as stored."""
        self.ensure_one()
        order = {key: index for index, (key, _label) in enumerate(CATEGORIES)}
        return self.line_ids.sorted(lambda line: (order.get(line.category, 99), line.sequence, line.id))

    # ------------------------------------------------------------------ export access
    @api.model
    def kf_pay_clerks(self, company):
        """Who sends finance the month's pay figures for ``company``: the
        configured pay clerk when the company has one, else the department's
        clerks who are not specialists, else the manager."""
        company = company.sudo()
        clerk = company["kf_pay_clerk_id"] if "kf_pay_clerk_id" in company._fields else self.env["res.users"]
        if clerk and clerk.active and company in clerk.company_ids:
            return clerk
        clerks = (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("groups_id", "in", self.env.ref(CLERK_GROUP).id),
                    ("groups_id", "not in", self.env.ref(SPECIALIST_GROUP).id),
                    ("share", "=", False),
                    ("company_ids", "in", company.id),
                ],
                order="id",
            )
        )
        return clerks or company.kf_get_manager()

    @api.model
    def kf_check_export_access(self, company):
        """Managers and the company's pay clerks read the figures of every
        employee; anybody else is refused. Returns the model to read with:
        the user's own rights for a manager (record rules apply), superuser
        rights limited to ``company`` for the pay clerk."""
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            if company not in self.env.user.company_ids and not self.env.su:
                raise AccessError(self.env._("You have no access to the company %(company)s.", company=company.name))
            return self.with_company(company)
        if self.env.user in self.kf_pay_clerks(company):
            return self.sudo().with_company(company)
        raise AccessError(self.env._("Only a customer-service manager or the pay clerk exports the pay statements."))

    # ------------------------------------------------------------------ rows of the exports
    @api.model
    def kf_month_rows(self, date_from, company):
        """The month's figures for finance (the rows of the XLSX export):
        ``{"employees": [...], "lines": [...], "allocation": [...]}``.
        employees: one dict per statement (user, earned, deducted, total,
        state); lines: one dict per line (user, category, name, quantity,
        rate, amount, date_due, source); allocation: the commissioning lines
        summed per employee and category (user, category, quantity, amount).
        Three queries whatever the number of employees."""
        Statement = self.kf_check_export_access(company)
        date_from = fields.Date.to_date(date_from) + relativedelta(day=1)
        domain = [("company_id", "=", company.id), ("date_from", "=", date_from)]
        statements = Statement.search(domain, order="user_id")
        employees = [
            {
                "user": s.user_id,
                "earned": s.amount_earned,
                "deducted": s.amount_deducted,
                "total": s.amount_total,
                "state": s.state,
            }
            for s in statements
        ]
        Line = Statement.env["kf.pay.statement.line"]
        lines = Line.search(domain, order="user_id, category, date_due, id")
        line_rows = [
            {
                "user": line.user_id,
                "category": line.category,
                "name": line.name,
                "quantity": line.quantity,
                "rate": line.rate,
                "amount": line.amount,
                "date_due": line.date_due,
                "source": line.source_key or "",
            }
            for line in lines
        ]
        groups = Line._read_group(
            [*domain, ("category", "in", ALLOCATION_CATEGORIES)],
            ["user_id", "category"],
            ["quantity:sum", "amount:sum"],
            order="user_id, category",
        )
        allocation = [
            {"user": user, "category": category, "quantity": quantity, "amount": amount}
            for user, category, quantity, amount in groups
        ]
        return {"employees": employees, "lines": line_rows, "allocation": allocation}

    @api.model
    def kf_year_rows(self, year, company, users=None):
        """The year-end statement: one dict per employee with pay lines in
        ``year`` (``users`` only, when given): user, months (list of 12 dicts
        {category: amount}), totals ({category: amount}), bonus (the year's
        year-end bonus lines), total. One grouped query."""
        Statement = self.kf_check_export_access(company)
        domain = [
            ("company_id", "=", company.id),
            ("date_from", ">=", date(year, 1, 1)),
            ("date_from", "<=", date(year, 12, 31)),
        ]
        if users:
            domain.append(("user_id", "in", users.ids))
        groups = Statement.env["kf.pay.statement.line"]._read_group(
            domain, ["user_id", "date_from:month", "category"], ["amount:sum"], order="user_id"
        )
        rows = {}
        for user, month, category, amount in groups:
            row = rows.setdefault(
                user.id, {"user": user, "months": [{} for _m in range(12)], "totals": {}, "bonus": 0.0, "total": 0.0}
            )
            cell = row["months"][month.month - 1]
            cell[category] = cell.get(category, 0.0) + amount
            row["totals"][category] = row["totals"].get(category, 0.0) + amount
            row["total"] += amount
            if category == "bonus":
                row["bonus"] += amount
        currency = company.currency_id
        for row in rows.values():
            row["total"] = currency.round(row["total"])
            row["bonus"] = currency.round(row["bonus"])
            row["totals"] = {key: currency.round(value) for key, value in row["totals"].items()}
        return sorted(rows.values(), key=lambda row: row["user"].name or "")

    @api.model
    def kf_category_labels(self):
        """{category: label} in the current language."""
        return dict(self.env["kf.pay.statement.line"]._fields["category"]._description_selection(self.env))

    # ------------------------------------------------------------------ reminder
    @api.model
    def kf_reminder_deadline(self, company, month_start):
        """The 5th of the month ``month_start``, or the first working day of
        the company after it when the 5th is a day off."""
        day = month_start + timedelta(days=REMINDER_DAY - 1)
        working = company.kf_working_dates(day, day + timedelta(days=31))
        return min(working) if working else day

    @api.model
    def _pay_reminder_companies_domain(self, month_start):
        """Companies whose clerk was not reminded yet for ``month_start``."""
        return [
            ("kf_manager_id", "!=", False),
            ("id", "not in", self.env["kf.run.stamp"].sudo().kf_done_companies(REMINDER_JOB, month_start).ids),
        ]

    @api.model
    def _cron_pay_finance_reminder(self):
        """Daily: once a month per company, remind the pay clerk to send
        finance last month's commissioning allocation."""
        month_start = fields.Date.context_today(self) + relativedelta(day=1)
        companies = self.env["res.company"].sudo().search(self._pay_reminder_companies_domain(month_start))
        for company in companies:
            self._kf_pay_remind(company, month_start)
        return True

    @api.model
    def _kf_pay_remind(self, company, month_start):
        """The activity of the month for the company's pay clerks. Once per
        company and month, even when two runs meet (``kf.run.stamp``)."""
        if not self.env["kf.run.stamp"].sudo().kf_claim(REMINDER_JOB, company, month_start):
            return False
        last_month = month_start - relativedelta(months=1)
        deadline = self.kf_reminder_deadline(company, month_start)
        month_label = f"{last_month:%Y-%m}"
        url = f"/kf_performance_pay/xlsx/month?month={month_label}&company_id={company.id}"
        partner = company.partner_id
        values = []
        for clerk in self.kf_pay_clerks(company):
            env = clerk.kf_lang_env()
            summary = env._("Send finance the commissioning allocation of %(month)s", month=month_label)
            note = Markup('<p>%s</p><p><a href="%s">%s</a></p>') % (
                env._(
                    "Send finance the commissioning allocation of %(month)s by %(deadline)s.",
                    month=month_label,
                    deadline=clerk.kf_format_date(deadline),
                ),
                url,
                env._("Export for finance (XLSX)"),
            )
            values.append((partner.id, (clerk, deadline, summary, note)))
        self.env["mail.activity"].kf_create_activities(partner, REMINDER_ACTIVITY_XMLID, values, notify=True)
        return True
