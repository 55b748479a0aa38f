from collections import Counter, defaultdict
from datetime import datetime

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import format_date

from .kf_pay_statement import LOOKBACK_MONTHS

# contract states whose fees count (signed and not cancelled)
SIGNED_STATES = ("running", "expired", "renewed")


def _local_date(company, dt):
    """The day of the UTC naive datetime ``dt`` in the company calendar's time zone (a date is kept)."""
    if not isinstance(dt, datetime):
        return dt
    tz = pytz.timezone(company.resource_calendar_id.tz or "Asia/Shanghai")
    return pytz.utc.localize(dt).astimezone(tz).date()


class KfPayStatement(models.Model):
    _inherit = "kf.pay.statement"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _kf_pay_sources(self):
        return [*super()._kf_pay_sources(), "_kf_pay_items_maintenance"]

    @api.model
    def _kf_pay_items_maintenance(self, period):
        """Maintenance commission: the signer's share of the fees received
        once the contract is fully paid, the executors' share once the
        maintenance period ended with every planned visit done and its form
        reviewed."""
        return self._kf_maint_signer_items(period) + self._kf_maint_executor_items(period)

    # ------------------------------------------------------------------ signer
    @api.model
    def _kf_maint_paid_dates(self, company, date_from, date_to):
        """{contract id: day of the last reconciliation of its invoices} for
        the company's maintenance contracts whose last reconciliation falls
        in [date_from, date_to]: one query."""
        self.env["account.move"].flush_model(["kf_contract_id", "state", "move_type"])
        self.env["kf.service.contract"].flush_model(["contract_type", "company_id", "state"])
        rows = self.env.execute_query(
            SQL(
                """SELECT m.kf_contract_id, max(apr.max_date)
                     FROM account_move m
                     JOIN kf_service_contract c ON c.id = m.kf_contract_id
                     JOIN account_move_line aml ON aml.move_id = m.id
                     JOIN account_partial_reconcile apr
                       ON apr.debit_move_id = aml.id OR apr.credit_move_id = aml.id
                    WHERE c.company_id = %s AND c.contract_type = 'maintenance' AND c.state IN %s
                      AND m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')
                    GROUP BY m.kf_contract_id
                   HAVING max(apr.max_date) BETWEEN %s AND %s""",
                company.id,
                SIGNED_STATES,
                date_from,
                date_to,
            )
        )
        return dict(rows)

    @api.model
    def _kf_maint_fully_paid(self, contract_ids):
        """The contracts among ``contract_ids`` whose payment schedule is
        entirely paid (at least one line, none open)."""
        Line = self.env["kf.contract.payment.line"].sudo()
        domain = [("contract_id", "in", contract_ids), ("amount", ">", 0)]
        open_ids = {c.id for (c,) in Line._read_group([*domain, ("state", "!=", "paid")], ["contract_id"])}
        return self.env["kf.service.contract"].sudo().browse([cid for cid in contract_ids if cid not in open_ids])

    @api.model
    def _kf_maint_signer_items(self, period):
        paid_on = self._kf_maint_paid_dates(period.company, period.window_from, period.date_to)
        contracts = self._kf_maint_fully_paid(list(paid_on))
        items = []
        for contract in contracts:
            signer = contract.kf_signer_id or contract.user_id
            received = contract.amount_received
            day = paid_on[contract.id]
            rule = period.rules.rule("maint_signer_percent", day)
            if not signer or not rule or contract.currency_id.is_zero(received):
                continue
            env = signer.kf_lang_env()
            items.append(
                {
                    "user_id": signer.id,
                    "category": "maintenance_signer",
                    "name": env._(
                        "Maintenance contract %(contract)s fully paid: signer's commission", contract=contract.name
                    ),
                    "amount": received * rule.value / 100.0,
                    "quantity": received,
                    "rate": rule.value,
                    "rule_id": rule.id,
                    "res_model": "kf.service.contract",
                    "res_ids": [contract.id],
                    "source_key": f"maint_signer:{contract.id}",
                    "date_due": day,
                }
            )
        return items

    # ------------------------------------------------------------------ executors
    @api.model
    def _kf_maint_executor_checks(self, contracts):
        """{contract id: check} for maintenance contracts: ``due`` (the day
        the executors' commission falls due, or None while something stops
        it), ``executors`` (Counter user id → orders executed), ``orders``
        (their ids) and ``status`` (the reason, in the current language).
        Four queries, whatever the number of contracts."""
        contracts = contracts.sudo()
        env = self.env
        plans = env["kf.maintenance.plan"].sudo().search([("contract_id", "in", contracts.ids)])
        plan_contract = {p["id"]: p["contract_id"] for p in plans.read(["contract_id"], load=None)}
        orders = (
            env["kf.dispatch.order"]
            .sudo()
            .search_read(
                [("maintenance_plan_id", "in", plans.ids), ("state", "!=", "cancelled")],
                ["maintenance_plan_id", "state", "user_id", "name"],
                load=None,
            )
        )
        forms = (
            env["kf.service.feedback"]
            .sudo()
            .search_read(
                [("order_id", "in", [o["id"] for o in orders]), ("next_version_id", "=", False)],
                ["order_id", "state", "reviewed_on"],
                load=None,
            )
        )
        form_by_order = {f["order_id"]: f for f in forms}
        by_contract = defaultdict(list)
        for order in orders:
            by_contract[plan_contract[order["maintenance_plan_id"]]].append(order)
        today = fields.Date.context_today(self)
        checks = {}
        for contract in contracts:
            check = {"due": None, "executors": Counter(), "orders": [], "status": ""}
            checks[contract.id] = check
            contract_orders = by_contract.get(contract.id, [])
            undone = [o["name"] for o in contract_orders if o["state"] not in ("done", "closed")]
            unreviewed = [
                o["name"]
                for o in contract_orders
                if o["state"] in ("done", "closed") and form_by_order.get(o["id"], {}).get("state") != "reviewed"
            ]
            if not contract_orders:
                check["status"] = env._("No planned maintenance work order: no executors' commission.")
            elif undone:
                check["status"] = env._("Planned work orders not done: %(orders)s", orders=", ".join(undone))
            elif unreviewed:
                check["status"] = env._(
                    "Feedback forms missing, not signed or not reviewed: %(orders)s", orders=", ".join(unreviewed)
                )
            else:
                reviews = [form_by_order[o["id"]]["reviewed_on"] for o in contract_orders]
                last_review = max((r for r in reviews if r), default=None)
                due = max(contract.date_end, _local_date(contract.company_id, last_review or contract.date_end))
                check.update(
                    due=due,
                    executors=Counter(o["user_id"] for o in contract_orders if o["user_id"]),
                    orders=[o["id"] for o in contract_orders],
                )
                if contract.date_end >= today:
                    check["status"] = env._(
                        "Every planned work order is done and reviewed; due when the period ends on %(date)s.",
                        date=format_date(env, contract.date_end),
                    )
                else:
                    check["status"] = env._("Due on %(date)s.", date=format_date(env, due))
        return checks

    @api.model
    def _kf_maint_executor_items(self, period):
        contracts = (
            self.env["kf.service.contract"]
            .sudo()
            .search(
                [
                    ("company_id", "=", period.company.id),
                    ("contract_type", "=", "maintenance"),
                    ("state", "in", SIGNED_STATES),
                    ("date_end", "<=", period.date_to),
                    ("date_end", ">=", period.window_from - relativedelta(months=LOOKBACK_MONTHS)),
                ]
            )
        )
        checks = self._kf_maint_executor_checks(contracts)
        users = self.env["res.users"].sudo().browse({uid for c in checks.values() for uid in c["executors"]})
        envs = {user.id: user.kf_lang_env() for user in users}
        items = []
        for contract in contracts:
            check = checks[contract.id]
            rule = check["due"] and period.rules.rule("maint_executor_percent", check["due"])
            if rule and check["executors"] and not contract.currency_id.is_zero(contract.amount_received):
                items += self._kf_maint_executor_shares(contract, check, rule, envs)
        return items

    @api.model
    def _kf_maint_executor_shares(self, contract, check, rule, envs):
        """The executors' commission split by the number of planned orders
        each executed, exact to the cent: the last share takes the rest."""
        currency = contract.company_id.currency_id
        received = contract.amount_received
        total = currency.round(received * rule.value / 100.0)
        orders_total = sum(check["executors"].values())
        executors = sorted(check["executors"].items())
        items = []
        remaining = total
        for index, (user_id, count) in enumerate(executors):
            share = remaining if index == len(executors) - 1 else currency.round(total * count / orders_total)
            remaining -= share
            env = envs[user_id]
            items.append(
                {
                    "user_id": user_id,
                    "category": "maintenance_executor",
                    "name": env._(
                        "Maintenance contract %(contract)s completed: executors' commission "
                        "(%(count)s of %(total)s visits)",
                        contract=contract.name,
                        count=count,
                        total=orders_total,
                    ),
                    "amount": share,
                    "quantity": received,
                    "rate": rule.value * count / orders_total,
                    "rule_id": rule.id,
                    "res_model": "kf.dispatch.order",
                    "res_ids": check["orders"],
                    "source_key": f"maint_executor:{contract.id}:{user_id}",
                    "date_due": check["due"],
                    "transferable": True,
                }
            )
        return items
