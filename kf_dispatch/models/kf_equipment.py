import base64
import re
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import plaintext2html

QR_REPORTS_PER_HOUR = 3
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")

WARRANTY_STATES = [("none", "No warranty"), ("in_warranty", "In warranty"), ("expired", "Warranty expired")]


class KfEquipment(models.Model):
    """An installed system serviced by the department (a fire-alarm control
    panel, a detector loop, a pump...) at a customer's site. Its QR label
    opens a public page, guarded by the equipment's access token, where
    anybody on site reports a fault."""

    _name = "kf.equipment"
    _description = "Equipment"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin", "kf.document.mixin"]
    _order = "partner_id, name, id"

    name = fields.Char(string="Equipment", readonly=False, default=False, tracking=True, index="trigram")
    user_id = fields.Many2one(
        string="Specialist",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        precompute=True,
        help="Specialist responsible for the equipment; defaults to the customer's specialist.",
    )
    active = fields.Boolean(default=True, tracking=True)
    category_id = fields.Many2one("kf.equipment.category", required=True, tracking=True, index=True)
    model_no = fields.Char(string="Model", tracking=True)
    serial_no = fields.Char(string="Serial Number", tracking=True, copy=False, index=True)
    point_count = fields.Integer(
        tracking=True,
        help="Points of the controller (a pure fire-alarm controller counts 127 points).",
    )
    project_id = fields.Many2one("project.project", string="Site / Project", tracking=True, check_company=True)
    location = fields.Char(help="Where the equipment is on the site (building, floor, room).")
    date_commissioning = fields.Date(string="Commissioned On", tracking=True)
    warranty_end = fields.Date(tracking=True, index=True)
    warranty_state = fields.Selection(WARRANTY_STATES, compute="_compute_warranty_state")
    state = fields.Selection(
        [
            ("in_service", "In service"),
            ("maintenance", "Under maintenance"),
            ("fault", "Faulty"),
            ("retired", "Retired"),
        ],
        string="Status",
        required=True,
        default="in_service",
        tracking=True,
        index=True,
    )
    order_ids = fields.One2many("kf.dispatch.order", "equipment_id", string="Work Orders")
    ticket_ids = fields.One2many("kf.ticket", "equipment_id", string="Tickets")
    problem_ids = fields.One2many("kf.problem", "equipment_id", string="Problems", groups="base.group_user")
    visit_ids = fields.One2many("kf.visit", "kf_equipment_id", string="Visits", groups="base.group_user")
    order_count = fields.Integer(compute="_compute_counts", groups="base.group_user")
    ticket_count = fields.Integer(compute="_compute_counts", groups="base.group_user")
    problem_count = fields.Integer(compute="_compute_counts", groups="base.group_user")
    visit_count = fields.Integer(compute="_compute_counts", groups="base.group_user")
    qr_url = fields.Char(string="QR Link", compute="_compute_qr_url", groups="base.group_user")
    note = fields.Text()

    _sql_constraints = [
        ("point_count_check", "CHECK(point_count >= 0)", "The point count cannot be negative."),
    ]

    @api.depends("partner_id")
    def _compute_user_id(self):
        for equipment in self:
            equipment.user_id = equipment.partner_id.commercial_partner_id.kf_specialist_id or equipment.user_id

    @api.depends("warranty_end")
    @api.depends_context("tz")
    def _compute_warranty_state(self):
        today = fields.Date.context_today(self)
        for equipment in self:
            if not equipment.warranty_end:
                equipment.warranty_state = "none"
            else:
                equipment.warranty_state = "in_warranty" if equipment.warranty_end >= today else "expired"

    def _compute_counts(self):
        for fname, model, key in (
            ("order_count", "kf.dispatch.order", "equipment_id"),
            ("ticket_count", "kf.ticket", "equipment_id"),
            ("problem_count", "kf.problem", "equipment_id"),
            ("visit_count", "kf.visit", "kf_equipment_id"),
        ):
            counts = dict(self.env[model]._read_group([(key, "in", self.ids)], [key], ["__count"]))
            for equipment in self:
                equipment[fname] = counts.get(equipment, 0)

    @api.depends("access_token")
    def _compute_qr_url(self):
        base = self.get_base_url() if self else ""
        for equipment in self:
            equipment.qr_url = f"{base}{equipment._kf_qr_path()}" if equipment.id else False

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for equipment in self:
            equipment.access_url = f"/kf/equipment/{equipment.id}"
        return res

    @api.constrains("date_commissioning", "warranty_end")
    def _check_dates(self):
        for equipment in self:
            if equipment.date_commissioning and equipment.warranty_end:
                if equipment.warranty_end < equipment.date_commissioning:
                    raise ValidationError(
                        self.env._("The warranty of %(name)s cannot end before its commissioning.", name=equipment.name)
                    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("access_token", secrets.token_urlsafe(24))
        return super().create(vals_list)

    def _kf_qr_path(self):
        """Path the QR label encodes: the id and the access token; the page
        opens only when both match."""
        self.ensure_one()
        return f"/kf/equipment/{self.id}/{self.sudo().access_token}"

    def action_regenerate_token(self):
        """Invalidate the printed labels: their links stop working."""
        for equipment in self:
            equipment.sudo().access_token = secrets.token_urlsafe(24)
            equipment.message_post(body=self.env._("A new QR code was generated; the old labels no longer work."))
        return True

    def action_print_labels(self):
        return self.env.ref("kf_dispatch.kf_equipment_label_report").report_action(self)

    def _kf_open(self, model, field):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": [(field, "=", self.id)],
            "context": {f"default_{field}": self.id, "default_partner_id": self.partner_id.id},
        }

    def action_view_orders(self):
        return self._kf_open("kf.dispatch.order", "equipment_id")

    def action_view_tickets(self):
        return self._kf_open("kf.ticket", "equipment_id")

    def action_view_problems(self):
        return self._kf_open("kf.problem", "equipment_id")

    def action_view_visits(self):
        return self._kf_open("kf.visit", "kf_equipment_id")

    def _kf_qr_image(self):
        """The label's QR code (the full public link) as a PNG data URI,
        drawn by Odoo's barcode renderer (the one of ``/report/barcode``)
        and embedded, so that the PDF needs no request back to the server."""
        self.ensure_one()
        url = f"{self.get_base_url()}{self._kf_qr_path()}"
        png = self.env["ir.actions.report"].barcode("QR", url, width=300, height=300)
        return f"data:image/png;base64,{base64.b64encode(png).decode()}"

    def _kf_public_values(self):
        """What the public QR page shows: this equipment only."""
        self.ensure_one()
        tickets = (
            self.env["kf.ticket"]
            .sudo()
            .search([("equipment_id", "=", self.id), ("is_closed", "=", False)], order="id desc", limit=10)
        )
        return {
            "equipment": self,
            "open_tickets": tickets,
        }

    def kf_report_fault(self, description, phone, photo=None, reporter=None):
        """Create the repair ticket of a fault reported through the QR page.
        Call it on the sudo record once the token is checked. ``reporter``
        is the portal user's partner when the reporter is logged in as a
        contact of the equipment's customer; otherwise the ticket is flagged
        for a clerk to confirm. At most ``QR_REPORTS_PER_HOUR`` anonymous
        reports per equipment and hour."""
        self.ensure_one()
        description = (description or "").strip()
        phone = (phone or "").strip()
        if len(description) < 5 or len(description) > 2000:
            raise ValidationError(self.env._("Describe the fault in 5 to 2000 characters."))
        if not PHONE_RE.match(phone):
            raise ValidationError(self.env._("Give a phone number where we can call you back."))
        anonymous = not reporter
        if anonymous:
            since = fields.Datetime.now() - timedelta(hours=1)
            recent = (
                self.env["kf.ticket"]
                .sudo()
                .search_count(
                    [
                        ("equipment_id", "=", self.id),
                        ("channel", "=", "portal"),
                        ("contact_id", "=", False),
                        ("create_date", ">=", since),
                    ]
                )
            )
            if recent >= QR_REPORTS_PER_HOUR:
                raise UserError(
                    self.env._("Too many reports for this equipment in the last hour: please call us instead.")
                )
        company = self.company_id
        ticket = (
            self.env["kf.ticket"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "subject": self.env._("Fault reported on %(equipment)s", equipment=self.name),
                    "ticket_type": "repair",
                    "channel": "portal",
                    "partner_id": self.commercial_partner_id.id,
                    "contact_id": reporter.id if reporter else False,
                    "phone": phone,
                    "description": plaintext2html(description),
                    "project_id": self.project_id.id,
                    "equipment_id": self.id,
                    "company_id": company.id,
                    "kf_to_confirm": anonymous,
                }
            )
        )
        if photo:
            self.env["ir.attachment"].sudo().create(
                {"name": photo[0], "raw": photo[1], "res_model": ticket._name, "res_id": ticket.id}
            )
        return ticket
