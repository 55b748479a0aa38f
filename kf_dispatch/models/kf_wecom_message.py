import logging
from datetime import timedelta

import requests

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import format_datetime

_logger = logging.getLogger(__name__)

# minutes to wait before the next try, by number of failed attempts
BACKOFF_MINUTES = (1, 5, 15, 60, 240)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
SEND_TIMEOUT = 5  # seconds per request: a slow robot never holds the queue long
CRON_XMLID = "kf_dispatch.ir_cron_kf_wecom_send"


class KfWecomMessage(models.Model):
    """A markdown message for a dispatch team's WeCom (企业微信) group robot.

    Business code only enqueues, inside its transaction (a rollback drops the
    message with the rest); the queue cron sends after commit, with a timeout,
    and retries failures with a growing delay. Each row is the log of its
    sending: attempts, last error, date sent."""

    _name = "kf.wecom.message"
    _description = "WeCom Notification"
    _order = "id desc"

    team_id = fields.Many2one("kf.dispatch.team", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="team_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [("dispatch", "Dispatch"), ("escalation", "Escalation"), ("sla", "SLA breach"), ("other", "Other")],
        required=True,
        default="other",
    )
    body = fields.Text(string="Markdown", required=True)
    res_model = fields.Char(string="Document Model")
    res_id = fields.Many2oneReference(string="Document", model_field="res_model")
    state = fields.Selection(
        [("pending", "To Send"), ("sent", "Sent"), ("failed", "Failed")],
        required=True,
        default="pending",
        index=True,
    )
    attempts = fields.Integer(readonly=True)
    next_try = fields.Datetime(default=fields.Datetime.now, index=True, readonly=True)
    date_sent = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)

    @api.model
    def kf_enqueue(self, kind, entries):
        """Queue messages: ``entries`` is an iterable of (team, record,
        markdown); teams without a webhook are skipped. Wakes the sending
        cron, which runs after this transaction commits (a rollback drops the
        messages with the rest)."""
        vals_list = [
            {"team_id": team.id, "kind": kind, "body": body, "res_model": record._name, "res_id": record.id}
            for team, record, body in entries
            if team.sudo().wecom_webhook_url
        ]
        if not vals_list:
            return self.browse()
        messages = self.sudo().create(vals_list)
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()
        return messages

    @api.model
    def kf_link(self, record):
        """Markdown link to a record in the web client."""
        return f"[{record.display_name}]({record.get_base_url()}/odoo/{record._name}/{record.id})"

    @api.model
    def _kf_notify_dispatch(self, orders):
        """A work order was dispatched: tell its team's group."""
        entries = []
        for order in orders.sudo().filtered(lambda o: o.team_id.wecom_webhook_url):
            team = order.team_id
            env = team.kf_wecom_env()
            lines = [
                env._("**Work order dispatched** %(link)s", link=self.kf_link(order)),
                env._("> Customer: %(customer)s", customer=order.partner_id.display_name),
                env._("> Engineer: %(user)s", user=order.user_id.name or "-"),
                env._("> Site: %(address)s", address=(order.address or "-").replace("\n", " ")),
            ]
            if order.date_planned_start:
                lines.append(
                    env._(
                        "> Planned start: %(date)s",
                        date=format_datetime(env, order.date_planned_start, tz=team.kf_wecom_tz(), dt_format="short"),
                    )
                )
            entries.append((team, order, "\n".join(lines)))
        return self.kf_enqueue("dispatch", entries)

    @api.model
    def _kf_notify_escalation(self, kinds, ack_hours):
        """Work orders escalated: ``kinds`` maps each order to its reasons
        (undispatched, late_ack, overdue)."""
        entries = []
        for order, order_kinds in kinds.items():
            team = order.sudo().team_id
            if not team.wecom_webhook_url:
                continue
            env = team.kf_wecom_env()
            reasons = "\n".join(f"> {order._escalation_reason(env, kind, ack_hours)}" for kind in order_kinds)
            body = env._("**Work order escalated** %(link)s", link=self.kf_link(order)) + "\n" + reasons
            entries.append((team, order, body))
        return self.kf_enqueue("escalation", entries)

    @api.model
    def _kf_notify_sla(self, tickets):
        """Tickets breached their SLA: tell the teams of their work orders,
        else the company's teams that take ticket alerts."""
        entries = []
        fallback = {}
        for ticket in tickets.sudo():
            teams = ticket.order_ids.team_id
            if not teams:
                if ticket.company_id not in fallback:
                    fallback[ticket.company_id] = (
                        self.env["kf.dispatch.team"]
                        .sudo()
                        .search([("company_id", "=", ticket.company_id.id), ("wecom_ticket_alerts", "=", True)])
                    )
                teams = fallback[ticket.company_id]
            for team in teams.filtered("wecom_webhook_url"):
                env = team.kf_wecom_env()
                body = "\n".join(
                    [
                        env._("**Ticket SLA breached** %(link)s", link=self.kf_link(ticket)),
                        env._("> %(subject)s", subject=ticket.subject),
                        env._("> Customer: %(customer)s", customer=ticket.partner_id.display_name or "-"),
                        env._("> Handler: %(user)s", user=ticket.user_id.name or "-"),
                    ]
                )
                entries.append((team, ticket, body))
        return self.kf_enqueue("sla", entries)

    @api.model
    def _cron_send(self, batch_size=20):
        """Send the messages due, in batches: rows are locked ``SKIP LOCKED``
        so two workers share the queue and never send a row twice."""
        now = fields.Datetime.now()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM kf_wecom_message WHERE id IN (%s) "
                "ORDER BY next_try, id LIMIT %s FOR UPDATE SKIP LOCKED",
                self._search(self._send_due_domain(now)).subselect(),
                batch_size,
            )
        )
        messages = self.browse([row[0] for row in self.env.cr.fetchall()])
        messages._send()
        remaining = self.search_count(self._send_due_domain(now)) - len(
            messages.filtered(lambda m: m.state == "pending")
        )
        self.env["ir.cron"]._notify_progress(done=len(messages), remaining=max(remaining, 0))
        return len(messages)

    @api.model
    def _send_due_domain(self, now):
        return [("state", "=", "pending"), ("next_try", "<=", now)]

    def _send(self):
        session = requests.Session()
        for message in self:
            url = message.team_id.wecom_webhook_url
            error = False
            try:
                response = session.post(
                    url,
                    json={"msgtype": "markdown", "markdown": {"content": message.body}},
                    timeout=SEND_TIMEOUT,
                )
                response.raise_for_status()
                payload = response.json()
                if payload.get("errcode", 0) != 0:
                    error = f"WeCom error {payload.get('errcode')}: {payload.get('errmsg')}"
            except (requests.RequestException, ValueError) as exc:
                error = str(exc) or exc.__class__.__name__
            message._record_attempt(error)

    def _record_attempt(self, error):
        self.ensure_one()
        attempts = self.attempts + 1
        now = fields.Datetime.now()
        if not error:
            self.write({"state": "sent", "attempts": attempts, "date_sent": now, "last_error": False})
            _logger.info("WeCom message %s sent to team %s", self.id, self.team_id.id)
            return
        vals = {"attempts": attempts, "last_error": error[:2000]}
        if attempts >= MAX_ATTEMPTS:
            vals["state"] = "failed"
        else:
            vals["next_try"] = now + timedelta(minutes=BACKOFF_MINUTES[attempts - 1])
        self.write(vals)
        _logger.warning("WeCom message %s (team %s), attempt %s failed: %s", self.id, self.team_id.id, attempts, error)

    def action_retry(self):
        """Send a failed message again (a manager, after fixing the webhook)."""
        self.filtered(lambda m: m.state == "failed").write(
            {"state": "pending", "attempts": 0, "next_try": fields.Datetime.now()}
        )
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()
        return True
