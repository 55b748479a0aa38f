from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, new_test_user


def create_test_calendar(env, name="KF 40h UTC"):
    """A working calendar of the tests: Monday to Friday 8-12 and 13-17, UTC,
    eight hours a day."""
    return env["resource.calendar"].create(
        {
            "name": name,
            "tz": "UTC",
            "hours_per_day": 8.0,
            "attendance_ids": [
                Command.create(
                    {
                        "name": f"Day {day} {period}",
                        "dayofweek": str(day),
                        "hour_from": hour_from,
                        "hour_to": hour_to,
                        "day_period": period,
                    }
                )
                for day in range(5)
                for (hour_from, hour_to, period) in ((8, 12, "morning"), (13, 17, "afternoon"))
            ],
        }
    )


def setup_test_accounting(env, company):
    """Load the Chinese chart of accounts on ``company`` (sales journal,
    receivable account, bank journal) so its payment schedules can be
    invoiced and paid."""
    env["account.chart.template"].try_loading("cn", company, install_demo=False)


class KfCommon(TransactionCase):
    """Shared fixtures of the kf_customer_service tests: a company, a
    manager, two specialists, two customers (one per specialist) and an
    orphan customer without specialist. Helpers create contracts. A class
    with ``kf_accounting = True`` gets a chart of accounts on its company
    and helpers to invoice and pay schedule lines."""

    kf_accounting = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env["res.company"].create({"name": "KF Test Company"})
        companies = [Command.set([cls.company.id])]
        user_vals = {"company_id": cls.company.id, "company_ids": companies}
        cls.manager = new_test_user(
            cls.env,
            "kf_manager",
            groups="kf_customer_service.group_kf_manager",
            name="KF Manager",
            **user_vals,
        )
        cls.specialist_a = new_test_user(
            cls.env,
            "kf_spec_a",
            groups="kf_customer_service.group_kf_specialist",
            name="Specialist A",
            **user_vals,
        )
        cls.specialist_b = new_test_user(
            cls.env,
            "kf_spec_b",
            groups="kf_customer_service.group_kf_specialist",
            name="Specialist B",
            **user_vals,
        )
        cls.company.kf_manager_id = cls.manager
        Partner = cls.env["res.partner"].with_company(cls.company)
        cls.customer_1 = Partner.create(
            {
                "name": "Customer One Ltd",
                "is_company": True,
                "company_id": cls.company.id,
                "kf_specialist_id": cls.specialist_a.id,
            }
        )
        cls.customer_2 = Partner.create(
            {
                "name": "Customer Two Ltd",
                "is_company": True,
                "company_id": cls.company.id,
                "kf_specialist_id": cls.specialist_b.id,
            }
        )
        cls.customer_orphan = Partner.create(
            {"name": "Orphan Customer Ltd", "is_company": True, "company_id": cls.company.id}
        )
        cls.Contract = cls.env["kf.service.contract"].with_company(cls.company)
        cls.PaymentLine = cls.env["kf.contract.payment.line"].with_company(cls.company)
        if cls.kf_accounting:
            setup_test_accounting(cls.env, cls.company)

    @classmethod
    def _create_contract(cls, partner, date_start, date_end, state="running", **vals):
        values = {
            "partner_id": partner.id,
            "date_start": date_start,
            "date_end": date_end,
            "amount": 12000.0,
            "company_id": cls.company.id,
            "state": state,
        }
        values.update(vals)
        return cls.Contract.create(values)

    @staticmethod
    def _d(value):
        return date.fromisoformat(value)

    @staticmethod
    def _invoice(lines):
        """Invoice ``lines`` as the server does; returns their invoices."""
        lines._lock_for_invoicing()._create_invoices()
        return lines.move_id

    @classmethod
    def _pay(cls, invoices, amount=None, on=None):
        """Register a payment of ``amount`` (default: the open amount) on
        ``invoices`` through Odoo's payment wizard."""
        vals = {}
        if amount is not None:
            vals["amount"] = amount
        if on:
            vals["payment_date"] = on
        wizard = (
            cls.env["account.payment.register"]
            .with_company(invoices.company_id)
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(vals)
        )
        if amount is not None and len(invoices) == 1:
            wizard.payment_difference_handling = "open"
        return wizard._create_payments()


def run_concurrently(testcase, works, snapshot_model):
    """Run each ``work(env)`` of ``works`` in its own committed transaction,
    all at once (a barrier after each has taken its snapshot by reading
    ``snapshot_model``); return the exceptions they raised. For tests that
    are not in a rolled-back transaction (``BaseCase``)."""
    # imported here: only these race tests need threads and transactions
    import logging  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from odoo import SUPERUSER_ID, api  # noqa: PLC0415
    from odoo.api import Transaction  # noqa: PLC0415

    logger = logging.getLogger(__name__)
    registry = testcase.registry
    barrier = threading.Barrier(len(works), timeout=30)
    errors = []

    def run(work):
        try:
            with registry.cursor() as cr:
                # the test runner holds the registry lock: give the
                # transaction its registry rather than let the environment
                # look it up
                cr.transaction = Transaction(registry)
                # notification e-mails stay queued (sending them after the
                # commit would need the locked registry too)
                env = api.Environment(cr, SUPERUSER_ID, {"mail_notify_force_send": False})
                env[snapshot_model].search_count([])
                barrier.wait()
                work(env)
        except Exception as exc:  # the caller's assertions report it
            logger.info("concurrent run failed: %s", exc)
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(work,), name=f"kf-race-{i}", daemon=True) for i, work in enumerate(works)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    testcase.assertFalse(any(thread.is_alive() for thread in threads), "every concurrent run finished")
    return errors


def create_race_company(env, name, user_name, login, group_xmlid):
    """A company of its own and one user in it with the group
    ``group_xmlid``: the committed fixture of a race test (removed with
    ``remove_committed_fixture``)."""
    from odoo import Command  # noqa: PLC0415

    company = env["res.company"].create({"name": name})
    user = env["res.users"].create(
        {
            "name": user_name,
            "login": login,
            "company_id": company.id,
            "company_ids": [Command.set([company.id])],
            "groups_id": [Command.set([env.ref(group_xmlid).id])],
        }
    )
    return company, user


def remove_committed_fixture(env, *recordsets):
    """Delete the committed fixture records of a race test, in the given
    order, each in its own savepoint; a record the database keeps (history,
    e.g. a company with Inventory data) is archived instead, so nothing
    active is left behind for the other tests."""
    import logging  # noqa: PLC0415

    from odoo.tools import mute_logger  # noqa: PLC0415

    logger = logging.getLogger(__name__)
    for records in recordsets:
        records = records.exists()
        if not records:
            continue
        try:
            with mute_logger("odoo.sql_db"), env.cr.savepoint():
                records.unlink()
        except Exception:  # kept by the database: archive it
            env.invalidate_all()
            if "active" not in records._fields:
                logger.info("race fixture %s kept", records)
                continue
            try:
                with env.cr.savepoint():
                    records.write({"active": False})
            except Exception:  # best effort, logged
                logger.warning("race fixture %s left active", records)
        env.invalidate_all()
