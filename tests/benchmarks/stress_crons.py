"""Two cron workers and managers' buttons at once: no failed transaction.

Run with ``./kf bench tests/benchmarks/stress_crons.py``.

setup(env) loads a small book (the renewal benchmark's data, 5,000 contracts)
and the dispatch benchmark's people. run(env, base_url) starts a second Odoo
on the same database with ``--workers=2 --max-cron-threads=2``, makes every
KF scheduled action due again and again (``_trigger``), and meanwhile calls,
over JSON-RPC and in two threads, what a manager does by hand on the same
records: "Compute" of the month's appraisal, "Run manually" of every KF cron.
It then reads that server's log and prints the ERROR lines and tracebacks it
found, and checks that the month has one sheet per appraised user. A manual
run refused because the cron is running ("currently being executed") is the
expected answer of Odoo's lock, not a failure. Figures are printed, never
asserted.
"""

import importlib.util
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

import odoo
from odoo import fields

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DURATION = 150  # seconds of concurrent load
KF_CRONS = [
    "kf_customer_service.ir_cron_kf_contract_renewal_scan",
    "kf_customer_service.ir_cron_kf_payment_invoicing",
    "kf_customer_service.ir_cron_kf_payment_dunning_scan",
    "kf_customer_service.ir_cron_kf_wechat_member_check",
    "kf_dispatch.ir_cron_kf_ticket_sla_scan",
    "kf_dispatch.ir_cron_kf_dispatch_order_escalation",
    "kf_dispatch.ir_cron_kf_feedback_overdue_scan",
    "kf_dispatch.ir_cron_kf_maintenance_plan_generate",
    "kf_dispatch.ir_cron_kf_weekly_visit_list",
    "kf_dispatch.ir_cron_kf_wecom_send",
    "kf_kpi.ir_cron_kf_kpi_compute",
    "kf_kpi.ir_cron_kf_work_report_reminders",
    "kf_spare_parts.ir_cron_kf_spare_overdue_scan",
    "kf_performance_pay.ir_cron_kf_pay_compute",
    "kf_performance_pay.ir_cron_kf_pay_penalty_propose",
    "kf_performance_pay.ir_cron_kf_pay_finance_reminder",
]


def _load(name):
    spec = importlib.util.spec_from_file_location(f"kf_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup(env):
    renewal = _load("bench_renewal")
    renewal.N_CONTRACTS, renewal.N_CUSTOMERS, renewal.BATCH = 5_000, 200, 5_000
    renewal.setup(env)
    env["res.users"].search([("login", "=", "bench_manager")]).password = "bench_manager"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(log_path):
    config = odoo.tools.config
    port = _free_port()
    odoo_addons = os.path.realpath(os.path.join(os.path.dirname(odoo.__file__), "..", "addons"))
    env = dict(os.environ, KF_ROOT=str(ROOT), KF_ODOO_ADDONS=odoo_addons)
    cmd = [
        sys.executable, "-m", "odoo", "-c", str(ROOT / "odoo.conf"),
        "--db_host", str(config["db_host"]), "--db_port", str(config["db_port"]), "--db_user", config["db_user"],
        "-d", config["db_name"], "--db-filter", f"^{config['db_name']}$", "--data-dir", config["data_dir"],
        "--workers", "2", "--max-cron-threads", "2", "--http-port", str(port), "--gevent-port", str(_free_port()),
        "--http-interface", "127.0.0.1", "--logfile", log_path, "--log-level", "info",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _i in range(120):
        try:
            requests.get(f"http://127.0.0.1:{port}/web/login", timeout=2)
            break
        except requests.RequestException:
            time.sleep(0.5)
    return proc, f"http://127.0.0.1:{port}"


def _rpc_session(base_url, login):
    session = requests.Session()
    response = session.post(
        f"{base_url}/web/session/authenticate",
        json={"params": {"db": odoo.tools.config["db_name"], "login": login, "password": login}},
        timeout=60,
    )
    response.raise_for_status()
    return session


def _call(session, base_url, model, method, args, kwargs=None):
    response = session.post(
        f"{base_url}/web/dataset/call_kw",
        json={"params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}},
        timeout=300,
    )
    return response.json().get("error")


def _manager_clicks(base_url, cron_ids, month, stop, results):
    """A manager's buttons on the records the crons work on, as fast as the
    server answers: Compute of the month, then Run manually of each cron."""
    admin = _rpc_session(base_url, "admin")
    manager = _rpc_session(base_url, "bench_manager")
    while not stop.is_set():
        response = manager.post(
            f"{base_url}/web/dataset/call_kw",
            json={"params": {"model": "kf.kpi.compute", "method": "create", "args": [{"month": month}], "kwargs": {}}},
            timeout=300,
        ).json()
        error = response.get("error") or _call(
            manager, base_url, "kf.kpi.compute", "action_compute", [[response["result"]]]
        )
        results.append(("Compute", error))
        for cron_id in cron_ids:
            error = _call(admin, base_url, "ir.cron", "method_direct_trigger", [[cron_id]])
            results.append(("run manually", error))


def run(env, base_url):
    env["res.users"].browse(2).password = "admin"
    crons = env["ir.cron"].browse([env.ref(xmlid).id for xmlid in KF_CRONS])
    crons.write({"active": True, "interval_number": 1, "interval_type": "minutes"})
    env.cr.commit()
    log_path = os.path.join(tempfile.gettempdir(), f"kf-stress-crons-{os.getpid()}.log")
    proc, url = _start_server(log_path)
    month = str(fields.Date.today().replace(day=1))
    stop, results = threading.Event(), []
    clickers = [
        threading.Thread(target=_manager_clicks, args=(url, crons.ids, month, stop, results)) for _i in range(2)
    ]
    t0 = time.time()
    try:
        for thread in clickers:
            thread.start()
        while time.time() - t0 < DURATION:
            for cron in crons:
                cron._trigger()  # due now: both cron workers pick them up
            env.cr.commit()
            time.sleep(2)
    finally:
        stop.set()
        for thread in clickers:
            thread.join(timeout=300)
        proc.terminate()
        proc.wait(timeout=60)

    log = Path(log_path).read_text(encoding="utf-8", errors="replace")
    errors = [line for line in log.splitlines() if re.match(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ", line)]
    runs = len(re.findall(r"Job '.*' \(\d+\) (?:done|fully done)", log))
    refused = sum(1 for _label, error in results if error and "currently being executed" in str(error))
    failed = [(label, error) for label, error in results if error and "currently being executed" not in str(error)]
    env.invalidate_all()
    sheets = env["kf.kpi.sheet"].search_count([("date_from", "=", month)])
    users = env["kf.kpi.sheet"]._appraised_users(env.company)
    print(f"\n== {DURATION} s with --workers=2 --max-cron-threads=2 and two managers clicking ==")
    print(f"cron jobs finished (both workers): {runs}")
    print(f"manual actions: {len(results)}, refused by the cron lock (expected): {refused}, failed: {len(failed)}")
    for label, error in failed[:5]:
        print(f"  {label}: {str(error)[:300]}")
    print(f"ERROR/CRITICAL lines in the server log: {len(errors)} (log: {log_path})")
    for line in errors[:10]:
        print(f"  {line[:300]}")
    print(f"appraisal sheets of {month}: {sheets} for {len(users)} appraised users + 1 department sheet")
