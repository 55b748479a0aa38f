from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools import consteq
from odoo.tools.mimetypes import guess_mimetype

MAX_PHOTO_SIZE = 10 * 1024 * 1024


class KfEquipmentQr(http.Controller):
    """The page a phone opens by scanning an equipment's QR label: the
    equipment and a short fault-report form. It opens only with the
    equipment's current access token and shows nothing but that equipment."""

    def _kf_equipment(self, equipment_id, token):
        equipment = request.env["kf.equipment"].sudo().browse(equipment_id).exists()
        if not equipment or not equipment.active or not token or not equipment.access_token:
            raise NotFound()
        if not consteq(equipment.access_token, token):
            raise NotFound()
        if request.env.user._is_public() and not request.cookies.get("frontend_lang"):
            # a visitor scanning the label reads the page in the customer's language
            lang = equipment.commercial_partner_id.lang or equipment.company_id.partner_id.lang
            if lang and lang in request.env["res.lang"]._get_frontend():
                request.update_context(lang=lang)
                equipment = equipment.with_context(lang=lang)
        return equipment

    def _kf_reporter(self, equipment):
        """The logged-in portal contact of the equipment's customer, if any."""
        user = request.env.user
        if user._is_public() or not user.share:
            return request.env["res.partner"]
        partner = user.partner_id
        if partner.commercial_partner_id != equipment.commercial_partner_id:
            return request.env["res.partner"]
        return partner

    def _kf_render(self, equipment, token, **values):
        return request.render(
            "kf_dispatch.kf_equipment_qr_page",
            {**equipment._kf_public_values(), "token": token, "form": {}, "errors": [], **values},
        )

    @http.route(
        ["/kf/equipment/<int:equipment_id>/<string:token>", "/kf/equipment/<int:equipment_id>"],
        type="http",
        auth="public",
        website=True,
    )
    def kf_equipment_page(self, equipment_id, token=None, access_token=None, **kw):
        token = token or access_token
        equipment = self._kf_equipment(equipment_id, token)
        return self._kf_render(equipment, token, reported=kw.get("reported"))

    @http.route(
        ["/kf/equipment/<int:equipment_id>/<string:token>/report"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def kf_equipment_report(self, equipment_id, token, description=None, phone=None, **kw):
        equipment = self._kf_equipment(equipment_id, token)
        form = {"description": description or "", "phone": phone or ""}
        photo = None
        upload = request.httprequest.files.get("photo")
        if upload and upload.filename:
            content = upload.read(MAX_PHOTO_SIZE + 1)
            if len(content) > MAX_PHOTO_SIZE or not guess_mimetype(content).startswith("image/"):
                return self._kf_render(
                    equipment, token, form=form, errors=[request.env._("The photo must be an image of 10 MB at most.")]
                )
            photo = (upload.filename[-100:], content)
        try:
            equipment.kf_report_fault(description, phone, photo=photo, reporter=self._kf_reporter(equipment))
        except (UserError, ValidationError) as error:
            return self._kf_render(equipment, token, form=form, errors=[str(error)])
        return request.redirect(f"/kf/equipment/{equipment.id}/{token}?reported=1")
