from werkzeug.exceptions import Forbidden, NotFound
from werkzeug.urls import url_encode

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request


class KfMobileOrders(http.Controller):
    """The field engineer's phone: today's work orders and, for each, the
    check-in/out, photos, checklist, completion and the customer's signature.
    Everything runs as the logged-in user: the model's rules and guards
    decide, these routes only parse the request."""

    def _kf_mobile_user(self):
        if not request.env.user._is_internal():
            raise Forbidden()
        return request.env.user

    def _kf_mobile_order(self, order_id):
        """The order, if it is assigned to the current user (404 otherwise:
        another engineer's order does not exist for this one)."""
        user = self._kf_mobile_user()
        order = request.env["kf.dispatch.order"].search([("id", "=", order_id), ("user_id", "=", user.id)], limit=1)
        if not order:
            raise NotFound()
        return order

    def _kf_redirect(self, order, error=None, message=None):
        params = {key: value for key, value in (("error", error), ("message", message)) if value}
        query = f"?{url_encode(params)}" if params else ""
        return request.redirect(f"/kf/m/order/{order.id}{query}")

    @staticmethod
    def _kf_position(post):
        try:
            latitude = float(post.get("latitude") or "")
            longitude = float(post.get("longitude") or "")
        except ValueError:
            return None, None
        return latitude, longitude

    def _kf_run(self, order, method, *args, message=None, **kwargs):
        """Call an on-site method of the order; its refusal is shown on the page."""
        try:
            with request.env.cr.savepoint():
                getattr(order, method)(*args, **kwargs)
        except (UserError, ValidationError, AccessError) as error:
            return self._kf_redirect(order, error=str(error))
        return self._kf_redirect(order, message=message)

    @http.route("/kf/m/orders", type="http", auth="user", methods=["GET"])
    def kf_mobile_orders(self, **kw):
        self._kf_mobile_user()
        orders = request.env["kf.dispatch.order"].kf_mobile_orders()
        return request.render("kf_dispatch.kf_mobile_orders", {"orders": orders})

    @http.route("/kf/m/order/<int:order_id>", type="http", auth="user", methods=["GET"])
    def kf_mobile_order(self, order_id, error=None, message=None, **kw):
        order = self._kf_mobile_order(order_id)
        values = {
            "order": order,
            "open_checkin": order.kf_open_checkin(),
            "checkins": order.checkin_ids.filtered(lambda c: c.user_id == request.env.user),
            "error": error,
            "message": message,
            "photo_max_mb": order._kf_photo_max_mb(),
        }
        return request.render("kf_dispatch.kf_mobile_order", values)

    @http.route("/kf/m/order/<int:order_id>/checkin", type="http", auth="user", methods=["POST"])
    def kf_mobile_checkin(self, order_id, **post):
        order = self._kf_mobile_order(order_id)
        latitude, longitude = self._kf_position(post)
        return self._kf_run(order, "kf_check_in", latitude, longitude, message="checked_in")

    @http.route("/kf/m/order/<int:order_id>/checkout", type="http", auth="user", methods=["POST"])
    def kf_mobile_checkout(self, order_id, **post):
        order = self._kf_mobile_order(order_id)
        latitude, longitude = self._kf_position(post)
        return self._kf_run(
            order, "kf_check_out", latitude, longitude, note=(post.get("note") or "").strip(), message="checked_out"
        )

    @http.route("/kf/m/order/<int:order_id>/photo", type="http", auth="user", methods=["POST"])
    def kf_mobile_photo(self, order_id, **post):
        order = self._kf_mobile_order(order_id)
        files = request.httprequest.files.getlist("photo")
        if not files:
            return self._kf_redirect(order, error=request.env._("Choose a photo first."))
        limit = order._kf_photo_max_bytes()
        try:
            with request.env.cr.savepoint():
                for upload in files:
                    # read one byte more than allowed: the model refuses it
                    # without the whole file in memory
                    data = upload.read(limit + 1)
                    order.kf_add_photo(upload.filename, data)
        except (UserError, ValidationError, AccessError) as error:
            return self._kf_redirect(order, error=str(error))
        return self._kf_redirect(order, message="photo")

    @http.route("/kf/m/order/<int:order_id>/check", type="http", auth="user", methods=["POST"])
    def kf_mobile_check(self, order_id, **post):
        order = self._kf_mobile_order(order_id)
        try:
            check_id = int(post.get("check_id") or 0)
        except ValueError as error:
            raise NotFound() from error
        check = request.env["kf.dispatch.order.check"].browse(check_id)
        return self._kf_run(
            order, "kf_set_check", check, post.get("done") == "1", result=post.get("result") or None, message="check"
        )

    @http.route("/kf/m/order/<int:order_id>/complete", type="http", auth="user", methods=["POST"])
    def kf_mobile_complete(self, order_id, **post):
        order = self._kf_mobile_order(order_id)
        return self._kf_run(order, "kf_complete_onsite", post.get("completion_note"), message="done")

    @http.route("/kf/m/order/<int:order_id>/sign", type="json", auth="user")
    def kf_mobile_sign(self, order_id, name=None, signature=None):
        order = self._kf_mobile_order(order_id)
        try:
            with request.env.cr.savepoint():
                order.kf_onsite_accept(name, signature)
        except (UserError, ValidationError, AccessError, MissingError) as error:
            return {"error": str(error)}
        return {"force_refresh": True, "redirect_url": f"/kf/m/order/{order.id}?message=signed"}
