from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import is_html_empty


class KfCustomerDocument(models.Model):
    _name = "kf.customer.document"
    _description = "Customer Document"
    _inherit = ["mail.thread", "mail.activity.mixin", "kf.document.mixin"]
    _order = "date desc, id desc"

    # a title typed by the author, not a number
    name = fields.Char(string="Title", readonly=False, copy=True, default=None, tracking=True)
    contact_id = fields.Many2one(
        "res.partner",
        string="Attention Of",
        domain="[('id', 'child_of', commercial_partner_id)]",
        help="Contact person the document is addressed to.",
    )
    doc_type = fields.Selection(
        [
            ("repair_suggestion", "Repair suggestion"),
            ("situation", "Situation statement"),
            ("summary", "Summary"),
            ("assessment", "Assessment report"),
            ("water_treatment", "Water-treatment report"),
        ],
        string="Type",
        required=True,
        default="repair_suggestion",
        tracking=True,
    )
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    user_id = fields.Many2one(string="Author", required=True, index=False, default=lambda self: self.env.user)
    project_id = fields.Many2one("project.project", check_company=True)
    body = fields.Html()
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "kf_customer_document_attachment_rel",
        "document_id",
        "attachment_id",
        string="Attachments",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("issued", "Issued")],
        required=True,
        default="draft",
        copy=False,
        tracking=True,
    )
    active = fields.Boolean(default=True)

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.contact_id and self.contact_id.commercial_partner_id != self.commercial_partner_id:
            self.contact_id = False

    def _get_report_title(self):
        self.ensure_one()
        return dict(self._fields["doc_type"]._description_selection(self.env)).get(self.doc_type, "")

    def _get_report_base_filename(self):
        self.ensure_one()
        return f"{self._get_report_title()} - {self.name}"

    def action_issue(self):
        empty = self.filtered(lambda d: is_html_empty(d.body))
        if empty:
            raise UserError(
                self.env._(
                    "Write the body before issuing these documents: %(names)s",
                    names=", ".join(empty.mapped("name")),
                )
            )
        self.write({"state": "issued"})
        return True

    def action_draft(self):
        self.write({"state": "draft"})
        return True

    def action_print(self):
        return self.env.ref("kf_customer_service.report_kf_customer_document").report_action(self)
