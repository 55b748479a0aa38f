"""The ./kf script: how it finds Odoo, reads Odoo's test log and fails loudly."""

import importlib.machinery
import importlib.util
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_kf():
    loader = importlib.machinery.SourceFileLoader("kf_script", str(ROOT / "kf"))
    spec = importlib.util.spec_from_loader("kf_script", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


kf = load_kf()

LOG_OK = """\
2026-11-22 10:00:01,000 100 INFO kf_test odoo.modules.loading: loading 80 modules...
2026-11-22 10:03:01,000 100 INFO kf_test odoo.service.server: 57 post-tests in 90.00s, 40000 queries
2026-11-22 10:03:02,000 100 INFO kf_test odoo.tests.result: 0 failed, 0 error(s) of 57 tests when loading database 'kf_test'
"""

LOG_FAIL = """\
2026-11-22 10:00:01,000 100 ERROR kf_test odoo.addons.kf_dispatch.tests.test_sla: FAIL: TestSla.test_weekend
2026-11-22 10:03:02,000 100 ERROR kf_test odoo.tests.result: 1 failed, 2 error(s) of 57 tests when loading database 'kf_test'
"""

LOG_LOAD_ERROR = """\
2026-11-22 10:00:01,000 100 ERROR kf_test odoo.modules.registry: Failed to load registry
2026-11-22 10:03:02,000 100 INFO kf_test odoo.tests.result: 0 failed, 0 error(s) of 3 tests when loading database 'kf_test'
"""


def test_parse_successful_log():
    run, failed, errors, error_lines = kf.parse_odoo_log(LOG_OK.splitlines())
    assert (run, failed, errors, error_lines) == (57, 0, 0, [])


def test_parse_failed_log_counts_failures_and_errors():
    run, failed, errors, error_lines = kf.parse_odoo_log(LOG_FAIL.splitlines())
    assert (run, failed, errors) == (57, 1, 2)
    assert len(error_lines) == 2


def test_error_outside_tests_is_reported():
    _run, failed, errors, error_lines = kf.parse_odoo_log(LOG_LOAD_ERROR.splitlines())
    assert failed == errors == 0
    assert error_lines and "Failed to load registry" in error_lines[0]


def test_log_without_summary_means_no_test_ran():
    run, *_ = kf.parse_odoo_log(["2026-11-22 10:00:01,000 1 INFO ? odoo: Odoo version 18.0"])
    assert run is None


def test_missing_odoo_gives_one_clear_line(tmp_path):
    """With an interpreter that cannot import odoo, find_odoo explains why."""
    fake = tmp_path / "python-without-odoo"
    fake.write_text(f'#!/bin/sh\nexec {sys.executable} -I -S "$@"\n')
    fake.chmod(0o755)
    version, reason = kf.find_odoo(str(fake))
    assert version is None
    assert "odoo" in reason.lower()


def test_run_without_odoo_exits_with_message(tmp_path):
    """`./kf run` under an interpreter lacking Odoo prints a message, not a traceback."""
    proc = subprocess.run([sys.executable, "-I", "-S", str(ROOT / "kf"), "run"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Odoo 18.0 is not importable" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_ci_calls_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "./kf test" in ci
    assert "./kf test" in readme and "./kf run" in readme


def test_conf_addons_path_covers_odoo_and_repo():
    conf = (ROOT / "odoo.conf").read_text()
    line = next(x for x in conf.splitlines() if x.startswith("addons_path"))
    assert "${KF_ODOO_ADDONS}" in line and "${KF_ROOT}" in line
    assert "admin_passwd" not in conf  # no secrets
