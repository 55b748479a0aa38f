from odoo import _, api, fields, models
from odoo.exceptions import UserError


class KfProblem(models.Model):
    _name = "kf.problem"
    _description = "Problem Log Entry"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: _("New"),
    )
    active = fields.Boolean(default=True)
    problem_type = fields.Selection(
        [
            ("overdue", "Overdue delivery"),
            ("complaint", "Complaint"),
            ("quality", "Quality"),
            ("acceptance", "Acceptance"),
            ("warranty", "Warranty"),
        ],
        string="Type",
        required=True,
        default="quality",
        tracking=True,
        index=True,
    )
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", tracking=True, index=True, check_company=True)
    commercial_partner_id = fields.Many2one(
        "res.partner",
        string="Customer Company",
        related="partner_id.commercial_partner_id",
        store=True,
        index=True,
    )
    project_id = fields.Many2one("project.project", string="Project", tracking=True, index=True, check_company=True)
    order_id = fields.Many2one("kf.dispatch.order", string="Work Order", tracking=True, index=True, check_company=True)
    ticket_id = fields.Many2one("kf.ticket", string="Ticket", tracking=True, index=True, check_company=True)
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        tracking=True,
        index=True,
        domain="[('share', '=', False)]",
        help="Person accountable for the problem (counted in their appraisal).",
    )
    description = fields.Text()
    cause = fields.Text(string="Root Cause")
    corrective_action = fields.Text(string="Corrective Action")
    evidence_attachment_ids = fields.Many2many(
        "ir.attachment",
        "kf_problem_evidence_rel",
        "problem_id",
        "attachment_id",
        string="Evidence",
        help="Photos, documents or messages proving the problem; at least one is needed to confirm it.",
    )
    evidence_count = fields.Integer(compute="_compute_evidence_count", store=True)
    state = fields.Selection(
        [("draft", "Draft"), ("confirmed", "Confirmed"), ("resolved", "Resolved")],
        required=True,
        default="draft",
        copy=False,
        tracking=True,
        index=True,
    )
    date_confirmed = fields.Date(string="Confirmed On", readonly=True, copy=False)
    date_resolved = fields.Date(string="Resolved On", readonly=True, copy=False)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )

    @api.depends("evidence_attachment_ids")
    def _compute_evidence_count(self):
        for problem in self:
            problem.evidence_count = len(problem.evidence_attachment_ids)

    @api.onchange("order_id")
    def _onchange_order_id(self):
        order = self.order_id
        if order:
            self.partner_id = self.partner_id or order.partner_id
            self.project_id = self.project_id or order.project_id
            self.user_id = self.user_id or order.user_id

    @api.onchange("ticket_id")
    def _onchange_ticket_id(self):
        ticket = self.ticket_id
        if ticket:
            self.partner_id = self.partner_id or ticket.partner_id
            self.project_id = self.project_id or ticket.project_id
            self.user_id = self.user_id or ticket.user_id

    @api.model_create_multi
    def create(self, vals_list):
        new = _("New")
        to_number = [vals for vals in vals_list if not vals.get("name") or vals["name"] == new]
        if to_number:
            # look the sequence up once for the batch (the scans create many)
            sequence = (
                self.env["ir.sequence"]
                .sudo()
                .search(
                    [("code", "=", "kf.problem"), ("company_id", "in", [self.env.company.id, False])],
                    order="company_id",
                    limit=1,
                )
            )
            for vals in to_number:
                vals["name"] = (sequence and sequence.next_by_id()) or new
        problems = super().create(vals_list)
        problems._attach_evidence()
        return problems

    def write(self, vals):
        res = super().write(vals)
        if "evidence_attachment_ids" in vals:
            self._attach_evidence()
        return res

    def _attach_evidence(self):
        for problem in self:
            problem.evidence_attachment_ids.filtered(lambda a: not a.res_id).sudo().write(
                {"res_model": problem._name, "res_id": problem.id}
            )

    def action_confirm(self):
        not_draft = self.filtered(lambda p: p.state != "draft")
        if not_draft:
            raise UserError(
                _("Only draft problems can be confirmed: %(names)s", names=", ".join(not_draft.mapped("name")))
            )
        no_evidence = self.filtered(lambda p: not p.evidence_attachment_ids)
        if no_evidence:
            raise UserError(
                _(
                    "Attach at least one piece of evidence before confirming: %(names)s",
                    names=", ".join(no_evidence.mapped("name")),
                )
            )
        self.write({"state": "confirmed", "date_confirmed": fields.Date.context_today(self)})
        return True

    def action_resolve(self):
        not_confirmed = self.filtered(lambda p: p.state != "confirmed")
        if not_confirmed:
            raise UserError(
                _(
                    "Only confirmed problems can be resolved: %(names)s",
                    names=", ".join(not_confirmed.mapped("name")),
                )
            )
        self.write({"state": "resolved", "date_resolved": fields.Date.context_today(self)})
        return True

    def action_reset_draft(self):
        self.write({"state": "draft", "date_confirmed": False, "date_resolved": False})
        return True
