import binascii
import os
import re

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import is_html_empty, plaintext2html

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

# uploads of the "new ticket" form: photos, videos and office documents only
MAX_UPLOAD_SIZE = 10 * 1024 * 1024
ALLOWED_EXTENSIONS = (
    ".pdf",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".heic",
    ".heif",
    ".mp4",
    ".mov",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".ppt",
    ".pptx",
    ".odt",
    ".ods",
    ".odp",
    ".txt",
    ".csv",
)
# refused even inside a name ("invoice.exe.pdf"): programs, scripts, pages
# a browser runs, macro documents
EXECUTABLE_EXTENSIONS = frozenset(
    (
        *(".exe", ".bat", ".cmd", ".com", ".msi", ".msp", ".sh", ".bash", ".js", ".jse", ".mjs", ".vbs", ".vbe"),
        *(".ps1", ".psm1", ".jar", ".scr", ".dll", ".pif", ".cpl", ".hta", ".wsf", ".wsh", ".lnk", ".reg"),
        *(".apk", ".app", ".dmg", ".iso", ".py", ".pl", ".php", ".rb", ".html", ".htm", ".xhtml", ".svg"),
        *(".mht", ".mhtml", ".docm", ".xlsm", ".pptm", ".msc", ".gadget", ".application", ".appx"),
    )
)
# first bytes of Windows, Linux and macOS programs and of scripts
EXECUTABLE_SIGNATURES = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"#!")
# characters that hide the real end of a name (controls, right-to-left override...)
HIDDEN_NAME_CHARS = re.compile("[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
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

    def _kf_sudo_for_display(self, records):
        """``records`` as superuser, to render fields the portal user may not
        read through the ORM (the project, the executor, staff-only fields the
        page shows). The ownership check comes first: the user must be able to
        read every one of them."""
        records.check_access("read")
        return records.sudo()

    def _kf_commercial_partner(self):
        return request.env.user.partner_id.commercial_partner_id

    def _kf_portal_attachments(self, record_sudo, extra=None):
        """Documents of a record shown to the customer
        (``portal.mixin.kf_portal_attachments``), plus ``extra`` (the
        acceptance certificate). ``record_sudo`` comes from
        ``_document_check_access``."""
        attachments = record_sudo.kf_portal_attachments()
        if extra:
            extra = extra.sudo()
            for attachment in extra.filtered(lambda a: not a.access_token):
                attachment.generate_access_token()
            attachments |= extra
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
            "date": {"label": request.env._("Planned Date"), "order": "date_planned_start desc, id desc"},
            "name": {"label": request.env._("Number"), "order": "name desc"},
            "state": {"label": request.env._("Status"), "order": "state, date_planned_start desc, id desc"},
        }

    def _kf_order_filters(self):
        return {
            "all": {"label": request.env._("All"), "domain": []},
            "open": {"label": request.env._("In progress"), "domain": [("state", "in", OPEN_ORDER_STATES)]},
            "done": {"label": request.env._("Waiting for your acceptance"), "domain": [("state", "=", "done")]},
            "closed": {"label": request.env._("Accepted"), "domain": [("state", "=", "closed")]},
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
                "orders": self._kf_sudo_for_display(orders),
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
            return {"error": request.env._("Invalid work order.")}
        if order_sudo.state != "done":
            return {"error": request.env._("This work order is not waiting for your acceptance.")}
        name = (name or "").strip()
        if not name:
            return {"error": request.env._("Please enter your name.")}
        if not signature:
            return {"error": request.env._("Please sign to accept the work order.")}
        if not request.env.user._is_public():
            # posted and tracked in the name of the customer, not of OdooBot
            order_sudo = request.env["kf.dispatch.order"].sudo().browse(order_sudo.id)
        try:
            with request.env.cr.savepoint():
                order_sudo.action_portal_accept(name, signature)
        except (TypeError, ValueError, binascii.Error):
            return {"error": request.env._("Invalid signature data.")}
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
            "date": {"label": request.env._("Newest"), "order": "date_received desc, id desc"},
            "name": {"label": request.env._("Number"), "order": "name desc"},
            "stage": {"label": request.env._("Stage"), "order": "stage_id, date_received desc, id desc"},
        }

    def _kf_ticket_filters(self):
        return {
            "all": {"label": request.env._("All"), "domain": []},
            "open": {"label": request.env._("Open"), "domain": [("is_closed", "=", False)]},
            "closed": {"label": request.env._("Closed"), "domain": [("is_closed", "=", True)]},
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
                "tickets": self._kf_sudo_for_display(tickets),
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
                "max_upload_size": MAX_UPLOAD_SIZE,
                "upload_accept": ",".join(ALLOWED_EXTENSIONS),
                "upload_extensions": ", ".join(ext.lstrip(".") for ext in ALLOWED_EXTENSIONS),
            }
        )
        return values

    @staticmethod
    def _kf_clean_upload_name(raw_name):
        """The name a file is stored under: no folder, no hidden characters,
        no trailing dots or spaces (Windows drops them: "setup.exe." runs as
        setup.exe)."""
        name = os.path.basename((raw_name or "").replace("\\", "/"))
        return HIDDEN_NAME_CHARS.sub("", name).strip().rstrip(". ")

    def _kf_upload_name_error(self, name):
        """Why an upload name is refused, or None. Allow-list of the last
        extension; any executable extension in the name is refused."""
        parts = name.lower().split(".")
        extensions = [f".{part.strip()}" for part in parts[1:]]
        executable = next((ext for ext in reversed(extensions) if ext in EXECUTABLE_EXTENSIONS), None)
        if executable:
            return request.env._(
                "The file %(name)s was refused: executable files and scripts (%(extension)s) cannot be uploaded.",
                name=name,
                extension=executable,
            )
        if not extensions or extensions[-1] not in ALLOWED_EXTENSIONS:
            return request.env._(
                "The file %(name)s was refused: only these types of files can be uploaded: %(extensions)s.",
                name=name,
                extensions=", ".join(ext.lstrip(".") for ext in ALLOWED_EXTENSIONS),
            )
        return None

    def _kf_ticket_read_files(self):
        """Uploaded files as (name, content) and the errors. The browser
        checks type and size before sending; this is the authority."""
        files, errors = [], []
        for upload in request.httprequest.files.getlist("attachments"):
            if not upload.filename:
                continue
            filename = self._kf_clean_upload_name(upload.filename)
            error = (
                self._kf_upload_name_error(filename)
                if filename
                else request.env._("A file without a name was refused.")
            )
            if error:
                errors.append(error)
                continue
            content = upload.read(MAX_UPLOAD_SIZE + 1)
            if len(content) > MAX_UPLOAD_SIZE:
                errors.append(
                    request.env._(
                        "The file %(name)s is too large: each file may be at most %(size)s MB.",
                        name=filename,
                        size=MAX_UPLOAD_SIZE // (1024 * 1024),
                    )
                )
                continue
            if content.startswith(EXECUTABLE_SIGNATURES):
                errors.append(
                    request.env._(
                        "The file %(name)s was refused: its content is a program or a script.",
                        name=filename,
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
            errors.append(request.env._("Please enter a subject."))
        if form["ticket_type"] not in dict(self._kf_ticket_types()):
            errors.append(request.env._("Please choose the type of your request."))
        project = request.env["project.project"]
        if form["project_id"]:
            projects = self._kf_ticket_projects()
            project = projects.filtered(lambda p: str(p.id) == form["project_id"])
            if not project:
                errors.append(request.env._("Please choose one of your projects."))
        files, file_errors = self._kf_ticket_read_files()
        errors += file_errors
        if errors:
            if files or file_errors:
                errors.append(
                    request.env._(
                        "For your safety the browser does not keep the chosen files: please select them again."
                    )
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
