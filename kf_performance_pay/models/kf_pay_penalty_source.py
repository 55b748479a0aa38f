import logging
from collections import defaultdict
from datetime import datetime

import pytz

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.kf_customer_service.models.kf_concurrency import hits_concurrent_rows

_logger = logging.getLogger(__name__)

# the auto sources, in the order the scan proposes them: a form missing is
# proposed before it can be signed late, and a form has one penalty at most
PROPOSAL_SOURCES = ("feedback_missing", "feedback_late", "callback_late", "complaint", "documents_late")


class KfPayPenalty(models.Model):
    _inherit = "kf.pay.penalty"

    # ------------------------------------------------------------------ auto proposals
    @api.model
    def _penalty_not_proposed(self, res_model):
        """SQL of the ids of ``res_model`` that already have a penalty (of
        any state, archived included): the scans leave them alone."""
        return SQL(
            "(SELECT res_id FROM kf_pay_penalty WHERE res_model = %s AND res_id IS NOT NULL)",
            res_model,
        )

    @api.model
    def _penalty_feedback_missing_domain(self, now, date_from):
        """First versions of feedback forms still unsigned past their due time."""
        return [
            ("previous_id", "=", False),
            ("state", "=", "draft"),
            ("date_due", "<", now),
            ("date_due", ">=", date_from),
            ("user_id", "!=", False),
            ("id", "not in", self._penalty_not_proposed("kf.service.feedback")),
        ]

    @api.model
    def _penalty_feedback_late_domain(self, now, date_from):
        """First versions of feedback forms signed after their due time."""
        return [
            ("previous_id", "=", False),
            ("state", "!=", "draft"),
            ("is_on_time", "=", False),
            ("date_due", ">=", date_from),
            ("user_id", "!=", False),
            ("id", "not in", self._penalty_not_proposed("kf.service.feedback")),
        ]

    @api.model
    def _penalty_callback_late_domain(self, now, date_from):
        """Call-backs not made on the day the feedback form was reviewed."""
        return [
            ("is_late", "=", True),
            ("date", ">=", date_from),
            ("clerk_id", "!=", False),
            ("id", "not in", self._penalty_not_proposed("kf.service.callback")),
        ]

    @api.model
    def _penalty_complaint_domain(self, now, date_from):
        """Confirmed complaint problems against a person, on a closed complaint ticket."""
        return [
            ("problem_type", "=", "complaint"),
            ("state", "in", ["confirmed", "resolved"]),
            ("user_id", "!=", False),
            ("ticket_id.ticket_type", "=", "complaint"),
            ("ticket_id.is_closed", "=", True),
            ("date", ">=", date_from),
            ("id", "not in", self._penalty_not_proposed("kf.problem")),
        ]

    @api.model
    def _penalty_documents_late_domain(self, now, date_from):
        """Commissioning orders done since ``date_from`` whose three documents
        did not all reach the clerk within the rule's days (default 3) of the
        order's completion: a broad SQL pre-selection (UTC days), refined per
        order in the company's time zone by ``_kf_documents_late``."""
        days = self.env["kf.pay.rule"].kf_rule_set(self.env.company).value("document_days", now.date(), default=3)
        late = SQL(
            """(SELECT id FROM kf_dispatch_order
                 WHERE kf_order_type = 'commissioning' AND date_done IS NOT NULL
                   AND date_done + make_interval(days => %(days)s) < %(now)s
                   AND (kf_doc_settlement_on IS NULL OR kf_doc_archive_on IS NULL OR kf_doc_survey_on IS NULL
                        OR GREATEST(kf_doc_settlement_on, kf_doc_archive_on, kf_doc_survey_on)
                           > date_done + make_interval(days => %(days)s)))""",
            days=int(days),
            now=now,
        )
        return [
            ("kf_order_type", "=", "commissioning"),
            ("state", "not in", ["draft", "cancelled"]),
            ("date_done", ">=", datetime.combine(date_from, datetime.min.time())),
            ("user_id", "!=", False),
            ("id", "in", late),
            ("id", "not in", self._penalty_not_proposed("kf.dispatch.order")),
        ]

    @api.model
    def _penalty_candidates(self, source, now, date_from, limit):
        """(records, [(record, company, local day, user), …]) for ``source``."""
        if source == "documents_late":
            orders = (
                self.env["kf.dispatch.order"]
                .sudo()
                .search(self._penalty_documents_late_domain(now, date_from), order="date_done, id", limit=limit)
            )
            candidates = []
            rule_sets = {}
            for order in orders:
                rules = rule_sets.setdefault(order.company_id, self.env["kf.pay.rule"].kf_rule_set(order.company_id))
                if order._kf_documents_late(rules):
                    candidates.append((order, order.company_id, order.date_done, order.user_id))
            return orders, candidates
        if source in ("feedback_missing", "feedback_late"):
            model, domain = "kf.service.feedback", getattr(self, f"_penalty_{source}_domain")(now, date_from)
            records = self.env[model].sudo().search(domain, order="date_due, id", limit=limit)
            when = "date_due" if source == "feedback_missing" else "signed_on"
            return records, [(r, r.company_id, r[when], r.user_id) for r in records]
        if source == "callback_late":
            records = (
                self.env["kf.service.callback"]
                .sudo()
                .search(self._penalty_callback_late_domain(now, date_from), order="date, id", limit=limit)
            )
            return records, [(r, r.company_id, r.date, r.clerk_id) for r in records]
        records = (
            self.env["kf.problem"]
            .sudo()
            .search(self._penalty_complaint_domain(now, date_from), order="date, id", limit=limit)
        )
        return records, [(r, r.company_id, r.date, r.user_id) for r in records]

    @api.model
    def _kf_lock_proposal_types(self, types):
        """Serialise the scans: lock the auto types' rows and stamp them.
        False when another scan committed meanwhile (it proposed what this
        one would: this one stops)."""
        cr = self.env.cr
        probe = SQL("SELECT id FROM kf_pay_penalty_type WHERE id = ANY(%s) ORDER BY id FOR UPDATE", types.ids)
        if hits_concurrent_rows(cr, probe, keep=True):
            return False
        cr.execute(
            SQL(
                "UPDATE kf_pay_penalty_type SET date_proposed = now() at time zone 'UTC' WHERE id = ANY(%s)",
                types.ids,
            )
        )
        types.invalidate_recordset(["date_proposed"])
        return True

    @api.model
    def _cron_propose_penalties(self, limit=500):
        """Daily: propose a penalty for each late or missing feedback form,
        late call-back and confirmed complaint not proposed yet (one per
        type and record: idempotent; a concurrent second run stops)."""
        return self.sudo()._kf_propose_penalties(limit=limit)

    @api.model
    def _kf_propose_penalties(self, limit=500):
        types = self.env["kf.pay.penalty.type"].sudo().search([("auto_source", "!=", "none")], order="id")
        if not types or not self._kf_lock_proposal_types(types):
            _logger.info("Penalty proposals: nothing to do or done by a concurrent run")
            return self.browse()
        now = fields.Datetime.now()
        vals_list, remaining = [], False
        for source in PROPOSAL_SOURCES:
            source_types = types.filtered(lambda t, s=source: t.auto_source == s)
            if not source_types:
                continue
            date_from = min(source_types.mapped("date_from"))
            records, candidates = self._penalty_candidates(source, now, date_from, limit)
            remaining = remaining or len(records) == limit
            for record, company, when, user in candidates:
                day = self._kf_local_day(company, when)
                ptype = source_types.kf_types_by_source(company, day, source)
                if ptype and user.active:
                    vals_list.append(self._kf_proposal_vals(ptype, record, company, day, user))
        penalties = self.create(vals_list) if vals_list else self.browse()
        if remaining:
            self.env["ir.cron"]._notify_progress(done=len(penalties), remaining=1)
        return penalties

    @api.model
    def _kf_local_day(self, company, when):
        if not isinstance(when, datetime):
            return when
        tz = pytz.timezone(company.resource_calendar_id.tz or "Asia/Shanghai")
        return pytz.utc.localize(when).astimezone(tz).date()

    @api.model
    def _kf_proposal_vals(self, ptype, record, company, day, user):
        return {
            "type_id": ptype.id,
            "user_id": user.id,
            "company_id": company.id,
            "date": day,
            "res_model": record._name,
            "res_id": record.id,
            "description": record.display_name,
            "proposed_by_id": False,
        }


