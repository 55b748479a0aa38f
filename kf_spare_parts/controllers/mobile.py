from odoo import http
from odoo.http import request

from odoo.addons.kf_dispatch.controllers.mobile_service import KfMobileService


class KfPartQuoteMobile(KfMobileService):
    """The customer signs the approved supplementary parts quotes on the
    phone of the work order's executor."""

    @http.route("/kf/m/order/<int:order_id>/parts-quote/<int:quote_id>/sign", type="json", auth="user")
    def kf_mobile_part_quote_sign(self, order_id, quote_id, name=None, signature=None):
        order = self._kf_mobile_order(order_id)
        quote = order.kf_part_quote_ids.filtered(lambda q: q.id == quote_id)
        if not quote:
            raise request.not_found()
        error = self._kf_sign(quote.kf_consent, name, signature)
        if error:
            return error
        return {"force_refresh": True, "redirect_url": f"/kf/m/order/{order.id}/quote?message=parts_signed"}
