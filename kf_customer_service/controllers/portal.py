from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager


class KfContractPortal(CustomerPortal):
    """Service contracts of the portal user's company under /my."""

    def _prepare_portal_layout_values(self):
        """The customer's contact in the portal's sidebar is their
        customer-service specialist (else the department's manager), not the
        salesperson."""
        values = super()._prepare_portal_layout_values()
        values["sales_user"] = self._kf_portal_contact() or values.get("sales_user")
        return values

    def _kf_portal_contact(self):
        partner = request.env.user.partner_id.sudo()
        specialist = partner.kf_specialist_id or partner.commercial_partner_id.kf_specialist_id
        if specialist and specialist.active:
            return specialist
        if request.env.user._is_public():
            return request.env["res.users"]
        return request.env.user.company_id.sudo().kf_get_manager()

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "kf_service_contract_count" in counters:
            Contract = request.env["kf.service.contract"]
            values["kf_service_contract_count"] = (
                Contract.search_count(self._kf_contract_domain()) if Contract.has_access("read") else 0
            )
        return values

    def _kf_contract_domain(self):
        partner = request.env.user.partner_id
        return [
            ("partner_id", "child_of", [partner.commercial_partner_id.id]),
            ("state", "!=", "draft"),
        ]

    def _kf_contract_sortings(self):
        return {
            "date_end": {"label": request.env._("End Date"), "order": "date_end desc, id desc"},
            "date_start": {"label": request.env._("Start Date"), "order": "date_start desc, id desc"},
            "name": {"label": request.env._("Number"), "order": "name desc"},
            "state": {"label": request.env._("Status"), "order": "state, date_end desc"},
        }

    def _kf_contract_filters(self):
        return {
            "all": {"label": request.env._("All"), "domain": []},
            "running": {"label": request.env._("Running"), "domain": [("state", "=", "running")]},
            "overdue": {
                "label": request.env._("Payment overdue"),
                "domain": [("amount_overdue", ">", 0)],
            },
            "ended": {
                "label": request.env._("Ended"),
                "domain": [("state", "in", ("expired", "renewed", "lost", "cancelled"))],
            },
        }

    @http.route(
        ["/my/service-contracts", "/my/service-contracts/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_kf_contracts(self, page=1, sortby=None, filterby=None, **kw):
        values = self._prepare_portal_layout_values()
        Contract = request.env["kf.service.contract"]
        sortings = self._kf_contract_sortings()
        filters = self._kf_contract_filters()
        if sortby not in sortings:
            sortby = "date_end"
        if filterby not in filters:
            filterby = "all"
        domain = self._kf_contract_domain() + filters[filterby]["domain"]
        count = Contract.search_count(domain)
        pager = portal_pager(
            url="/my/service-contracts",
            url_args={"sortby": sortby, "filterby": filterby},
            total=count,
            page=page,
            step=self._items_per_page,
        )
        contracts = Contract.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        request.session["my_kf_contracts_history"] = contracts.ids[:100]
        values.update(
            {
                "contracts": contracts,
                "page_name": "kf_service_contract",
                "default_url": "/my/service-contracts",
                "pager": pager,
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
            }
        )
        return request.render("kf_customer_service.portal_my_kf_contracts", values)

    @http.route(
        ["/my/service-contracts/<int:contract_id>"],
        type="http",
        auth="public",
        website=True,
    )
    def portal_my_kf_contract(self, contract_id, access_token=None, **kw):
        try:
            contract_sudo = self._document_check_access("kf.service.contract", contract_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._kf_contract_page_values(contract_sudo, access_token, **kw)
        return request.render("kf_customer_service.portal_my_kf_contract", values)

    def _kf_contract_page_values(self, contract_sudo, access_token, **kw):
        """Values of the detail page. ``contract_sudo`` comes from
        ``_document_check_access``: the current user may read it (record
        rules) or holds its access token, so reading its schedule in sudo is
        safe here; only the files meant for the customer are listed. The
        posted invoices are linked to Odoo's own invoice page (with their
        access token), never copied."""
        attachments = contract_sudo.kf_portal_attachments()
        values = {
            "contract": contract_sudo,
            "payment_lines": contract_sudo.payment_line_ids,
            "invoices": contract_sudo.kf_portal_invoices(),
            "attachments": attachments,
            "page_name": "kf_service_contract",
        }
        return self._get_page_view_values(contract_sudo, access_token, values, "my_kf_contracts_history", False, **kw)
