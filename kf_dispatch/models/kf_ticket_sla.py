from odoo import api, fields, models

TICKET_TYPES = [
    ("complaint", "Complaint"),
    ("repair", "Repair"),
    ("enquiry", "Enquiry"),
    ("suggestion", "Suggestion"),
]


class KfTicketSla(models.Model):
    _name = "kf.ticket.sla"
    _description = "Ticket Reply SLA"
    _order = "company_id, ticket_type"

    ticket_type = fields.Selection(TICKET_TYPES, required=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    reply_days = fields.Float(
        string="Reply Within (working days)",
        required=True,
        default=1.0,
        help="First reply due within this many working days of the ticket's creation, "
        "counted on the company's working calendar (weekends and public holidays excluded).",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "type_company_uniq",
            "UNIQUE(ticket_type, company_id)",
            "There is already an SLA for this ticket type in this company.",
        ),
        ("reply_days_positive", "CHECK(reply_days > 0)", "The reply delay must be positive."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        slas = super().create(vals_list)
        self.env["kf.ticket"]._recompute_sla_deadlines(slas.company_id)
        return slas

    def write(self, vals):
        companies = self.company_id
        res = super().write(vals)
        self.env["kf.ticket"]._recompute_sla_deadlines(companies | self.company_id)
        return res

    def unlink(self):
        companies = self.company_id
        res = super().unlink()
        self.env["kf.ticket"]._recompute_sla_deadlines(companies)
        return res
