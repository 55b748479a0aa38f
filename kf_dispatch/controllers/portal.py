import binascii
import os

from odoo import _, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import is_html_empty, plaintext2html

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

# uploads of the "new ticket" form
MAX_UPLOAD_SIZE = 10 * 1024 * 1024
FORBIDDEN_EXTENSIONS = frozenset(
    (".exe", ".bat", ".cmd", ".com", ".msi", ".sh", ".js", ".vbs", ".ps1", ".jar", ".scr", ".dll")
)
OPEN_ORDER_STATES = ("dispatched", "accepted", "in_progress")


class KfDispatchPortal(CustomerPortal):
    """Work orders and tickets of the portal user's company under /my, the
    customer's acceptance (signature) of done work orders and the form to
    report a complaint or a repair."""

    # ------------------------------------------------------------------
    # Home
    # ------------------------------------------------------------------
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "kf_order_count" in counters:
            Order = request.env["kf.dispatch.order"]
            values["kf_order_count"] = Order.search_count(self._kf_order_domain()) if Order.has_access("read") else 0
        if "kf_ticket_count" in counters:
            Ticket = request.env["kf.ticket"]
            values["kf_ticket_count"] = (
                Ticket.search_count(self._kf_ticket_domain()) if Ticket.has_access("read") else 0
            )
        return values

    def _kf_commercial_partner(self):
        return request.env.user.partner_id.commercial_partner_id

    def _kf_portal_attachments(self, record_sudo, extra=None):
        """Documents of a record shown to the customer: the record's
        attachments except those of internal notes, plus ``extra``; each gets
        an access token so that the download link works on the portal.
        ``record_sudo`` comes from ``_document_check_access``."""
        attachments = (
            request.env["ir.attachment"]
            .sudo()
            .search(
                [("res_model", "=", record_sudo._name), ("res_id", "=", record_sudo.id)],
                order="create_date desc, id desc",
            )
        )
        internal_messages = record_sudo.message_ids.filtered(lambda m: m.is_internal or m.subtype_id.internal)
        attachments -= internal_messages.attachment_ids
        if extra:
            attachments |= extra.sudo()
        for attachment in attachments.filtered(lambda a: not a.access_token):
            attachment.generate_access_token()
        return attachments

    # ------------------------------------------------------------------
    # Work orders
    # ------------------------------------------------------------------
    def _kf_order_domain(self):
        return [
            ("partner_id", "child_of", [self._kf_commercial_partner().id]),
            ("state", "not in", ("draft", "cancelled")),
        ]

    def _kf_order_sortings(self):
        return {
            "date": {"label": _("Planned Date"), "order": "date_planned_start desc, id desc"},
            "name": {"label": _("Number"), "order": "name desc"},
            "state": {"label": _("Status"), "order": "state, date_planned_start desc, id desc"},
        }

    def _kf_order_filters(self):
        return {
            "all": {"label": _("All"), "domain": []},
            "open": {"label": _("In progress"), "domain": [("state", "in", OPEN_ORDER_STATES)]},
            "done": {"label": _("Waiting for your acceptance"), "domain": [("state", "=", "done")]},
            "closed": {"label": _("Accepted"), "domain": [("state", "=", "closed")]},
        }

    @http.route(["/my/kf-orders", "/my/kf-orders/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_kf_orders(self, page=1, sortby=None, filterby=None, **kw):
        values = self._prepare_portal_layout_values()
        Order = request.env["kf.dispatch.order"]
        sortings = self._kf_order_sortings()
        filters = self._kf_order_filters()
        if sortby not in sortings:
            sortby = "date"
        if filterby not in filters:
            filterby = "all"
        domain = self._kf_order_domain() + filters[filterby]["domain"]
        count = Order.search_count(domain)
        pager = portal_pager(
            url="/my/kf-orders",
            url_args={"sortby": sortby, "filterby": filterby},
            total=count,
            page=page,
            step=self._items_per_page,
        )
        orders = Order.search(
            domain, order=sortings[sortby]["order"], limit=self._items_per_page, offset=pager["offset"]
        )
        request.session["my_kf_orders_history"] = orders.ids[:100]
        values.update(
            {
                # selected with the user's rights; sudo only to display the
                # project and the executor, which portal users cannot read
                "orders": orders.sudo(),
                "page_name": "kf_order",
                "default_url": "/my/kf-orders",
                "pager": pager,
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
            }
        )
        return request.render("kf_dispatch.portal_my_kf_orders", values)

    @http.route(["/my/kf-orders/<int:order_id>"], type="http", auth="public", website=True)
    def portal_my_kf_order(self, order_id, access_token=None, **kw):
        try:
            order_sudo = self._document_check_access("kf.dispatch.order", order_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        order_sudo._portal_ensure_token()
        values = {
            "order": order_sudo,
            "attachments": self._kf_portal_attachments(order_sudo, order_sudo.certificate_attachment_ids),
            "page_name": "kf_order",
            "message": kw.get("message"),
        }
        values = self._get_page_view_values(order_sudo, access_token, values, "my_kf_orders_history", False, **kw)
        return request.render("kf_dispatch.portal_my_kf_order", values)

    @http.route(["/my/kf-orders/<int:order_id>/accept"], type="json", auth="public", website=True)
    def portal_kf_order_accept(self, order_id, access_token=None, name=None, signature=None):
        # the signature widget sends the token in the query string
        access_token = access_token or request.httprequest.args.get("access_token")
        try:
            order_sudo = self._document_check_access("kf.dispatch.order", order_id, access_token=access_token)
        except (AccessError, MissingError):
            return {"error": _("Invalid work order.")}
        if order_sudo.state != "done":
            return {"error": _("This work order is not waiting for your acceptance.")}
        name = (name or "").strip()
        if not name:
            return {"error": _("Please enter your name.")}
        if not signature:
            return {"error": _("Please sign to accept the work order.")}
        if not request.env.user._is_public():
            # posted and tracked in the name of the customer, not of OdooBot
            order_sudo = request.env["kf.dispatch.order"].sudo().browse(order_sudo.id)
        try:
            with request.env.cr.savepoint():
                order_sudo.action_portal_accept(name, signature)
        except (TypeError, ValueError, binascii.Error):
            return {"error": _("Invalid signature data.")}
        except (UserError, ValidationError) as error:
            return {"error": str(error)}
        return {
            "force_refresh": True,
            "redirect_url": order_sudo.get_portal_url(query_string="&message=sign_ok"),
        }

    # ------------------------------------------------------------------
    # Tickets
    # ------------------------------------------------------------------
    def _kf_ticket_domain(self):
        return [("partner_id", "child_of", [self._kf_commercial_partner().id])]

    def _kf_ticket_sortings(self):
        return {
            "date": {"label": _("Newest"), "order": "date_received desc, id desc"},
            "name": {"label": _("Number"), "order": "name desc"},
            "stage": {"label": _("Stage"), "order": "stage_id, date_received desc, id desc"},
        }

    def _kf_ticket_filters(self):
        return {
            "all": {"label": _("All"), "domain": []},
            "open": {"label": _("Open"), "domain": [("is_closed", "=", False)]},
            "closed": {"label": _("Closed"), "domain": [("is_closed", "=", True)]},
        }

    @http.route(["/my/kf-tickets", "/my/kf-tickets/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_kf_tickets(self, page=1, sortby=None, filterby=None, **kw):
        values = self._prepare_portal_layout_values()
        Ticket = request.env["kf.ticket"]
        sortings = self._kf_ticket_sortings()
        filters = self._kf_ticket_filters()
        if sortby not in sortings:
            sortby = "date"
        if filterby not in filters:
            filterby = "all"
        domain = self._kf_ticket_domain() + filters[filterby]["domain"]
        count = Ticket.search_count(domain)
        pager = portal_pager(
            url="/my/kf-tickets",
            url_args={"sortby": sortby, "filterby": filterby},
            total=count,
            page=page,
            step=self._items_per_page,
        )
        tickets = Ticket.search(
            domain, order=sortings[sortby]["order"], limit=self._items_per_page, offset=pager["offset"]
        )
        request.session["my_kf_tickets_history"] = tickets.ids[:100]
        values.update(
            {
                "tickets": tickets.sudo(),
                "page_name": "kf_ticket",
                "default_url": "/my/kf-tickets",
                "pager": pager,
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
            }
        )
        return request.render("kf_dispatch.portal_my_kf_tickets", values)

    @http.route(["/my/kf-tickets/<int:ticket_id>"], type="http", auth="public", website=True)
    def portal_my_kf_ticket(self, ticket_id, access_token=None, **kw):
        try:
            ticket_sudo = self._document_check_access("kf.ticket", ticket_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        ticket_sudo._portal_ensure_token()
        values = {
            "ticket": ticket_sudo,
            "attachments": self._kf_portal_attachments(ticket_sudo),
            "orders": ticket_sudo.order_ids.filtered(lambda o: o.state not in ("draft", "cancelled")),
            "page_name": "kf_ticket",
            "message": kw.get("message"),
            "is_html_empty": is_html_empty,
        }
        values = self._get_page_view_values(ticket_sudo, access_token, values, "my_kf_tickets_history", False, **kw)
        return request.render("kf_dispatch.portal_my_kf_ticket", values)

    # ------------------------------------------------------------------
    # New ticket
    # ------------------------------------------------------------------
    def _kf_ticket_projects(self):
        """Projects the customer may name on a new ticket."""
        return (
            request.env["project.project"]
            .sudo()
            .search([("partner_id", "child_of", [self._kf_commercial_partner().id])], order="name")
        )

    def _kf_ticket_types(self):
        return request.env["kf.ticket"]._fields["ticket_type"]._description_selection(request.env)

    def _kf_ticket_form_values(self, form=None, errors=None):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "kf_ticket_new",
                "ticket_types": self._kf_ticket_types(),
                "projects": self._kf_ticket_projects(),
                "form": form or {"ticket_type": "repair"},
                "errors": errors or [],
                "max_upload_mb": MAX_UPLOAD_SIZE // (1024 * 1024),
            }
        )
        return values

    def _kf_ticket_read_files(self):
        """Uploaded files as (name, content) and the errors."""
        files, errors = [], []
        for upload in request.httprequest.files.getlist("attachments"):
            filename = os.path.basename((upload.filename or "").replace("\\", "/"))
            if not filename:
                continue
            extension = os.path.splitext(filename)[1].lower()
            if extension in FORBIDDEN_EXTENSIONS:
                errors.append(
                    _(
                        "The file %(name)s was refused: executable files and scripts (%(extension)s) "
                        "cannot be uploaded.",
                        name=filename,
                        extension=extension,
                    )
                )
                continue
            content = upload.read(MAX_UPLOAD_SIZE + 1)
            if len(content) > MAX_UPLOAD_SIZE:
                errors.append(
                    _(
                        "The file %(name)s is too large: each file may be at most %(size)s MB.",
                        name=filename,
                        size=MAX_UPLOAD_SIZE // (1024 * 1024),
                    )
                )
                continue
            files.append((filename, content))
        return files, errors

    @http.route(["/my/kf-tickets/new"], type="http", auth="user", methods=["GET", "POST"], website=True)
    def portal_kf_ticket_new(self, **post):
        if request.httprequest.method != "POST":
            return request.render("kf_dispatch.portal_kf_ticket_new", self._kf_ticket_form_values())

        form = {
            "ticket_type": post.get("ticket_type") or "",
            "subject": (post.get("subject") or "").strip(),
            "description": (post.get("description") or "").strip(),
            "project_id": post.get("project_id") or "",
        }
        errors = []
        if not form["subject"]:
            errors.append(_("Please enter a subject."))
        if form["ticket_type"] not in dict(self._kf_ticket_types()):
            errors.append(_("Please choose the type of your request."))
        project = request.env["project.project"]
        if form["project_id"]:
            projects = self._kf_ticket_projects()
            project = projects.filtered(lambda p: str(p.id) == form["project_id"])
            if not project:
                errors.append(_("Please choose one of your projects."))
        files, file_errors = self._kf_ticket_read_files()
        errors += file_errors
        if errors:
            if files or file_errors:
                errors.append(
                    _("For your safety the browser does not keep the chosen files: please select them again.")
                )
            return request.render("kf_dispatch.portal_kf_ticket_new", self._kf_ticket_form_values(form, errors))

        ticket = self._kf_ticket_create(form, project, files)
        return request.redirect(ticket.get_portal_url(query_string="&message=ticket_created"))

    def _kf_ticket_create(self, form, project, files):
        user_partner = request.env.user.partner_id
        commercial = user_partner.commercial_partner_id
        company = project.company_id or commercial.company_id or request.env.company
        Ticket = request.env["kf.ticket"].sudo().with_company(company)
        ticket = Ticket.create(
            {
                "subject": form["subject"],
                "ticket_type": form["ticket_type"],
                "description": plaintext2html(form["description"]) if form["description"] else False,
                "channel": "portal",
                "partner_id": commercial.id,
                "contact_id": user_partner.id,
                "email_from": user_partner.email,
                "phone": user_partner.mobile or user_partner.phone,
                "project_id": project.id,
                "company_id": company.id,
            }
        )
        if files:
            request.env["ir.attachment"].sudo().create(
                [
                    {
                        "name": name,
                        "raw": content,
                        "res_model": ticket._name,
                        "res_id": ticket.id,
                    }
                    for name, content in files
                ]
            )
        # the customer follows the ticket to receive the answers
        ticket.message_subscribe(partner_ids=user_partner.ids)
        return ticket
