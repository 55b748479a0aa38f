import binascii

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class KfPartQuotePortal(CustomerPortal):
    """The customer's signature on an approved supplementary parts quote of
    their work order, on the portal."""

    def _kf_part_quote_sudo(self, order_id, quote_id, access_token):
        """The quote as superuser once the user is known to own the work
        order (or holds its token) and the quote belongs to that order;
        anything else is not found."""
        try:
            order_sudo = self._document_check_access("kf.dispatch.order", order_id, access_token=access_token)
        except (AccessError, MissingError) as error:
            raise request.not_found() from error
        quote_sudo = order_sudo.kf_part_quote_ids.filtered(lambda q: q.id == quote_id)
        if not quote_sudo:
            raise request.not_found()
        return quote_sudo

    @http.route(
        ["/my/kf-orders/<int:order_id>/parts-quote/<int:quote_id>/sign"], type="json", auth="public", website=True
    )
    def portal_kf_part_quote_sign(self, order_id, quote_id, access_token=None, name=None, signature=None):
        # the signature widget sends the token in the query string
        access_token = access_token or request.httprequest.args.get("access_token")
        quote_sudo = self._kf_part_quote_sudo(order_id, quote_id, access_token)
        try:
            with request.env.cr.savepoint():
                quote_sudo.kf_consent(name, signature)
        except (TypeError, ValueError, binascii.Error):
            return {"error": request.env._("Invalid signature data.")}
        except (UserError, ValidationError) as error:
            return {"error": str(error)}
        return {
            "force_refresh": True,
            "redirect_url": quote_sudo.order_id.get_portal_url(query_string="&message=parts_quote_ok"),
        }
