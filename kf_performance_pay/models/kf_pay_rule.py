from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

# The rule keys the pay sources read. A key is either a single value (the
# row's ``value``) or a tier table: rows of one key (and zone) with
# ``min_value`` ≤ measure < ``max_value`` (0 = no upper bound).
RULE_KEYS = [
    ("commission_rate", "Commissioning fee per point (tier: points of the order, by zone)"),
    ("alarm_points", "Points counted for a pure alarm controller"),
    ("volume_percent", "Monthly volume multiplier % (tier: points assigned in the month)"),
    ("low_volume_points", "Monthly points below which base pay is deducted"),
    ("low_volume_deduction", "Deduction from base pay below the monthly points"),
    ("advance_percent", "Commissioning fee paid after the confirmation call %"),
    ("document_days", "Days to hand in the commissioning documents"),
    ("clerk_percent", "Clerk's share of the month's commissioning fees %"),
    ("maint_signer_percent", "Maintenance commission to the contract's signer %"),
    ("maint_executor_percent", "Maintenance commission to the executors %"),
    ("repair_tax_percent", "Tax on the repair margin %"),
    ("year_points_bonus", "Year-end bonus (tier: commissioning points of the year)"),
    ("year_feedback_count", "Reviewed feedback forms needed for the year-end bonus"),
    ("year_feedback_bonus", "Year-end bonus for the reviewed feedback forms"),
    ("year_new_customer_percent", "Year-end % of receipts (tier: new maintenance customers)"),
    ("year_receipt_percent", "Year-end % of receipts (tier: receipts of new maintenance customers)"),
    ("defect_bonus", "Reward for a confirmed product-defect report"),
]
TIER_KEYS = {
    "commission_rate",
    "volume_percent",
    "year_points_bonus",
    "year_new_customer_percent",
    "year_receipt_percent",
}
ZONES = [
    ("local", "Local city"),
    ("county", "County of the local city"),
    ("outside", "Outside the local city"),
    ("partner", "Long-term partner outside the province"),
]
# what a reviewed or approved statement has used cannot change any more
LOCKED_FIELDS = {"key", "zone", "min_value", "max_value", "value", "date_from", "company_id"}


class KfPayRuleSet:
    """The pay rules of one company, read once (one query) and looked up in
    Python by the pay sources: ``value(key, day)`` and ``tier(key, measure,
    day, zone)``. A company's own rows win over the shared ones (company
    empty) for the same key."""

    def __init__(self, rules, company):
        self.company = company
        own = {(r.key, r.zone) for r in rules if r.company_id}
        self.rows = [r for r in rules if r.company_id or (r.key, r.zone) not in own]
        # the rows' values by (key, zone), read once: the sources look rules
        # up for each record they pay
        self._by_key = {}
        for row in self.rows:
            self._by_key.setdefault((row.key, row.zone or False), []).append(
                (row.date_from, row.date_to, row.min_value, row.max_value, row)
            )

    def _valid_values(self, key, day, zone=False):
        return [
            values
            for values in self._by_key.get((key, zone or False), ())
            if values[0] <= day and (not values[1] or day <= values[1])
        ]

    def _valid(self, key, day, zone=False):
        return [values[4] for values in self._valid_values(key, day, zone)]

    def rule(self, key, day, zone=False):
        """The rule row of a single-valued key valid on ``day`` (empty recordset when none)."""
        rows = self._valid(key, day, zone)
        return rows[0] if rows else None

    def value(self, key, day, zone=False, default=0.0):
        row = self.rule(key, day, zone)
        return row.value if row else default

    def tier(self, key, measure, day, zone=False):
        """The tier row of ``key`` whose [min, max) holds ``measure`` on ``day``, else None."""
        for _date_from, _date_to, min_value, max_value, row in self._valid_values(key, day, zone):
            if min_value <= measure and (not max_value or measure < max_value):
                return row
        return None


