from collections import defaultdict
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .kf_dispatch_order import KF_PAY_DOCUMENTS

SPECIALIST_GROUP = "kf_customer_service.group_kf_specialist"
MANAGER_GROUP = "kf_customer_service.group_kf_manager"
FEE_CATEGORIES = ("commissioning", "commissioning_final")
ORDER_MODEL = "kf.dispatch.order"
# the order fields a commissioning fee is computed from
ORDER_FEE_FIELDS = [
    "name",
    "company_id",
    "user_id",
    "date_dispatched",
    "date_done",
    "date_closed",
    "kf_pay_callback_date",
    "kf_pay_counted_points",
    "kf_pay_points",
    "kf_pay_zone",
    "kf_acceptance_date",
    *KF_PAY_DOCUMENTS,
]


def _num(value):
    """A rule figure or measure as written in a line's description."""
    return f"{value:g}"


class KfPayStatement(models.Model):
    _inherit = "kf.pay.statement"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _kf_pay_sources(self):
        return [*super()._kf_pay_sources(), "_kf_pay_items_commissioning"]

    # ------------------------------------------------------------------ selections
    @api.model
    def _kf_commissioning_orders_domain(self, period):
        """Closed commissioning orders with paid points whose 80 % (the
        confirming call-back) or 20 % (31 December of that year, or the
        later inspection acceptance) may fall due in the period's window."""
        return [
            ("company_id", "=", period.company.id),
            ("kf_order_type", "=", "commissioning"),
            ("state", "=", "closed"),
            ("kf_pay_points", ">", 0),
            ("kf_pay_callback_date", "<=", period.date_to),
            "|",
            ("kf_pay_callback_date", ">=", date(period.window_from.year, 1, 1)),
            ("kf_acceptance_date", ">=", period.window_from),
        ]

    @api.model
    def _kf_commissioning_specialists(self, company):
        """The specialists who do commissioning, for the low-volume rule:
        active internal users allowed in ``company`` in the KF specialist
        group who are not KF managers (directors are managers too). The
        department lacked work in a month when its assigned points are below
        the low-volume points times their number."""
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("share", "=", False),
                    ("company_ids", "in", company.id),
                    ("groups_id", "in", self.env.ref(SPECIALIST_GROUP).id),
                    ("groups_id", "not in", self.env.ref(MANAGER_GROUP).id),
                ]
            )
        )

    @staticmethod
    def _kf_load_langs(users):
        """Read the language and time zone of all ``users`` at once: item
        names are written in each beneficiary's language."""
        users = users.sudo()
        users.mapped("lang")
        users.mapped("tz")
        return users

    # ------------------------------------------------------------------ source
    @api.model
    def _kf_pay_items_commissioning(self, period):
        """Commissioning fees (80 % after the call-back, 20 % balance), the
        low-volume deduction of the month and the year-end points bonus: a
        few grouped queries for the whole company."""
        Order = self.env[ORDER_MODEL].sudo()
        orders = Order.search(self._kf_commissioning_orders_domain(period), order="id")
        orders = self._kf_commissioning_unpaid(period, orders)
        # the fields the fees read, for all orders in one query (not in
        # prefetch batches of 1,000)
        orders.fetch(ORDER_FEE_FIELDS)
        self._kf_load_langs(orders.user_id)
        months = {self._kf_assigned_month(period, order) for order in orders} | {period.date_from}
        volumes = self._kf_commissioning_volumes(period, months)
        items = []
        for order in orders:
            items += self._kf_commissioning_fee_items(period, order, volumes)
        items += self._kf_low_volume_items(period, volumes)
        items += self._kf_year_points_items(period)
        return items

    @api.model
    def _kf_commissioning_unpaid(self, period, orders):
        """The orders among ``orders`` with a fee the period may pay: an 80 %
        (due on the call-back day) or a 20 % (due on 31 December of the
        call-back's year, or on the later acceptance day) falling due in the
        period's window and not on a statement other than this month's
        drafts. The others would only give items dropped as paid or not due:
        one query, so that a month does not rebuild the fees of the whole
        window.

        Orders whose documents are late under every document-days rule of
        the company (handed in, or still missing, after the longest delay
        any rule allows) can never be paid: they are left out here, so that
        they are not read again every month."""
        if not orders:
            return orders
        self.env["kf.pay.statement.line"].flush_model(["source_key", "statement_id", "company_id"])
        self.flush_model(["company_id", "date_from", "state"])
        self.env[ORDER_MODEL].flush_model(
            ["kf_pay_callback_date", "kf_acceptance_date", "date_done", *KF_PAY_DOCUMENTS]
        )
        # the longest delay any rule allows (the rule set's default is 3 days);
        # timedelta(days=x) keeps whole days
        max_days = max([3.0, *(row.value for row in period.rules.rows if row.key == "document_days")])
        rows = self.env.execute_query(
            SQL(
                """WITH local AS (SELECT id, kf_pay_callback_date, kf_acceptance_date,
                                        (date_done AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS done,
                                        GREATEST((kf_doc_settlement_on AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date,
                                                 (kf_doc_archive_on AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date,
                                                 (kf_doc_survey_on AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date)
                                            AS received,
                                        kf_doc_settlement_on IS NOT NULL AND kf_doc_archive_on IS NOT NULL
                                            AND kf_doc_survey_on IS NOT NULL AS complete
                                   FROM kf_dispatch_order WHERE id = ANY(%(ids)s)),
                        o AS (SELECT id, kf_pay_callback_date AS callback, kf_acceptance_date AS accepted
                                FROM local
                               WHERE done IS NULL
                                  OR CASE WHEN complete THEN received <= done + %(max_days)s
                                          ELSE %(today)s <= done + %(max_days)s END),
                        due AS (SELECT id, 'comm80:' || id AS key, callback AS day FROM o
                                 UNION ALL
                                SELECT id, 'comm20:' || id,
                                       GREATEST(make_date(extract(year FROM callback)::int, 12, 31), accepted)
                                  FROM o WHERE accepted IS NOT NULL)
                   SELECT DISTINCT due.id FROM due
                    WHERE due.day BETWEEN %(window_from)s AND %(date_to)s
                      AND NOT EXISTS (
                          SELECT 1 FROM kf_pay_statement_line l
                            JOIN kf_pay_statement s ON s.id = l.statement_id
                           WHERE l.company_id = %(company)s AND l.source_key = due.key
                             AND NOT (s.date_from = %(month)s AND s.state = 'draft'))""",
                ids=orders.ids,
                tz=period.tz.zone,
                max_days=int(timedelta(days=max_days).days),
                today=fields.Date.context_today(self.with_context(tz=period.tz.zone)),
                window_from=period.window_from,
                date_to=period.date_to,
                company=period.company.id,
                month=period.date_from,
            )
        )
        unpaid = {row[0] for row in rows}
        return orders.browse([order_id for order_id in orders.ids if order_id in unpaid])

    @staticmethod
    def _kf_assigned_month(period, order):
        """First day of the company-local month the order was assigned
        (memoised in the period: the fees ask again for each order)."""
        key = ("assigned_month", order.id)
        if key not in period.memo:
            day = period.local_date(order.date_dispatched or order.date_done or order.date_closed)
            period.memo[key] = day + relativedelta(day=1)
        return period.memo[key]

    @api.model
    def _kf_commissioning_volumes(self, period, months):
        """{(month, user id): points assigned} for the given months: the
        commissioning orders (not cancelled) dispatched to each executor in
        the company-local month, a pure alarm controller counting the rule's
        alarm points. One grouped query."""
        first, last = min(months), max(months) + relativedelta(months=1)
        groups = (
            self.env[ORDER_MODEL]
            .sudo()
            .with_context(tz=period.tz.zone)
            ._read_group(
                [
                    ("company_id", "=", period.company.id),
                    ("kf_order_type", "=", "commissioning"),
                    ("state", "!=", "cancelled"),
                    ("date_dispatched", ">=", period.utc(first)),
                    ("date_dispatched", "<", period.utc(last)),
                ],
                ["user_id", "date_dispatched:month", "kf_pay_alarm_only"],
                ["point_count:sum", "__count"],
            )
        )
        volumes = defaultdict(float)
        for user, month, alarm_only, points, count in groups:
            month = month.date() if isinstance(month, datetime) else month
            if alarm_only:
                points = count * period.rules.value("alarm_points", month, default=points / (count or 1))
            volumes[(month, user.id)] += points
        return volumes

    @api.model
    def _kf_commissioning_fee_items(self, period, order, volumes):
        """The 80 % and 20 % items of one order (already read in batch): fee
        = paid points x the zone's rate for the controller's counted points
        on the closing day x the volume % of the executor's assigned month.
        Nothing until the three documents reached the clerk, nothing
        when they reached them late."""
        rules = period.rules
        user = order.user_id
        documents = all(order[fname] for fname in KF_PAY_DOCUMENTS)
        if not user or not documents or order._kf_documents_late(rules):
            return []
        callback_day = order.kf_pay_callback_date
        closed_on = period.local_date(order.date_closed) or callback_day
        rate = rules.tier("commission_rate", order.kf_pay_counted_points, closed_on, order.kf_pay_zone)
        month = self._kf_assigned_month(period, order)
        assigned = volumes.get((month, user.id), 0.0)
        volume = rules.tier("volume_percent", assigned, month)
        if not rate:
            return []
        volume_percent = volume.value if volume else 100.0
        points = order.kf_pay_points
        fee = points * rate.value * volume_percent / 100.0
        advance_percent = rules.value("advance_percent", callback_day, default=100.0)
        key = ("lang_env", user.id)
        if key not in period.memo:
            period.memo[key] = user.kf_lang_env()
        env = period.memo[key]
        common = {
            "user_id": user.id,
            "quantity": points,
            "rate": rate.value * volume_percent / 100.0,
            "rule_id": rate.id,
            "res_model": ORDER_MODEL,
            "res_ids": [order.id],
        }
        items = [
            dict(
                common,
                category="commissioning",
                name=env._(
                    "Commissioning %(order)s: %(percent)s%% of %(points)s points x %(rate)s x volume %(volume)s%%",
                    order=order.name,
                    percent=_num(advance_percent),
                    points=order.kf_pay_points,
                    rate=_num(rate.value),
                    volume=_num(volume_percent),
                ),
                amount=fee * advance_percent / 100.0,
                source_key=f"comm80:{order.id}",
                date_due=callback_day,
                transferable=False,
            )
        ]
        accepted = order.kf_acceptance_date
        if accepted and advance_percent < 100.0:
            year_end = date(callback_day.year, 12, 31)
            items.append(
                dict(
                    common,
                    category="commissioning_final",
                    name=env._(
                        "Commissioning %(order)s: balance %(percent)s%% (inspection accepted on %(date)s)",
                        order=order.name,
                        percent=_num(100.0 - advance_percent),
                        date=period.format_date(env, accepted),
                    ),
                    amount=fee - fee * advance_percent / 100.0,
                    source_key=f"comm20:{order.id}",
                    date_due=year_end if accepted <= year_end else accepted,
                    transferable=True,
                )
            )
        return items

    @api.model
    def _kf_low_volume_items(self, period, volumes):
        """A specialist assigned fewer points than the rule in the month has
        the deduction, unless the whole department lacked work."""
        rules = period.rules
        limit_rule = rules.rule("low_volume_points", period.date_from)
        deduction_rule = rules.rule("low_volume_deduction", period.date_from)
        if not limit_rule or not deduction_rule:
            return []
        specialists = self._kf_load_langs(self._kf_commissioning_specialists(period.company))
        total = sum(points for (month, _uid), points in volumes.items() if month == period.date_from)
        if total < limit_rule.value * len(specialists):
            return []
        month = f"{period.date_from:%Y-%m}"
        items = []
        for user in specialists:
            points = volumes.get((period.date_from, user.id), 0.0)
            if points >= limit_rule.value:
                continue
            items.append(
                {
                    "user_id": user.id,
                    "category": "volume_deduction",
                    "name": user.kf_lang_env()._(
                        "Commissioning volume of %(month)s: %(points)s points, below %(limit)s",
                        month=month,
                        points=_num(points),
                        limit=_num(limit_rule.value),
                    ),
                    "amount": -deduction_rule.value,
                    "quantity": points,
                    "rate": deduction_rule.value,
                    "rule_id": deduction_rule.id,
                    "res_model": "res.users",
                    "res_ids": [user.id],
                    "source_key": f"lowvol:{user.id}:{month}",
                    "date_due": period.date_to,
                }
            )
        return items

    @api.model
    def _kf_year_points_items(self, period):
        """Year-end bonus on each executor's paid points of the commissioning
        orders closed in the year, due on 31 December: one grouped query per
        year end in the window."""
        items = []
        for year in range(period.window_from.year, period.date_to.year + 1):
            year_end = date(year, 12, 31)
            if not period.window_from <= year_end <= period.date_to:
                continue
            groups = (
                self.env[ORDER_MODEL]
                .sudo()
                ._read_group(
                    [
                        ("company_id", "=", period.company.id),
                        ("kf_order_type", "=", "commissioning"),
                        ("state", "=", "closed"),
                        ("kf_pay_points", ">", 0),
                        ("date_closed", ">=", period.utc(date(year, 1, 1))),
                        ("date_closed", "<", period.utc(date(year + 1, 1, 1))),
                    ],
                    ["user_id"],
                    ["kf_pay_points:sum"],
                )
            )
            self._kf_load_langs(self.env["res.users"].union(*(user for user, _points in groups)))
            for user, points in groups:
                tier = period.rules.tier("year_points_bonus", points, year_end)
                if not user or not tier:
                    continue
                items.append(
                    {
                        "user_id": user.id,
                        "category": "bonus",
                        "name": user.kf_lang_env()._(
                            "Year-end bonus %(year)s: %(points)s commissioning points", year=year, points=points
                        ),
                        "amount": tier.value,
                        "quantity": points,
                        "rate": tier.value,
                        "rule_id": tier.id,
                        "res_model": "res.users",
                        "res_ids": [user.id],
                        "source_key": f"yearpts:{user.id}:{year}",
                        "date_due": year_end,
                    }
                )
        return items

    # ------------------------------------------------------------------ clerk's share
    @api.model
    def _kf_pay_post_items(self, period, items):
        """The clerk's share: a percentage of each specialist's commissioning
        items of the statement is deducted from them (one line per
        specialist) and paid to the company's commissioning clerk (one line).
        Fees of statements already reviewed this month are shared by the
        month that pays them."""
        items = super()._kf_pay_post_items(period, items)
        clerk = period.company.sudo().kf_pay_clerk_id
        rule = period.rules.rule("clerk_percent", period.date_to)
        if not clerk or not rule or not rule.value:
            return items
        # a statement of the month already reviewed keeps its lines: its
        # fees are paid (and shared) by a later month
        locked = {
            statement.user_id.id
            for statement in self.sudo().search(
                [
                    ("company_id", "=", period.company.id),
                    ("date_from", "=", period.date_from),
                    ("state", "!=", "draft"),
                ]
            )
        }
        if clerk.id in locked:
            return items
        currency = period.company.currency_id
        fees = defaultdict(float)
        for item in items:
            if item["category"] in FEE_CATEGORIES and item["user_id"] not in locked | {clerk.id}:
                fees[item["user_id"]] += currency.round(item["amount"])
        month = f"{period.date_from:%Y-%m}"
        shares = []
        total = 0.0
        for user in self._kf_load_langs(self.env["res.users"].browse(sorted(fees)) | clerk):
            if user == clerk:
                continue
            share = currency.round(fees[user.id] * rule.value / 100.0)
            if not share:
                continue
            total += share
            shares.append(
                {
                    "user_id": user.id,
                    "category": "clerk_share",
                    "name": user.kf_lang_env()._(
                        "Clerk's share: %(percent)s%% of the commissioning fees of %(month)s",
                        percent=_num(rule.value),
                        month=month,
                    ),
                    "amount": -share,
                    "quantity": fees[user.id],
                    "rate": rule.value,
                    "rule_id": rule.id,
                    "res_model": "res.users",
                    "res_ids": [user.id],
                    "source_key": f"clerkcut:{user.id}:{month}",
                    "date_due": period.date_to,
                }
            )
        if shares:
            shares.append(
                {
                    "user_id": clerk.id,
                    "category": "clerk_share",
                    "name": clerk.kf_lang_env()._(
                        "Clerk's share: %(percent)s%% of the specialists' commissioning fees of %(month)s",
                        percent=_num(rule.value),
                        month=month,
                    ),
                    "amount": total,
                    "quantity": sum(fees.values()),
                    "rate": rule.value,
                    "rule_id": rule.id,
                    "res_model": "res.users",
                    "res_ids": [s["user_id"] for s in shares],
                    "source_key": f"clerkshare:{month}",
                    "date_due": period.date_to,
                }
            )
        return items + shares
