import base64
import binascii
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.mimetypes import guess_mimetype

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MIMETYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
PHOTO_MAX_COUNT = 50


class KfDispatchOrder(models.Model):
    """The engineer's work on site, from the phone: check-in and check-out,
    photos, the checklist and the customer's signature. Everything here is
    done by the order's assigned engineer (``user_id``) only."""

    _inherit = "kf.dispatch.order"

    checkin_ids = fields.One2many("kf.dispatch.order.checkin", "order_id", string="Check-ins", groups="base.group_user")
    checkin_count = fields.Integer(compute="_compute_checkin_count", groups="base.group_user")
    kf_photo_ids = fields.Many2many(
        "ir.attachment",
        "kf_dispatch_order_photo_rel",
        "order_id",
        "attachment_id",
        string="Site Photos",
        copy=False,
        groups="base.group_user",
    )
    kf_photo_count = fields.Integer(string="Photo Count", compute="_compute_kf_photo_count", groups="base.group_user")

    def _compute_checkin_count(self):
        groups = self.env["kf.dispatch.order.checkin"]._read_group(
            [("order_id", "in", self.ids)], ["order_id"], ["__count"]
        )
        counts = {order.id: count for order, count in groups}
        for order in self:
            order.checkin_count = counts.get(order.id, 0)

    @api.depends("kf_photo_ids")
    def _compute_kf_photo_count(self):
        for order in self:
            order.kf_photo_count = len(order.kf_photo_ids)

    def _kf_check_assigned(self):
        """On-site actions are the assigned engineer's."""
        self.ensure_one()
        self.check_access("read")
        if self.user_id != self.env.user:
            raise AccessError(
                self.env._(
                    "Work order %(name)s is assigned to %(user)s: only they can record the work on site.",
                    name=self.name,
                    user=self.user_id.name or self.env._("nobody"),
                )
            )

    def kf_open_checkin(self):
        """The current user's open check-in on this order (empty when none)."""
        self.ensure_one()
        return self.env["kf.dispatch.order.checkin"].search(
            [("order_id", "=", self.id), ("user_id", "=", self.env.uid), ("check_out", "=", False)], limit=1
        )

    def kf_check_in(self, latitude=None, longitude=None):
        """Arrive on site now: record the check-in (its id is returned) and
        start the order when it was only dispatched or acknowledged."""
        self._kf_check_assigned()
        vals = {"order_id": self.id, "user_id": self.env.uid}
        if latitude is not None and longitude is not None:
            vals.update(latitude=latitude, longitude=longitude)
        checkin = self.env["kf.dispatch.order.checkin"].create(vals)
        if self.state in ("dispatched", "accepted"):
            self.action_start()
        return checkin.id

    def kf_check_out(self, latitude=None, longitude=None, note=None):
        """Leave the site now; refused without an open check-in."""
        self._kf_check_assigned()
        checkin = self.kf_open_checkin()
        if not checkin:
            raise UserError(self.env._("Check in on work order %(name)s before checking out.", name=self.name))
        checkin.action_check_out(latitude=latitude, longitude=longitude, note=note)
        return checkin.id

    def kf_add_photo(self, filename, data):
        """Attach a site photo (raw bytes) to the order: images only, at most
        ``PHOTO_MAX_BYTES``."""
        self._kf_check_assigned()
        if self.state not in ("dispatched", "accepted", "in_progress", "done"):
            raise UserError(self.env._("Photos are added while the work order is open (%(name)s).", name=self.name))
        if not data:
            raise UserError(self.env._("The photo %(file)s is empty.", file=filename or "-"))
        if len(data) > PHOTO_MAX_BYTES:
            raise UserError(
                self.env._(
                    "The photo %(file)s is too large (%(size)s MB; at most %(max)s MB).",
                    file=filename,
                    size=round(len(data) / 1024 / 1024, 1),
                    max=PHOTO_MAX_BYTES // 1024 // 1024,
                )
            )
        mimetype = guess_mimetype(data)
        if mimetype not in PHOTO_MIMETYPES:
            raise UserError(
                self.env._(
                    "%(file)s is not a photo (JPEG, PNG, WebP or GIF), its type is %(type)s.",
                    file=filename,
                    type=mimetype,
                )
            )
        if len(self.sudo().kf_photo_ids) >= PHOTO_MAX_COUNT:
            raise UserError(
                self.env._("Work order %(name)s already has %(count)s photos.", name=self.name, count=PHOTO_MAX_COUNT)
            )
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": filename or self.env._("Photo %(name)s", name=self.name),
                    "raw": data,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        )
        self.sudo().write({"kf_photo_ids": [Command.link(attachment.id)]})
        self.message_post(
            body=self.env._("Site photo added by %(user)s.", user=self.env.user.name), attachment_ids=attachment.ids
        )
        return attachment.id

    def kf_set_check(self, check, done, result=None, note=None):
        """Tick (or untick) one item (record or id) of the order's checklist."""
        self._kf_check_assigned()
        if isinstance(check, int):
            check = self.env["kf.dispatch.order.check"].browse(check)
        if check.order_id != self:
            raise UserError(self.env._("This check does not belong to work order %(name)s.", name=self.name))
        vals = {"done": bool(done)}
        if result in ("ok", "fault"):
            vals["result"] = result
        if note is not None:
            vals["note"] = note
        check.write(vals)
        return True

    def kf_complete_onsite(self, completion_note):
        """Finish the work on site: the completion note, then the order is done."""
        self._kf_check_assigned()
        note = (completion_note or "").strip()
        if not note:
            raise UserError(self.env._("Describe the work done before completing the work order."))
        self.write({"completion_note": note})
        if self.state == "dispatched":
            self.action_start()
        return self.action_done()

    def kf_onsite_accept(self, signed_by, signature):
        """The customer signs the completed order on the engineer's phone:
        the signature becomes the acceptance certificate and the order is
        closed, as from the portal."""
        self._kf_check_assigned()
        if self.state != "done":
            raise UserError(self.env._("The customer signs once the work order is done (%(name)s).", name=self.name))
        signed_by = (signed_by or "").strip()
        if not signed_by or not signature:
            raise UserError(self.env._("The customer's name and signature are both required."))
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as error:
            raise UserError(self.env._("The signature could not be read.")) from error
        if guess_mimetype(raw) not in ("image/png", "image/jpeg"):
            raise UserError(self.env._("The signature could not be read."))
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self.env._("Acceptance %(name)s signed by %(who)s.png", name=self.name, who=signed_by),
                    "raw": raw,
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "image/png",
                }
            )
        )
        self._write_state(
            {
                "customer_signature": signature,
                "customer_signed_by": signed_by,
                "customer_signed_on": fields.Datetime.now(),
                "certificate_attachment_ids": [Command.link(attachment.id)],
                "certificate_date": fields.Date.context_today(self),
            }
        )
        self.message_post(
            body=self.env._(
                "Work order accepted and signed on site by %(who)s (engineer: %(user)s).",
                who=signed_by,
                user=self.env.user.name,
            ),
            attachment_ids=attachment.ids,
        )
        self.action_close()
        return True

    @api.model
    def kf_mobile_orders(self):
        """The current user's orders for the phone: open orders planned to
        start by the end of today (the overdue ones included) and those done
        today, waiting for the customer's signature."""
        now = fields.Datetime.now()
        local_now = fields.Datetime.context_timestamp(self, now).replace(tzinfo=None)
        start_of_day = now - (local_now - local_now.replace(hour=0, minute=0, second=0, microsecond=0))
        end_of_day = start_of_day + timedelta(days=1)
        return self.search(
            [
                ("user_id", "=", self.env.uid),
                "|",
                "&",
                ("state", "in", ("dispatched", "accepted", "in_progress")),
                "|",
                ("date_planned_start", "=", False),
                ("date_planned_start", "<", end_of_day),
                "&",
                ("state", "=", "done"),
                ("date_done", ">=", start_of_day),
            ],
            order="priority desc, date_planned_start, id",
        )

    def action_view_checkins(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("kf_dispatch.kf_dispatch_order_checkin_action")
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"search_default_today": 0}
        return action

    def _kf_check_checklist_executor(self):
        """Field staff (employees outside the department) fill in the
        checklist of the orders assigned to them only, not of their team's."""
        user = self.env.user
        if self.env.su or user.has_group("kf_customer_service.group_kf_clerk"):
            return
        others = self.filtered(lambda o: o.user_id != user)
        if others:
            raise AccessError(
                self.env._(
                    "Only the assigned engineer fills in the checklist of work orders %(names)s.",
                    names=", ".join(others.mapped("name")),
                )
            )

    @api.model
    def _kf_photo_max_bytes(self):
        return PHOTO_MAX_BYTES

    @api.model
    def _kf_photo_max_mb(self):
        return PHOTO_MAX_BYTES // 1024 // 1024
