from odoo import fields, models


class KfTicketStage(models.Model):
    _name = "kf.ticket.stage"
    _description = "Ticket Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    fold = fields.Boolean(string="Folded in Kanban")
    is_resolved = fields.Boolean(
        string="Resolved Stage",
        help="Tickets land here when resolved, while the return visit is pending.",
    )
    is_closed = fields.Boolean(
        string="Closed Stage",
        help="Tickets in this stage are finished (closed or cancelled).",
    )
    description = fields.Text(translate=True)
    template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "kf.ticket")],
        help="Sent to the customer when a ticket moves to this stage (not when it is created in it).",
    )
