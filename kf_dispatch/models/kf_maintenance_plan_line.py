import logging
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.kf_customer_service.models.kf_concurrency import advisory_xact_lock, hits_concurrent_rows

_logger = logging.getLogger(__name__)

CHECK_TYPES = [("monthly", "Monthly test"), ("quarterly", "Quarterly check"), ("annual", "Annual inspection")]
CHECK_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}
MANAGER_CHECK_MONTHS = 3
GENERATE_LOCK = ("kf.maintenance.plan.line", "generate")
BATCH_SIZE = 1000


class KfMaintenancePlanLine(models.Model):
    """One recurring check of a maintenance plan: the equipment it covers,
    its frequency and executor. Each occurrence becomes one work order with
    a check line per equipment, keyed by (line, occurrence date) so that
    no occurrence is ever generated twice."""

    _name = "kf.maintenance.plan.line"
    _description = "Maintenance Plan Check"
    _order = "plan_id, sequence, id"
    _check_company_auto = True

    plan_id = fields.Many2one("kf.maintenance.plan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    check_type = fields.Selection(CHECK_TYPES, required=True, default="monthly")
    name = fields.Char(string="Check Items", help="What is checked; the work order's content.")
    equipment_ids = fields.Many2many(
        "kf.equipment",
        "kf_maintenance_plan_line_equipment_rel",
        "line_id",
        "equipment_id",
        required=True,
        check_company=True,
    )
    user_id = fields.Many2one(
        "res.users", string="Executor", domain="[('share', '=', False)]", help="Empty: the plan's executor."
    )
    date_start = fields.Date(
        string="First Occurrence",
        required=True,
        help="Occurrences fall on this date plus whole periods (month ends kept).",
    )
    occurrence = fields.Integer(
        string="Occurrences Generated", default=0, readonly=True, copy=False, help="Occurrences done so far."
    )
    date_next = fields.Date(
        string="Next Occurrence",
        compute="_compute_date_next",
        store=True,
        index=True,
        help="Empty once past the contract's end.",
    )

    @api.depends("date_start", "check_type", "occurrence", "plan_id.contract_id.date_end")
    def _compute_date_next(self):
        for line in self:
            if not line.date_start:
                line.date_next = False
                continue
            nxt = line._kf_occurrence_date(line.occurrence)
            end = line.plan_id.contract_id.date_end
            line.date_next = nxt if not end or nxt <= end else False

    def _kf_occurrence_date(self, index):
        return self.date_start + relativedelta(months=CHECK_MONTHS[self.check_type] * index)

    # ------------------------------------------------------------------
    # Generation (daily scan and the plan's button)
    # ------------------------------------------------------------------
    @api.model
    def _cron_generate(self):
        self.kf_generate()
        return True

    @api.model
    def _generate_companies_domain(self):
        """Companies whose plans the scan generates."""
        return [("active", "=", True)]

    @api.model
    def _generate_lines_domain(self, company, horizon):
        """Plan checks of ``company`` with an occurrence due by ``horizon``
        (a date), on active plans of running contracts."""
        return [
            ("company_id", "=", company.id),
            ("date_next", "!=", False),
            ("date_next", "<=", horizon),
            ("plan_id.state", "=", "active"),
            ("plan_id.contract_id.state", "=", "running"),
        ]

    @api.model
    def _generate_init_domain(self, company):
        """Active plans of ``company``'s running contracts without their
        initialisation work order."""
        return [
            ("company_id", "=", company.id),
            ("state", "=", "active"),
            ("contract_id.state", "=", "running"),
            ("init_order_id", "=", False),
            ("line_ids", "!=", False),
        ]

    @api.model
    def _generate_manager_check_domain(self, company, horizon):
        """Active plans of ``company``'s running contracts whose manager's
        check visit is due by ``horizon``."""
        return [
            ("company_id", "=", company.id),
            ("state", "=", "active"),
            ("contract_id.state", "=", "running"),
            ("manager_check", "=", True),
            ("manager_check_date_next", "!=", False),
            ("manager_check_date_next", "<=", horizon),
        ]

    @api.model
    def kf_generate(self, plans=None, today=None, limit=BATCH_SIZE):
        """Create the work orders of the plan checks due within the
        company's lead time (working days), the initialisation orders and
        the manager's check visits; ``plans`` restricts it to some plans.
        Idempotent and safe when two runs meet: the runs serialise on an
        advisory lock and a run whose rows were changed by a concurrent run
        leaves them to it. A constant number of queries per batch of
        ``limit``; the cron is re-called while some remain."""
        if not self.env.su and not self.env.user.has_group("kf_customer_service.group_kf_specialist"):
            raise AccessError(self.env._("Only the customer-service department generates maintenance work."))
        if plans is not None:
            plans.check_access("write")
        self = self.sudo().with_context(
            tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
        )
        advisory_xact_lock(self.env.cr, GENERATE_LOCK)
        today = today or fields.Date.context_today(self)
        Plan = self.env["kf.maintenance.plan"]
        done = remaining = 0
        for company in self.env["res.company"].search(self._generate_companies_domain()):
            horizon = self._kf_horizon(company, today)
            extra = [("plan_id", "in", plans.ids)] if plans is not None else []
            lines = self.search(
                self._generate_lines_domain(company, horizon) + extra, order="date_next, id", limit=limit
            )
            extra = [("id", "in", plans.ids)] if plans is not None else []
            init_plans = Plan.search(self._generate_init_domain(company) + extra, limit=limit)
            check_plans = Plan.search(self._generate_manager_check_domain(company, horizon) + extra, limit=limit)
            if self._kf_changed_meanwhile(lines, init_plans | check_plans):
                _logger.info("maintenance plans of company %s generated by a concurrent run", company.id)
                continue
            done += lines._kf_generate_orders(horizon)
            done += init_plans._kf_generate_init_orders() if init_plans else 0
            done += self._kf_generate_manager_checks(check_plans, horizon)
            if len(lines) == limit or len(init_plans) == limit or len(check_plans) == limit:
                remaining += 1
        if remaining and plans is None:
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def _kf_horizon(self, company, today):
        """Last date generated: ``kf_plan_lead_days`` working days after today."""
        start = datetime.combine(today, time(12))
        return company.kf_add_working_days(company.kf_plan_lead_days, start).date()

    @api.model
    def _kf_changed_meanwhile(self, lines, plans):
        """True when a run committed after this transaction began changed
        these lines or plans (it generated them); locks them otherwise."""
        cr = self.env.cr
        for table, ids in (("kf_maintenance_plan_line", lines.ids), ("kf_maintenance_plan", plans.ids)):
            if not ids:
                continue
            query = SQL("SELECT id FROM %s WHERE id = ANY(%s) ORDER BY id FOR UPDATE", SQL.identifier(table), ids)
            if hits_concurrent_rows(cr, query, keep=True):
                return True
        return False

    @api.model
    def _kf_working_day_on_or_after(self, company, day, cache):
        """``day`` or the next working day of the company (holidays skipped)."""
        if company not in cache:
            cache[company] = company.kf_working_dates(day - timedelta(days=1), day + timedelta(days=400))
        dates = cache[company]
        if not dates:
            return day
        return min((d for d in dates if d >= day), default=day)

    def _kf_generate_orders(self, horizon):
        """One work order per due occurrence of these lines (up to
        ``horizon``), with a check per equipment; advance the lines."""
        if not self:
            return 0
        self.fetch(["plan_id", "check_type", "date_start", "occurrence", "name", "user_id"])
        self.plan_id.fetch(["contract_id", "project_id", "user_id", "team_id", "company_id"])
        self.plan_id.contract_id.fetch(["partner_id", "date_start", "date_end", "company_id"])
        self.equipment_ids.fetch(["point_count", "name"])
        vals_list, keys, advanced, cache = [], [], {}, {}
        labels = {}  # lang -> check type labels
        for line in self:
            contract = line.plan_id.contract_id
            index = line.occurrence
            day = line._kf_occurrence_date(index)
            while day <= horizon and day <= contract.date_end:
                if day >= contract.date_start:
                    key = f"line:{line.id}:{day.isoformat()}"
                    keys.append(key)
                    vals_list.append(line._kf_order_vals(day, key, labels, cache))
                index += 1
                day = line._kf_occurrence_date(index)
            advanced.setdefault(index, []).append(line.id)
        existing = set(
            self.env["kf.dispatch.order"]
            .with_context(active_test=False)
            .search([("plan_key", "in", keys)])
            .mapped("plan_key")
        )
        vals_list = [vals for vals in vals_list if vals["plan_key"] not in existing]
        self.env["kf.dispatch.order"]._kf_create_planned(vals_list)
        for index, line_ids in advanced.items():
            self.browse(line_ids).write({"occurrence": index})
        return len(vals_list)

    def _kf_order_vals(self, day, key, labels, cache):
        self.ensure_one()
        plan, contract = self.plan_id, self.plan_id.contract_id
        start_day = self._kf_working_day_on_or_after(plan.company_id, day, cache)
        # the order is read by its executor: its texts are in their language
        executor = self.user_id or plan.user_id
        lang = executor.lang or self.env.lang
        if lang not in labels:
            env = self.with_context(lang=lang).env
            labels[lang] = dict(self._fields["check_type"]._description_selection(env))
        label = labels[lang][self.check_type]
        return {
            "kf_order_type": "maintenance",
            "maintenance_plan_id": plan.id,
            "plan_line_id": self.id,
            "plan_key": key,
            "partner_id": contract.partner_id.id,
            "contract_id": contract.id,
            "project_id": plan.project_id.id,
            "company_id": plan.company_id.id,
            "user_id": (self.user_id or plan.user_id).id,
            "team_id": plan.team_id.id,
            "date_planned_start": datetime.combine(start_day, time(1)),
            "date_planned_end": datetime.combine(start_day, time(10)),
            "work_content": self.name or label,
            "check_ids": [
                Command.create({"equipment_id": equipment.id, "name": label, "point_count": equipment.point_count})
                for equipment in self.equipment_ids
            ],
        }

    @api.model
    def _kf_generate_manager_checks(self, plans, horizon):
        """The manager's check visits due by ``horizon``: one visit per
        plan and date, for the manager of the plan's company."""
        if not plans:
            return 0
        Visit = self.env["kf.visit"]
        managers, vals_list, next_dates = {}, [], {}
        for plan in plans:
            company = plan.company_id
            if company not in managers:
                managers[company] = company.kf_get_manager()
            day = plan.manager_check_date_next
            dates = []
            while day and day <= horizon:
                if day <= plan.contract_id.date_end:
                    dates.append(day)
                day += relativedelta(months=MANAGER_CHECK_MONTHS)
            next_dates.setdefault(day if day <= plan.contract_id.date_end else False, []).append(plan.id)
            manager = managers[company]
            if not manager:
                continue
            lang = manager.lang or self.env.lang
            body = plan.with_context(lang=lang).env._(
                "Manager's check: compare the control panels' point count with the register."
            )
            controllers = plan.equipment_ids.filtered("category_id.is_controller")[:1]
            vals_list += [
                {
                    "partner_id": plan.partner_id.id,
                    "company_id": company.id,
                    "user_id": manager.id,
                    "visit_type": "visit",
                    "channel": "onsite",
                    "date_planned": date,
                    "purpose": body,
                    "kf_purpose": "manager_check",
                    "kf_plan_id": plan.id,
                    "kf_equipment_id": controllers.id,
                    "source_model": "kf.service.contract",
                    "source_id": plan.contract_id.id,
                }
                for date in dates
            ]
        if vals_list:
            existing = {
                (visit.kf_plan_id.id, visit.date_planned)
                for visit in Visit.with_context(active_test=False).search(
                    [("kf_plan_id", "in", plans.ids), ("kf_purpose", "=", "manager_check")]
                )
            }
            vals_list = [v for v in vals_list if (v["kf_plan_id"], v["date_planned"]) not in existing]
            by_company = {}
            for vals in vals_list:
                by_company.setdefault(vals["company_id"], []).append(vals)
            Order = self.env["kf.dispatch.order"]
            for company_id, company_vals in by_company.items():
                names = Order.kf_draw_numbers(company_id, len(company_vals), Visit._kf_sequence_code)
                for vals, name in zip(company_vals, names, strict=True):
                    vals["name"] = name
            Visit.create(vals_list)
        for day, plan_ids in next_dates.items():
            plans.browse(plan_ids).manager_check_date_next = day
        return len(vals_list)