class KfPayStatement(models.Model):
    _inherit = "kf.pay.statement"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _kf_pay_sources(self):
        return [*super()._kf_pay_sources(), "_kf_pay_items_penalty"]

    @api.model
    def _kf_pay_items_penalty(self, period):
        """Each confirmed penalty with an amount: a deduction due on its date."""
        penalties = (
            self.env["kf.pay.penalty"]
            .sudo()
            .search(
                [
                    ("company_id", "=", period.company.id),
                    ("state", "=", "confirmed"),
                    ("amount", ">", 0),
                    ("date", ">=", period.window_from),
                    ("date", "<=", period.date_to),
                ]
            )
        )
        by_lang = defaultdict(lambda: self.env["kf.pay.penalty"])
        for penalty in penalties:
            by_lang[penalty.user_id.lang or self.env.lang] |= penalty
        items = []
        for lang, group in by_lang.items():
            type_names = {t.id: t.name for t in group.type_id.with_context(lang=lang)}
            for penalty in group:
                env = penalty.user_id.kf_lang_env()
                items.append(
                    {
                        "user_id": penalty.user_id.id,
                        "category": "penalty",
                        "name": env._(
                            "%(type)s (occurrence %(occurrence)s) %(name)s",
                            type=type_names[penalty.type_id.id],
                            occurrence=penalty.occurrence,
                            name=penalty.name,
                        ),
                        "amount": -penalty.amount,
                        "quantity": 1.0,
                        "rate": penalty.amount,
                        "rule_id": False,
                        "res_model": "kf.pay.penalty",
                        "res_ids": [penalty.id],
                        "source_key": penalty._kf_source_key(),
                        "date_due": penalty.date,
                        "transferable": False,
                    }
                )
        return items
