from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .kf_pay_rule import ZONES

MANAGER_GROUP = "kf_customer_service.group_kf_manager"
CLERK_GROUP = "kf_customer_service.group_kf_clerk"
# the documents handed to the clerk after a commissioning: settlement form,
# project archive, satisfaction questionnaire
KF_PAY_DOCUMENTS = ("kf_doc_settlement_on", "kf_doc_archive_on", "kf_doc_survey_on")
# written by the server only: the pay is computed from them
KF_PAY_SYSTEM_FIELDS = frozenset({"kf_pay_counted_points", "kf_pay_points", "kf_pay_callback_date", *KF_PAY_DOCUMENTS})
PAY_STATUSES = [
    ("waiting_documents", "Waiting for the documents"),
    ("late_documents", "Documents late: not settled"),
    ("waiting_callback", "Waiting for the call-back"),
    ("settled", "80 % settled"),
    ("balance_paid", "Balance paid"),
]


class KfDispatchOrder(models.Model):
    _inherit = "kf.dispatch.order"

    kf_pay_zone = fields.Selection(
        ZONES,
        "Commissioning Zone",
        compute="_compute_kf_pay_zone",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        groups="base.group_user",
        help="Copied from the project; a manager may change it until the order is closed.",
    )
    kf_pay_alarm_only = fields.Boolean(
        related="equipment_id.category_id.kf_alarm_only", store=True, string="Pure Alarm Controller"
    )
    kf_pay_counted_points = fields.Integer(
        "Counted Points",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="Points the commissioning fee counts for the controller (the fixed alarm points for a pure alarm "
        "controller), stamped when the order is closed.",
    )
    kf_pay_points = fields.Integer(
        "Paid Points",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="Counted points above those already paid on the project by earlier commissioning orders: what the "
        "fee is paid on.",
    )
    kf_doc_settlement_on = fields.Datetime(
        "Settlement Form Received", readonly=True, copy=False, tracking=True, groups="base.group_user"
    )
    kf_doc_archive_on = fields.Datetime(
        "Project Archive Received", readonly=True, copy=False, tracking=True, groups="base.group_user"
    )
    kf_doc_survey_on = fields.Datetime(
        "Questionnaire Received", readonly=True, copy=False, tracking=True, groups="base.group_user"
    )
    kf_acceptance_date = fields.Date(
        "Inspection Accepted On",
        copy=False,
        tracking=True,
        groups="base.group_user",
        help="Day the acceptance inspection completed, as the project archive says (clerk or manager).",
    )
    kf_pay_callback_date = fields.Date(
        "Confirmed by Call-back On",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="Company-local day of the clerk's first call-back confirming the commissioning.",
    )
    kf_pay_status = fields.Selection(
        PAY_STATUSES, "Commissioning Pay", compute="_compute_kf_pay_status", groups="base.group_user"
    )

    @api.depends("project_id")
    def _compute_kf_pay_zone(self):
        for order in self:
            order.kf_pay_zone = order.project_id.kf_pay_zone or "local"

    @api.depends(
        "kf_order_type",
        "date_done",
        "kf_pay_callback_date",
        "kf_doc_settlement_on",
        "kf_doc_archive_on",
        "kf_doc_survey_on",
    )
    def _compute_kf_pay_status(self):
        orders = self.filtered(lambda o: o.kf_order_type == "commissioning")
        (self - orders).kf_pay_status = False
        if not orders:
            return
        keys = [f"comm80:{o.id}" for o in orders] + [f"comm20:{o.id}" for o in orders]
        paid = set(self.env["kf.pay.statement.line"].sudo().search([("source_key", "in", keys)]).mapped("source_key"))
        rule_sets = {}
        for order in orders:
            company = order.company_id
            rules = rule_sets.setdefault(company, self.env["kf.pay.rule"].kf_rule_set(company))
            if f"comm20:{order.id}" in paid:
                order.kf_pay_status = "balance_paid"
            elif order._kf_documents_late(rules):
                order.kf_pay_status = "late_documents"
            elif not all(order[f] for f in KF_PAY_DOCUMENTS):
                order.kf_pay_status = "waiting_documents"
            elif not order.kf_pay_callback_date:
                order.kf_pay_status = "waiting_callback"
            else:
                order.kf_pay_status = "settled"

    def _kf_local_date(self, dt):
        """The day of the UTC naive datetime ``dt`` in the company calendar's time zone."""
        if not dt:
            return None
        tz = pytz.timezone(self.company_id.resource_calendar_id.tz or "Asia/Shanghai")
        return pytz.utc.localize(dt).astimezone(tz).date()

    def _kf_documents_late(self, rules):
        """True when a document reached (or, still missing, can no longer
        reach) the clerk within the rule's days after the company-local day
        the order was done: such a commissioning is not settled."""
        self.ensure_one()
        if not self.date_done:
            return False
        # the time zone looked up once for the four dates
        tz_name = self.company_id.resource_calendar_id.tz
        tz = pytz.timezone(tz_name or "Asia/Shanghai")
        done_day = pytz.utc.localize(self.date_done).astimezone(tz).date()
        last_day = done_day + timedelta(days=rules.value("document_days", done_day, default=3))
        received = [self[f] for f in KF_PAY_DOCUMENTS]
        if all(received):
            return max(pytz.utc.localize(dt).astimezone(tz).date() for dt in received) > last_day
        today = fields.Date.context_today(self.with_context(tz=tz_name))
        return today > last_day

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                if KF_PAY_SYSTEM_FIELDS.intersection(k for k, v in vals.items() if v):
                    self._kf_raise_pay_fields(KF_PAY_SYSTEM_FIELDS.intersection(vals))
                if vals.get("kf_pay_zone") and not self.env.user.has_group(MANAGER_GROUP):
                    project = self.env["project.project"].browse(vals.get("project_id"))
                    if vals["kf_pay_zone"] != (project.kf_pay_zone or "local"):
                        raise AccessError(self.env._("Only a customer-service manager sets the commissioning zone."))
                if vals.get("kf_acceptance_date") and not self.env.user.has_group(CLERK_GROUP):
                    raise AccessError(self.env._("The clerk or a manager records the inspection acceptance."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._kf_check_pay_write(vals)
        res = super().write(vals)
        if vals.get("state") == "closed":
            self.filtered(lambda o: o.kf_order_type == "commissioning" and o.state == "closed")._kf_set_pay_points()
        return res

    def _kf_raise_pay_fields(self, fnames):
        labels = ", ".join(sorted(self._fields[f].get_description(self.env)["string"] for f in fnames))
        raise AccessError(self.env._("These commissioning pay fields are set by the system: %(fields)s", fields=labels))

    def _kf_check_pay_write(self, vals):
        """A user's write: the points, call-back and document stamps are the
        system's; the zone is a manager's until the order is closed; the
        inspection acceptance is the clerk's. Neither is ever changed by the
        order's executor, whose pay they make."""
        system = KF_PAY_SYSTEM_FIELDS.intersection(vals)
        if system:
            self._kf_raise_pay_fields(system)
        user = self.env.user
        if "kf_pay_zone" in vals:
            project = self.env["project.project"].browse(vals.get("project_id"))
            # the form sends the zone recomputed from a newly chosen project
            changed = self.filtered(
                lambda o: vals["kf_pay_zone"] not in (o.kf_pay_zone, (project or o.project_id).kf_pay_zone)
            )
            if changed.filtered(lambda o: o.state == "closed"):
                raise UserError(self.env._("The commissioning zone of a closed work order is locked."))
            if changed and (not user.has_group(MANAGER_GROUP) or changed.filtered(lambda o: o.user_id == user)):
                raise AccessError(
                    self.env._("Only a customer-service manager sets the commissioning zone, not on their own orders.")
                )
        if "kf_acceptance_date" in vals:
            changed = self.filtered(lambda o: o.kf_acceptance_date != fields.Date.to_date(vals["kf_acceptance_date"]))
            if changed and (not user.has_group(CLERK_GROUP) or changed.filtered(lambda o: o.user_id == user)):
                raise AccessError(
                    self.env._(
                        "The clerk or a manager records the inspection acceptance; not on their own work orders."
                    )
                )

    def _kf_set_pay_points(self):
        """Stamp the points a closed commissioning order is paid on: the
        controller's counted points less what earlier commissioning orders
        of the same project already paid (only a grown capacity pays again;
        re-programming pays nothing)."""
        Rule = self.env["kf.pay.rule"]
        for order in self.sorted(lambda o: (o.date_closed or fields.Datetime.now(), o.id)):
            day = order._kf_local_date(order.date_closed) or fields.Date.context_today(order)
            counted = order.point_count
            if order.kf_pay_alarm_only:
                counted = int(Rule.kf_rule_set(order.company_id).value("alarm_points", day, default=counted))
            earlier = self.sudo()._read_group(
                [
                    ("id", "!=", order.id),
                    ("project_id", "=", order.project_id.id),
                    ("kf_order_type", "=", "commissioning"),
                    ("state", "=", "closed"),
                ],
                aggregates=["kf_pay_points:sum"],
            )[0][0]
            order.sudo().write({"kf_pay_counted_points": counted, "kf_pay_points": max(0, counted - (earlier or 0))})

    def _kf_mark_document(self, fname):
        """A clerk (or above) records a document handed in, stamped now;
        never the order's executor, whose pay depends on the day."""
        user = self.env.user
        if not user.has_group(CLERK_GROUP):
            raise AccessError(self.env._("Only the clerk or a manager records the documents handed in."))
        own = self.filtered(lambda o: o.user_id == user)
        if own:
            raise AccessError(
                self.env._(
                    "Documents of your own work orders are recorded by someone else: %(names)s",
                    names=", ".join(own.mapped("name")),
                )
            )
        self.check_access("write")
        wrong = self.filtered(lambda o: o.kf_order_type != "commissioning" or not o.date_done)
        if wrong:
            raise UserError(
                self.env._(
                    "Commissioning documents are handed in for done commissioning orders: %(names)s",
                    names=", ".join(wrong.mapped("name")),
                )
            )
        self.filtered(lambda o: not o[fname]).sudo().write({fname: fields.Datetime.now()})
        return True

    def action_kf_doc_settlement_received(self):
        return self._kf_mark_document("kf_doc_settlement_on")

    def action_kf_doc_archive_received(self):
        return self._kf_mark_document("kf_doc_archive_on")

    def action_kf_doc_survey_received(self):
        return self._kf_mark_document("kf_doc_survey_on")