class KfPayRule(models.Model):
    _name = "kf.pay.rule"
    _description = "Performance pay rule"
    _inherit = ["mail.thread"]
    _order = "key, zone, company_id, date_from desc, min_value"

    key = fields.Selection(RULE_KEYS, required=True, tracking=True, index=True)
    is_tier = fields.Boolean(compute="_compute_is_tier")
    zone = fields.Selection(ZONES, tracking=True, help="Commissioning fees: where the commissioned site lies.")
    # tier bounds and rates: a sum over a group of rules means nothing
    min_value = fields.Float(
        "From",
        tracking=True,
        aggregator=None,
        help="Tier rules: lowest measure (points, count or amount) of the tier, included.",
    )
    max_value = fields.Float(
        "Below",
        tracking=True,
        aggregator=None,
        help="Tier rules: the tier ends below this measure; 0 = no upper bound.",
    )
    value = fields.Float(required=True, tracking=True, digits=(16, 4), aggregator=None)
    date_from = fields.Date("Valid From", required=True, tracking=True)
    date_to = fields.Date("Valid To", tracking=True, help="Empty = still valid.")
    company_id = fields.Many2one("res.company", tracking=True, help="Empty = every company without its own rule.")
    note = fields.Text(help="Where the value comes from, and the choice made where the source is ambiguous.")
    active = fields.Boolean(default=True, tracking=True)

    _sql_constraints = [
        ("kf_pay_rule_dates", "CHECK(date_to IS NULL OR date_to >= date_from)", "A rule ends after it starts."),
        ("kf_pay_rule_range", "CHECK(max_value = 0 OR max_value > min_value)", "A tier ends above where it starts."),
    ]

    @api.depends("key")
    def _compute_is_tier(self):
        for rule in self:
            rule.is_tier = rule.key in TIER_KEYS

    @api.depends("key", "zone", "min_value", "max_value", "value")
    def _compute_display_name(self):
        labels = dict(self._fields["key"]._description_selection(self.env))
        zones = dict(self._fields["zone"]._description_selection(self.env))
        for rule in self:
            name = labels.get(rule.key, "")
            if rule.zone:
                name = f"{name} · {zones[rule.zone]}"
            if rule.key in TIER_KEYS:
                upper = f"{rule.max_value:g}" if rule.max_value else "∞"
                name = f"{name} [{rule.min_value:g}, {upper})"
            rule.display_name = name

    @api.constrains("key", "zone", "min_value", "max_value", "date_from", "date_to", "company_id", "active")
    def _check_overlap(self):
        """Two active rows of one key, zone and company may not apply to the
        same measure on the same day: the pay would depend on the row order."""
        for rule in self.filtered("active"):
            others = self.search(
                [
                    ("id", "!=", rule.id),
                    ("key", "=", rule.key),
                    ("zone", "=", rule.zone),
                    ("company_id", "=", rule.company_id.id),
                    "|",
                    ("date_to", "=", False),
                    ("date_to", ">=", rule.date_from),
                ]
            )
            for other in others:
                if rule.date_to and other.date_from > rule.date_to:
                    continue
                if rule.key in TIER_KEYS:
                    top = rule.max_value or float("inf")
                    other_top = other.max_value or float("inf")
                    if other.min_value >= top or rule.min_value >= other_top:
                        continue
                raise ValidationError(
                    self.env._(
                        "The rule “%(rule)s” overlaps “%(other)s” (valid from %(date)s): end one before the other"
                        " starts.",
                        rule=rule.display_name,
                        other=other.display_name,
                        date=other.date_from,
                    )
                )

    @api.constrains("key", "zone")
    def _check_zone(self):
        for rule in self:
            if (rule.key == "commission_rate") != bool(rule.zone):
                raise ValidationError(self.env._("A commissioning fee rate needs a zone; other rules have none."))

    def write(self, vals):
        if not self.env.su:
            self._kf_check_unlocked(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        for rule in self:
            if rule._kf_locked_until():
                raise UserError(
                    self.env._(
                        "The rule “%(rule)s” was used by approved pay statements: archive it or end its validity.",
                        rule=rule.display_name,
                    )
                )

    def _kf_locked_until(self):
        """Last day of the latest reviewed or approved statement month this
        rule's validity covers (in its company, or any company for a shared
        rule), else None: statements past that point were paid on it."""
        self.ensure_one()
        company = SQL("AND company_id = %s", self.company_id.id) if self.company_id else SQL()
        self.env.cr.execute(
            SQL(
                """SELECT max(date_to) FROM kf_pay_statement
                    WHERE state IN ('reviewed', 'approved') AND date_to >= %s %s
                      AND (%s::date IS NULL OR date_from <= %s::date)""",
                self.date_from,
                company,
                self.date_to or None,
                self.date_to or None,
            )
        )
        return self.env.cr.fetchone()[0]

    def _kf_check_unlocked(self, vals):
        """Rule values used by reviewed or approved statements stay as they
        were: change them by ending the row (``date_to``) and adding a new
        one. Ending it before the last locked month is refused too."""
        locked_fields = LOCKED_FIELDS & set(vals)
        if not locked_fields and "date_to" not in vals and "active" not in vals:
            return
        for rule in self:
            until = rule._kf_locked_until()
            if not until:
                continue
            new_end = fields.Date.to_date(vals.get("date_to")) if "date_to" in vals else rule.date_to
            changed = {f for f in locked_fields if rule._fields[f].convert_to_write(rule[f], rule) != vals[f]}
            if changed or (new_end and new_end < until) or vals.get("active") is False:
                raise UserError(
                    self.env._(
                        "The rule “%(rule)s” was used by pay statements reviewed or approved up to %(date)s."
                        " End its validity after that date and add a new rule instead of changing it.",
                        rule=rule.display_name,
                        date=until,
                    )
                )

    @api.model
    def kf_rule_set(self, company):
        """All active rules of ``company`` (and the shared ones) in one query."""
        rules = self.sudo().search([("company_id", "in", [False, company.id])])
        return KfPayRuleSet(rules, company)
