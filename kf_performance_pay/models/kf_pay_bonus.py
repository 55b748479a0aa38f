from collections import defaultdict
from datetime import date, timedelta

from odoo import api, models
from odoo.tools import SQL

from .kf_pay_maintenance import SIGNED_STATES


class KfPayStatement(models.Model):
    _inherit = "kf.pay.statement"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _kf_pay_sources(self):
        return [
            *super()._kf_pay_sources(),
            "_kf_pay_items_year_feedback",
            "_kf_pay_items_year_new_customers",
            "_kf_pay_items_defect",
            "_kf_pay_items_spare_charges",
        ]

    @api.model
    def _kf_pay_year_ends(self, period):
        """The year-end days (31 December) in the period's window."""
        years = range(period.window_from.year, period.date_to.year + 1)
        return [day for day in (date(y, 12, 31) for y in years) if period.window_from <= day <= period.date_to]

    @staticmethod
    def _kf_users_envs(env, user_ids):
        users = env["res.users"].sudo().browse(list(user_ids))
        return {user.id: user.kf_lang_env() for user in users}

    # ------------------------------------------------------------------ feedback forms
    @api.model
    def _kf_pay_items_year_feedback(self, period):
        """Year-end bonus of the engineers whose feedback forms reviewed in
        the year reach the rule's count: one grouped query per year."""
        items = []
        Form = self.env["kf.service.feedback"].sudo()
        for year_end in self._kf_pay_year_ends(period):
            needed = period.rules.rule("year_feedback_count", year_end)
            bonus = period.rules.rule("year_feedback_bonus", year_end)
            if not needed or not bonus or needed.value <= 0:
                continue
            counts = Form._read_group(
                [
                    ("company_id", "=", period.company.id),
                    ("state", "=", "reviewed"),
                    ("next_version_id", "=", False),
                    ("user_id", "!=", False),
                    ("reviewed_on", ">=", period.utc(year_end.replace(month=1, day=1))),
                    ("reviewed_on", "<", period.utc(year_end + timedelta(days=1))),
                ],
                ["user_id"],
                ["__count"],
                having=[("__count", ">=", needed.value)],
            )
            envs = self._kf_users_envs(self.env, [user.id for user, _count in counts])
            for user, count in counts:
                items.append(
                    {
                        "user_id": user.id,
                        "category": "bonus",
                        "name": envs[user.id]._(
                            "Year-end bonus %(year)s: %(count)s feedback forms reviewed",
                            year=year_end.year,
                            count=count,
                        ),
                        "amount": bonus.value,
                        "quantity": count,
                        "rate": bonus.value,
                        "rule_id": bonus.id,
                        "res_model": "kf.service.feedback",
                        "res_ids": [],
                        "source_key": f"year_feedback:{year_end.year}:{user.id}",
                        "date_due": year_end,
                    }
                )
        return items

    # ------------------------------------------------------------------ new maintenance customers
    @api.model
    def _kf_new_customer_contracts(self, company, year_end):
        """The maintenance contracts signed for new customers in the year
        (no predecessor, starting in the year), by signer: {user id: contracts}."""
        contracts = (
            self.env["kf.service.contract"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("contract_type", "=", "maintenance"),
                    ("state", "in", SIGNED_STATES),
                    ("predecessor_id", "=", False),
                    ("kf_signer_id", "!=", False),
                    ("date_start", ">=", year_end.replace(month=1, day=1)),
                    ("date_start", "<=", year_end),
                ]
            )
        )
        by_signer = defaultdict(lambda: contracts.browse())
        for contract in contracts:
            by_signer[contract.kf_signer_id.id] |= contract
        return by_signer

    @api.model
    def _kf_receipts_in_year(self, contract_ids, year_end):
        """{contract id: payments received in the year on its invoices}
        (credit notes are not receipts): one query."""
        if not contract_ids:
            return {}
        self.env["account.move"].flush_model(["kf_contract_id", "state", "move_type"])
        self.env["account.partial.reconcile"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT m.kf_contract_id, sum(apr.amount)
                     FROM account_partial_reconcile apr
                     JOIN account_move_line dl ON dl.id = apr.debit_move_id
                     JOIN account_move m ON m.id = dl.move_id
                     JOIN account_move_line cl ON cl.id = apr.credit_move_id
                     JOIN account_move cm ON cm.id = cl.move_id
                    WHERE m.kf_contract_id = ANY(%s) AND m.move_type = 'out_invoice' AND m.state = 'posted'
                      AND cm.move_type != 'out_refund'
                      AND apr.max_date BETWEEN %s AND %s
                    GROUP BY m.kf_contract_id""",
                list(contract_ids),
                year_end.replace(month=1, day=1),
                year_end,
            )
        )
        return dict(rows)

    @api.model
    def _kf_pay_items_year_new_customers(self, period):
        """Year-end reward on the receipts of new maintenance customers: the
        higher of the rates reached by the number of new customers and by
        their receipts in the year."""
        items = []
        for year_end in self._kf_pay_year_ends(period):
            by_signer = self._kf_new_customer_contracts(period.company, year_end)
            all_ids = [cid for contracts in by_signer.values() for cid in contracts.ids]
            receipts = self._kf_receipts_in_year(all_ids, year_end)
            envs = self._kf_users_envs(self.env, by_signer)
            for user_id, contracts in sorted(by_signer.items()):
                received = sum(receipts.get(cid, 0.0) for cid in contracts.ids)
                customers = len(contracts.commercial_partner_id)
                tiers = [
                    period.rules.tier("year_new_customer_percent", customers, year_end),
                    period.rules.tier("year_receipt_percent", received, year_end),
                ]
                tiers = [tier for tier in tiers if tier]
                if not tiers or received <= 0:
                    continue
                tier = max(tiers, key=lambda t: t.value)
                items.append(
                    {
                        "user_id": user_id,
                        "category": "bonus",
                        "name": envs[user_id]._(
                            "Year-end reward %(year)s: %(count)s new maintenance customers, receipts of the year",
                            year=year_end.year,
                            count=customers,
                        ),
                        "amount": received * tier.value / 100.0,
                        "quantity": received,
                        "rate": tier.value,
                        "rule_id": tier.id,
                        "res_model": "kf.service.contract",
                        "res_ids": contracts.ids,
                        "source_key": f"year_new_customers:{year_end.year}:{user_id}",
                        "date_due": year_end,
                    }
                )
        return items

    # ------------------------------------------------------------------ product-defect reports
    @api.model
    def _kf_pay_items_defect(self, period):
        """A reward per product-defect report confirmed in the window, due on
        the confirmation day."""
        reports = (
            self.env["kf.product.defect.report"]
            .sudo()
            .with_context(active_test=False)
            .search_read(
                [
                    ("company_id", "=", period.company.id),
                    ("state", "=", "confirmed"),
                    ("confirmed_on", ">=", period.dt_window_from),
                    ("confirmed_on", "<", period.dt_to),
                ],
                ["name", "user_id", "confirmed_on"],
                load=None,
            )
        )
        envs = self._kf_users_envs(self.env, {r["user_id"] for r in reports})
        items = []
        for report in reports:
            day = period.local_date(report["confirmed_on"])
            rule = period.rules.rule("defect_bonus", day)
            if not rule:
                continue
            items.append(
                {
                    "user_id": report["user_id"],
                    "category": "reward",
                    "name": envs[report["user_id"]]._(
                        "Product defect report %(report)s confirmed", report=report["name"]
                    ),
                    "amount": rule.value,
                    "quantity": 1.0,
                    "rate": rule.value,
                    "rule_id": rule.id,
                    "res_model": "kf.product.defect.report",
                    "res_ids": [report["id"]],
                    "source_key": f"defect:{report['id']}",
                    "date_due": day,
                }
            )
        return items

    # ------------------------------------------------------------------ spare-part charges
    @api.model
    def _kf_pay_items_spare_charges(self, period):
        """Spare-part charges confirmed for a borrower (when the spare-parts
        addon is installed), deducted on their date."""
        if "kf.spare.part.charge" not in self.env:
            return []
        charges = (
            self.env["kf.spare.part.charge"]
            .sudo()
            .search_read(
                [
                    ("company_id", "=", period.company.id),
                    ("state", "in", ("confirmed", "deducted")),
                    ("date", ">=", period.window_from),
                    ("date", "<=", period.date_to),
                ],
                ["user_id", "amount", "date"],
                load=None,
            )
        )
        envs = self._kf_users_envs(self.env, {c["user_id"] for c in charges})
        return [
            {
                "user_id": charge["user_id"],
                "category": "spare_charge",
                "name": envs[charge["user_id"]]._("Spare-part charge"),
                "amount": -charge["amount"],
                "quantity": 1.0,
                "rate": 0.0,
                "rule_id": False,
                "res_model": "kf.spare.part.charge",
                "res_ids": [charge["id"]],
                "source_key": f"spare_charge:{charge['id']}",
                "date_due": charge["date"],
            }
            for charge in charges
        ]
