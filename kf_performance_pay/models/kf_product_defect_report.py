from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

MANAGER_GROUP = "kf_customer_service.group_kf_manager"
# written by the workflow only (its buttons write them as superuser)
WORKFLOW_FIELDS = {"state", "user_id", "confirmed_by_id", "confirmed_on", "company_id"}


class KfProductDefectReport(models.Model):
    """A problem of a product's design or function an employee reports; a
    customer-service manager (not the reporter) confirms it as a new product
    defect once the developers agree, which earns the reporter a reward."""

    _name = "kf.product.defect.report"
    _description = "Product Defect Report"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Subject", required=True, tracking=True)
    user_id = fields.Many2one(
        "res.users",
        string="Reported By",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.user,
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, default=lambda self: self.env.company
    )
    date = fields.Date(string="Reported On", required=True, default=fields.Date.context_today, tracking=True)
    equipment_id = fields.Many2one("kf.equipment", check_company=True)
    product_id = fields.Many2one("product.product")
    description = fields.Html(required=True)
    attachment_ids = fields.Many2many("ir.attachment", string="Evidence")
    state = fields.Selection(
        [("draft", "Draft"), ("submitted", "Submitted"), ("confirmed", "Confirmed"), ("rejected", "Rejected")],
        string="Status",
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    confirmed_by_id = fields.Many2one("res.users", string="Decided By", readonly=True, copy=False, tracking=True)
    confirmed_on = fields.Datetime(string="Decided On", readonly=True, copy=False, tracking=True)
    decision_note = fields.Text(help="Why the report was confirmed or rejected.")
    active = fields.Boolean(default=True, tracking=True)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                refused = set(vals) & (WORKFLOW_FIELDS - {"company_id"})
                if refused and not (refused == {"user_id"} and vals["user_id"] == self.env.uid):
                    raise AccessError(self.env._("A product defect report is filed by its reporter, as draft."))
        reports = super().create(vals_list)
        reports._kf_attach_evidence()
        return reports

    def write(self, vals):
        if not self.env.su:
            if set(vals) & WORKFLOW_FIELDS:
                raise AccessError(self.env._("The status of a product defect report changes with its buttons only."))
            if not self.env.user.has_group(MANAGER_GROUP):
                decided = self.filtered(lambda r: r.state != "draft")
                if decided or "decision_note" in vals:
                    raise UserError(self.env._("A submitted product defect report is changed by a manager only."))
        res = super().write(vals)
        if "attachment_ids" in vals:
            self._kf_attach_evidence()
        return res

    def _kf_attach_evidence(self):
        """Evidence uploaded in the form belongs to the report (its readers see it)."""
        for report in self:
            report.attachment_ids.filtered(lambda a: not a.res_id).sudo().write(
                {"res_model": report._name, "res_id": report.id}
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_submitted(self):
        if self.filtered(lambda r: r.state != "draft"):
            raise UserError(self.env._("Submitted product defect reports are kept: archive them instead."))

    def action_submit(self):
        for report in self:
            if report.state != "draft":
                raise UserError(self.env._("Only a draft report is submitted."))
            if report.user_id != self.env.user and not self.env.user.has_group(MANAGER_GROUP):
                raise AccessError(self.env._("A product defect report is submitted by its reporter."))
        self.sudo().write({"state": "submitted"})
        return True

    def _kf_check_decider(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager confirms or rejects product defect reports."))
        for report in self:
            if report.state != "submitted":
                raise UserError(self.env._("Report %(name)s is not waiting for a decision.", name=report.name))
            if report.user_id == self.env.user:
                raise AccessError(self.env._("Nobody confirms or rejects their own product defect report."))

    def action_confirm(self):
        """A new product defect, agreed with the developers: the reporter is rewarded."""
        self._kf_check_decider()
        self.sudo().write(
            {"state": "confirmed", "confirmed_by_id": self.env.uid, "confirmed_on": fields.Datetime.now()}
        )
        return True

    def action_reject(self):
        self._kf_check_decider()
        self.sudo().write({"state": "rejected", "confirmed_by_id": self.env.uid, "confirmed_on": fields.Datetime.now()})
        return True

    def action_reset_draft(self):
        """A rejected report goes back to its reporter to complete it."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a customer-service manager reopens a product defect report."))
        if self.filtered(lambda r: r.state != "rejected"):
            raise UserError(self.env._("Only a rejected report goes back to draft."))
        self.sudo().write({"state": "draft", "confirmed_by_id": False, "confirmed_on": False})
        return True
