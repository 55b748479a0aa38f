from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class KfVisit(models.Model):
    _name = "kf.visit"
    _description = "Customer Visit / Return Visit"
    _inherit = ["mail.thread", "mail.activity.mixin", "kf.document.mixin"]
    _order = "date_planned desc, id desc"
    _kf_sequence_code = "kf.visit"

    contact_id = fields.Many2one(
        "res.partner",
        string="Contact Person",
        domain="[('id', 'child_of', commercial_partner_id)]",
        help="The person talked to.",
    )
    visit_type = fields.Selection(
        [("return_visit", "Return visit"), ("visit", "Visit")],
        string="Type",
        required=True,
        default="visit",
        tracking=True,
    )
    channel = fields.Selection(
        [("phone", "Phone"), ("wechat", "WeChat"), ("onsite", "On-site")],
        required=True,
        default="phone",
        tracking=True,
    )
    date_planned = fields.Date(
        string="Planned Date",
        required=True,
        default=fields.Date.context_today,
        tracking=True,
        index=True,
    )
    date_done = fields.Datetime(string="Done On", readonly=True, copy=False, tracking=True, index=True)
    user_id = fields.Many2one(required=True, default=lambda self: self.env.user)
    purpose = fields.Text(help="What the visit is about.")
    outcome = fields.Text(help="Result of the visit; required to mark it done.")
    score = fields.Integer(
        string="Satisfaction Score",
        default=0,
        aggregator="avg",
        tracking=True,
        help="Customer satisfaction from 1 (very unsatisfied) to 5 (very satisfied); 0 means not scored.",
    )
    state = fields.Selection(
        [("planned", "Planned"), ("done", "Done"), ("cancelled", "Cancelled")],
        required=True,
        default="planned",
        copy=False,
        tracking=True,
        index=True,
    )
    interest_contract = fields.Boolean(
        string="Interested in Maintenance Contract",
        tracking=True,
        help="The customer showed interest in a (new or extended) maintenance contract.",
    )
    interest_note = fields.Text(string="Interest Details")
    is_overdue = fields.Boolean(
        string="Overdue",
        compute="_compute_is_overdue",
        search="_search_is_overdue",
    )
    source_ref = fields.Reference(
        selection="_selection_source_models",
        string="Source Document",
        compute="_compute_source_ref",
        inverse="_inverse_source_ref",
        help="Document this visit follows up (contract, ticket, work order...).",
    )
    source_model = fields.Char(index=True, copy=False)
    source_id = fields.Integer(string="Source Record ID", index=True, copy=False)

    @api.model
    def _selection_source_models(self):
        """Models a visit may follow up; other addons extend this list."""
        return [("kf.service.contract", self.env._("Service contract"))]

    @api.depends("source_model", "source_id")
    def _compute_source_ref(self):
        allowed = {model for model, _label in self._selection_source_models()}
        for visit in self:
            if visit.source_model in allowed and visit.source_id:
                visit.source_ref = f"{visit.source_model},{visit.source_id}"
            else:
                visit.source_ref = False

    def _inverse_source_ref(self):
        for visit in self:
            if visit.source_ref:
                visit.source_model = visit.source_ref._name
                visit.source_id = visit.source_ref.id
            else:
                visit.source_model = False
                visit.source_id = 0

    @api.depends("state", "date_planned")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for visit in self:
            visit.is_overdue = visit.state == "planned" and visit.date_planned < today

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue visits."))
        today = fields.Date.context_today(self)
        overdue = ["&", ("state", "=", "planned"), ("date_planned", "<", today)]
        if (operator == "=") == value:
            return overdue
        return ["!", *overdue]

    @api.constrains("score")
    def _check_score(self):
        for visit in self:
            if not 0 <= visit.score <= 5:
                raise ValidationError(
                    self.env._(
                        "The satisfaction score of %(visit)s must be between 1 and 5 "
                        "(or 0 when not scored), not %(score)s.",
                        visit=visit.name,
                        score=visit.score,
                    )
                )

    def action_done(self):
        missing = self.filtered(lambda v: not (v.outcome or "").strip())
        if missing:
            raise UserError(
                self.env._(
                    "Record the outcome before marking these visits done: %(names)s",
                    names=", ".join(missing.mapped("name")),
                )
            )
        not_planned = self.filtered(lambda v: v.state != "planned")
        if not_planned:
            raise UserError(
                self.env._(
                    "Only planned visits can be marked done: %(names)s",
                    names=", ".join(not_planned.mapped("name")),
                )
            )
        self.write({"state": "done", "date_done": fields.Datetime.now()})
        self.filtered("interest_contract")._schedule_interest_followup()
        self._on_visit_done()
        return True

    def action_cancel(self):
        done = self.filtered(lambda v: v.state == "done")
        if done:
            raise UserError(
                self.env._(
                    "Visits already done cannot be cancelled: %(names)s",
                    names=", ".join(done.mapped("name")),
                )
            )
        self.write({"state": "cancelled"})
        return True

    def action_reset_planned(self):
        self.write({"state": "planned", "date_done": False})
        return True

    def _schedule_interest_followup(self):
        """A visit that revealed interest in a maintenance contract gives the
        customer's specialist (else the visit's responsible) a follow-up to-do."""
        users = self.env["res.users"].kf_activity_users(
            self, {visit.id: visit.commercial_partner_id.kf_specialist_id | visit.user_id for visit in self}
        )
        for visit in self:
            user = users[visit.id]
            if not user:
                continue
            visit.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=user.kf_lang_env()._(
                    "Follow up maintenance contract interest of %(customer)s",
                    customer=visit.commercial_partner_id.display_name,
                ),
                note=visit.interest_note or visit.outcome,
                user_id=user.id,
            )

    def _on_visit_done(self):
        """Hook called once the visits in ``self`` are marked done.

        kf_dispatch overrides it to close the tickets the visits follow up.
        """
        return True
