import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from odoo import fields
from odoo.tests import tagged

from .common import KfDispatchCommon


class _RobotHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(json.loads(body))
        status = self.server.status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"errcode": 0 if status == 200 else 500, "errmsg": "ok"}).encode())

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestWecom(KfDispatchCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = HTTPServer(("127.0.0.1", 0), _RobotHandler)
        cls.server.received = []
        cls.server.status = 200
        thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(cls.server.server_close)
        cls.addClassCleanup(cls.server.shutdown)
        cls.team.wecom_webhook_url = f"http://127.0.0.1:{cls.server.server_port}/cgi-bin/webhook/send?key=test"
        cls.team.wecom_lang = "en_US"
        cls.Message = cls.env["kf.wecom.message"]

    def setUp(self):
        super().setUp()
        self.server.received.clear()
        self.server.status = 200

    def test_precondition_webhook_is_managers_only(self):
        self.assertFalse(self.clerk.has_group("kf_customer_service.group_kf_manager"))
        self.assertNotIn("wecom_webhook_url", self.team.with_user(self.clerk).fields_get())

    def test_dispatch_enqueued_then_sent_by_cron(self):
        order = self._create_order(dispatcher_id=self.clerk.id)
        order.with_user(self.clerk).action_dispatch()
        message = self.Message.search([("res_model", "=", order._name), ("res_id", "=", order.id)])
        self.assertEqual((message.kind, message.state), ("dispatch", "pending"))
        self.assertFalse(self.server.received, "nothing is sent inside the business transaction")
        cron = self.env.ref("kf_dispatch.ir_cron_kf_wecom_send")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.Message._cron_send()
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.attempts, 1)
        self.assertEqual(len(self.server.received), 1)
        payload = self.server.received[0]
        self.assertEqual(payload["msgtype"], "markdown")
        self.assertIn(order.name, payload["markdown"]["content"])
        self.assertIn(f"/odoo/kf.dispatch.order/{order.id}", payload["markdown"]["content"])
        # a second run sends nothing more
        self.Message._cron_send()
        self.assertEqual(len(self.server.received), 1)

    def test_failure_retries_with_backoff_then_fails(self):
        self.server.status = 500
        order = self._create_order(dispatcher_id=self.clerk.id)
        order.with_user(self.clerk).action_dispatch()
        message = self.Message.search([("res_id", "=", order.id), ("res_model", "=", order._name)])
        self.Message._cron_send()
        self.assertEqual((message.state, message.attempts), ("pending", 1))
        self.assertTrue(message.last_error)
        self.assertGreater(message.next_try, fields.Datetime.now())
        self.Message._cron_send()
        self.assertEqual(message.attempts, 1, "not retried before its next try")
        for _i in range(10):
            message.next_try = fields.Datetime.now()
            self.Message._cron_send()
        self.assertEqual((message.state, message.attempts), ("failed", 6))
        self.server.status = 200
        message.action_retry()
        self.Message._cron_send()
        self.assertEqual(message.state, "sent")

    def test_unreachable_robot_never_blocks_business(self):
        self.team.wecom_webhook_url = "http://127.0.0.1:9/unreachable"
        order = self._create_order(dispatcher_id=self.clerk.id)
        order.with_user(self.clerk).action_dispatch()
        self.assertEqual(order.state, "dispatched")
        message = self.Message.search([("res_id", "=", order.id), ("res_model", "=", order._name)])
        self.Message._cron_send()
        self.assertEqual((message.state, message.attempts), ("pending", 1))

    def test_rollback_drops_the_message(self):
        order = self._create_order(dispatcher_id=self.clerk.id)
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            order.with_user(self.clerk).action_dispatch()
            raise RuntimeError("business failure")
        self.env.invalidate_all()
        self.assertFalse(self.Message.search([("res_id", "=", order.id), ("res_model", "=", order._name)]))

    def test_escalation_and_sla_messages(self):
        order = self._create_order(
            date_planned_start=fields.Datetime.now().replace(year=2025), dispatcher_id=self.clerk.id
        )
        self.env["kf.dispatch.order"]._cron_escalation_scan()
        self.assertTrue(
            self.Message.search(
                [("res_id", "=", order.id), ("res_model", "=", order._name), ("kind", "=", "escalation")]
            )
        )
        ticket = self._create_ticket()
        other = self.env["kf.dispatch.team"].create({"name": "No robot", "company_id": self.company.id})
        self.team.wecom_ticket_alerts = True
        ticket._escalate_sla()
        messages = self.Message.search([("res_id", "=", ticket.id), ("res_model", "=", ticket._name)])
        self.assertEqual(messages.team_id, self.team)
        self.assertNotIn(other, messages.team_id)
        self.assertEqual(messages.kind, "sla")
        self.Message._cron_send()
        self.assertTrue(any(ticket.name in p["markdown"]["content"] for p in self.server.received))
        self.assertTrue(self.team.member_ids)
