import binascii
from datetime import datetime

import pytz

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

FEEDBACK_FORM_FIELDS = ("service_type", "work_done", "result")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class KfMobileService(http.Controller):
    """Phone pages of the field engineer: the repair quote and the service
    feedback form of an order assigned to them, signed by the customer on
    the phone."""

    def _kf_mobile_order(self, order_id):
        """The order, read as the user: only its executor gets the page."""
        order = request.env["kf.dispatch.order"].browse(order_id).exists()
        if not order or not order.has_access("read") or order.user_id != request.env.user:
            raise request.not_found()
        return order

    def _kf_tz(self, order):
        return pytz.timezone(request.env.user.tz or order.company_id.resource_calendar_id.tz or "Asia/Shanghai")

    def _kf_to_local(self, order, value):
        if not value:
            return ""
        return pytz.utc.localize(value).astimezone(self._kf_tz(order)).strftime(LOCAL_FORMAT)

    def _kf_from_local(self, order, text):
        if not text:
            return False
        try:
            local = datetime.strptime(text, LOCAL_FORMAT)
        except ValueError as error:
            raise UserError(request.env._("Invalid date and time: %(value)s", value=text)) from error
        return self._kf_tz(order).localize(local).astimezone(pytz.utc).replace(tzinfo=None)

    def _kf_sign(self, method, *args):
        try:
            with request.env.cr.savepoint():
                method(*args)
        except (TypeError, ValueError, binascii.Error):
            return {"error": request.env._("Invalid signature data.")}
        except (UserError, ValidationError, AccessError) as error:
            return {"error": str(error)}
        return None

    # ------------------------------------------------------------------
    # Repair quote
    # ------------------------------------------------------------------
    @http.route("/kf/m/order/<int:order_id>/quote", type="http", auth="user", methods=["GET"])
    def kf_mobile_quote(self, order_id, message=None, **kw):
        order = self._kf_mobile_order(order_id)
        if order.kf_order_type != "repair":
            raise request.not_found()
        return request.render("kf_dispatch.kf_mobile_quote", {"order": order, "message": message})

    @http.route("/kf/m/order/<int:order_id>/quote/sign", type="json", auth="user")
    def kf_mobile_quote_sign(self, order_id, name=None, signature=None):
        order = self._kf_mobile_order(order_id)
        error = self._kf_sign(order.kf_quote_consent, name, signature)
        if error:
            return error
        return {"force_refresh": True, "redirect_url": f"/kf/m/order/{order.id}/quote?message=signed"}

    # ------------------------------------------------------------------
    # Feedback form
    # ------------------------------------------------------------------
    def _kf_current_form(self, order):
        return request.env["kf.service.feedback"].search(
            [("order_id", "=", order.id), ("next_version_id", "=", False)], order="version desc", limit=1
        )

    def _kf_feedback_values(self, order, form, error=None, post=None, message=None):
        post = post or {}
        Feedback = request.env["kf.service.feedback"]
        return {
            "order": order,
            "form": form,
            "service_types": Feedback._fields["service_type"]._description_selection(request.env),
            "service_type": post.get("service_type") or form.service_type or Feedback._kf_default_service_type(order),
            "date_arrival": post.get("date_arrival") or self._kf_to_local(order, form.date_arrival or order.date_start),
            "date_leave": post.get("date_leave") or self._kf_to_local(order, form.date_leave or order.date_done),
            "work_done": post.get("work_done") or form.work_done or "",
            "result": post.get("result") or form.result or "",
            "error": error,
            "message": message,
        }

    @http.route("/kf/m/order/<int:order_id>/feedback", type="http", auth="user", methods=["GET", "POST"])
    def kf_mobile_feedback(self, order_id, message=None, **post):
        order = self._kf_mobile_order(order_id)
        form = self._kf_current_form(order)
        if request.httprequest.method != "POST":
            return request.render(
                "kf_dispatch.kf_mobile_feedback", self._kf_feedback_values(order, form, message=message)
            )
        try:
            with request.env.cr.savepoint():
                vals = {fname: (post.get(fname) or "").strip() or False for fname in FEEDBACK_FORM_FIELDS}
                vals["date_arrival"] = self._kf_from_local(order, post.get("date_arrival"))
                vals["date_leave"] = self._kf_from_local(order, post.get("date_leave"))
                if form and form.state == "draft":
                    form.write(vals)
                elif not form:
                    form = request.env["kf.service.feedback"].create({"order_id": order.id, **vals})
                else:
                    raise UserError(request.env._("This feedback form is signed: it can no longer be changed."))
        except (UserError, ValidationError, AccessError) as error:
            values = self._kf_feedback_values(order, form, error=str(error), post=post)
            return request.render("kf_dispatch.kf_mobile_feedback", values, status=400)
        return request.redirect(f"/kf/m/order/{order.id}/feedback?message=saved")

    @http.route("/kf/m/order/<int:order_id>/feedback/sign", type="json", auth="user")
    def kf_mobile_feedback_sign(self, order_id, name=None, signature=None):
        order = self._kf_mobile_order(order_id)
        form = self._kf_current_form(order)
        if not form:
            return {"error": request.env._("Fill in and save the feedback form before the customer signs it.")}
        error = self._kf_sign(form.kf_sign, name, signature)
        if error:
            return error
        return {"force_refresh": True, "redirect_url": f"/kf/m/order/{order.id}/feedback?message=signed"}


class KfQuotePortal(CustomerPortal):
    """The customer's consent to an approved repair quote on the portal."""

    @http.route(["/my/kf-orders/<int:order_id>/quote/sign"], type="json", auth="public", website=True)
    def portal_kf_order_quote_sign(self, order_id, access_token=None, name=None, signature=None):
        access_token = access_token or request.httprequest.args.get("access_token")
        try:
            order_sudo = self._document_check_access("kf.dispatch.order", order_id, access_token=access_token)
        except (AccessError, MissingError):
            return {"error": request.env._("Invalid work order.")}
        try:
            with request.env.cr.savepoint():
                order_sudo.kf_quote_consent(name, signature)
        except (TypeError, ValueError, binascii.Error):
            return {"error": request.env._("Invalid signature data.")}
        except (UserError, ValidationError) as error:
            return {"error": str(error)}
        return {
            "force_refresh": True,
            "redirect_url": order_sudo.get_portal_url(query_string="&message=quote_ok"),
        }
