from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

MANAGER_GROUP = "kf_customer_service.group_kf_manager"
CHECKIN_STATES = ("dispatched", "accepted", "in_progress", "done")
# a phone's clock and the server's differ a little: times up to this far in
# the future are accepted
CLOCK_TOLERANCE = timedelta(minutes=5)


class KfDispatchOrderCheckin(models.Model):
    """An engineer's visit on the site of a work order: arrival (check-in)
    and leave (check-out) with the phone's position. The clerk's daily
    service register lists them."""

    _name = "kf.dispatch.order.checkin"
    _description = "Work Order Check-in"
    _inherit = ["mail.thread"]
    _order = "check_in desc, id desc"
    _rec_name = "order_id"
    _check_company_auto = True

    order_id = fields.Many2one(
        "kf.dispatch.order", string="Work Order", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Engineer",
        required=True,
        index=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
    )
    partner_id = fields.Many2one(related="order_id.partner_id", string="Customer", store=True, index=True)
    address = fields.Text(related="order_id.address", string="Site")
    order_type = fields.Selection(related="order_id.kf_order_type", store=True)
    order_state = fields.Selection(related="order_id.state", string="Order Status")
    check_in = fields.Datetime(string="Arrival", required=True, default=fields.Datetime.now, tracking=True)
    check_out = fields.Datetime(string="Leave", tracking=True)
    date = fields.Date(compute="_compute_date", store=True, index=True, help="Local day of the arrival.")
    duration = fields.Float(string="Hours on Site", compute="_compute_duration", store=True, aggregator="sum")
    latitude = fields.Float(digits=(10, 7))
    longitude = fields.Float(digits=(10, 7))
    check_out_latitude = fields.Float(string="Leave Latitude", digits=(10, 7))
    check_out_longitude = fields.Float(string="Leave Longitude", digits=(10, 7))
    note = fields.Text(string="Result", help="What was found and done on site.")
    is_open = fields.Boolean(string="On Site", compute="_compute_is_open", store=True)

    def init(self):
        # one open check-in per engineer, whatever the path (two phones, two
        # requests at once): the database refuses the second
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS kf_dispatch_order_checkin_one_open "
                "ON kf_dispatch_order_checkin (user_id) WHERE check_out IS NULL"
            )
        )

    @api.depends("check_in", "company_id")
    def _compute_date(self):
        for checkin in self:
            checkin.date = checkin.check_in and fields.Date.context_today(
                checkin.with_context(tz=checkin._kf_tz()), checkin.check_in
            )

    @api.depends("check_in", "check_out")
    def _compute_duration(self):
        for checkin in self:
            delta = checkin.check_out and checkin.check_out - checkin.check_in
            checkin.duration = delta.total_seconds() / 3600.0 if delta else 0.0

    @api.depends("check_out")
    def _compute_is_open(self):
        for checkin in self:
            checkin.is_open = not checkin.check_out

    def _kf_tz(self):
        self.ensure_one()
        return self.company_id.resource_calendar_id.tz or self.user_id.tz or self.env.user.tz or "UTC"

    @api.constrains("check_in", "check_out")
    def _check_times(self):
        limit = fields.Datetime.now() + CLOCK_TOLERANCE
        for checkin in self:
            if checkin.check_out and checkin.check_out < checkin.check_in:
                raise ValidationError(
                    self.env._(
                        "Check-out on work order %(order)s cannot be before the check-in (%(check_in)s).",
                        order=checkin.order_id.name,
                        check_in=checkin.user_id.kf_format_datetime(checkin.check_in),
                    )
                )
            if checkin.check_in > limit or (checkin.check_out and checkin.check_out > limit):
                raise ValidationError(
                    self.env._(
                        "Check-in and check-out times cannot be in the future (%(order)s).", order=checkin.order_id.name
                    )
                )

    @api.model
    def _check_assigned_vals(self, vals_list):
        """The assignment rule checked before the row is written, so that a
        refused check-in leaves nothing behind."""
        orders = self.env["kf.dispatch.order"].browse(
            {vals.get("order_id") for vals in vals_list if vals.get("order_id")}
        )
        assignees = {order.id: order.sudo().user_id for order in orders}
        for vals in vals_list:
            user = self.env["res.users"].browse(vals.get("user_id", self.env.uid))
            assignee = assignees.get(vals.get("order_id"))
            if assignee is not None and assignee != user:
                order = orders.browse(vals["order_id"])
                raise ValidationError(
                    self.env._(
                        "Work order %(order)s is assigned to %(assignee)s, not to %(user)s: "
                        "only its engineer checks in.",
                        order=order.sudo().name,
                        assignee=assignee.name or self.env._("nobody"),
                        user=user.sudo().name,
                    )
                )

    @api.constrains("user_id", "order_id")
    def _check_assigned_user(self):
        for checkin in self:
            if checkin.order_id.user_id != checkin.user_id:
                raise ValidationError(
                    self.env._(
                        "Work order %(order)s is assigned to %(assignee)s, not to %(user)s: "
                        "only its engineer checks in.",
                        order=checkin.order_id.name,
                        assignee=checkin.order_id.user_id.name or self.env._("nobody"),
                        user=checkin.user_id.name,
                    )
                )

    @api.constrains("latitude", "longitude", "check_out_latitude", "check_out_longitude")
    def _check_position(self):
        for checkin in self:
            for lat, lon in (
                (checkin.latitude, checkin.longitude),
                (checkin.check_out_latitude, checkin.check_out_longitude),
            ):
                if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    raise ValidationError(
                        self.env._("Invalid position %(lat)s, %(lon)s: check the phone's location.", lat=lat, lon=lon)
                    )

    @api.model
    def _check_no_open_checkin(self, user_ids, exclude=None):
        """An engineer is on one site at a time: refuse a second open
        check-in (the unique index holds the same rule under concurrency)."""
        domain = [("user_id", "in", list(user_ids)), ("check_out", "=", False)]
        if exclude:
            domain.append(("id", "not in", exclude.ids))
        if len(user_ids) != len(set(user_ids)):
            raise ValidationError(self.env._("An engineer cannot check in on two work orders at once."))
        existing = self.sudo().search(domain, limit=1)
        if existing:
            raise ValidationError(
                self.env._(
                    "%(user)s is still checked in on work order %(order)s: check out there first.",
                    user=existing.user_id.name,
                    order=existing.order_id.name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                if vals.get("user_id", self.env.uid) != self.env.uid and not self.env.user.has_group(MANAGER_GROUP):
                    raise AccessError(self.env._("You can only check in for yourself."))
        self._check_assigned_vals(vals_list)
        open_users = [vals.get("user_id", self.env.uid) for vals in vals_list if not vals.get("check_out")]
        self._check_no_open_checkin(open_users)
        checkins = super().create(vals_list)
        checkins._check_order_open()
        return checkins

    def write(self, vals):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            if {"user_id", "order_id"}.intersection(vals):
                raise AccessError(self.env._("The engineer and work order of a check-in cannot be changed."))
            others = self.filtered(lambda c: c.user_id != self.env.user)
            if others:
                raise AccessError(self.env._("Only the engineer who checked in can change a check-in."))
            self._check_order_open(closed_only=True)
        if "check_out" in vals and not vals["check_out"]:
            self._check_no_open_checkin(self.user_id.ids, exclude=self)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_by_manager_only(self):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Check-ins are kept for the service register: ask a manager to remove one."))

    def _check_order_open(self, closed_only=False):
        """Check-ins belong to orders being worked on; those of an order
        accepted by the customer are its record and stay as they are."""
        states = ("closed", "cancelled") if closed_only else None
        wrong = self.filtered(
            lambda c: (c.order_id.state in states) if states else c.order_id.state not in CHECKIN_STATES
        )
        if wrong:
            raise UserError(
                self.env._(
                    "Work order %(order)s is %(state)s: no check-in can be recorded or changed.",
                    order=wrong[0].order_id.name,
                    state=dict(wrong[0].order_id._fields["state"]._description_selection(self.env))[
                        wrong[0].order_id.state
                    ],
                )
            )

    def action_check_out(self, latitude=None, longitude=None, note=None):
        """Leave the site now; the position is the phone's, when it gave one."""
        self.ensure_one()
        if self.check_out:
            raise UserError(self.env._("You already checked out of work order %(order)s.", order=self.order_id.name))
        vals = {"check_out": fields.Datetime.now()}
        if latitude is not None and longitude is not None:
            vals.update(check_out_latitude=latitude, check_out_longitude=longitude)
        if note:
            vals["note"] = note
        self.write(vals)
        return True

    # ------------------------------------------------------------------
    # Daily service register
    # ------------------------------------------------------------------
    @api.model
    def kf_register_rows(self, date, company=None):
        """The check-ins of a day (the local day of the arrival), in arrival
        order, as the current user may read them: one row a visit of the
        daily service register."""
        domain = [("date", "=", date)]
        if company:
            domain.append(("company_id", "=", company.id))
        return self.search(domain, order="check_in, id")
