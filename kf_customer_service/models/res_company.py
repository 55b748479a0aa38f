from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import ValidationError

MANAGER_GROUP_XMLID = "kf_customer_service.group_kf_manager"
CHINA_CALENDAR_XMLID = "kf_customer_service.resource_calendar_china"
DIRECTOR_GROUP_XMLID = "kf_customer_service.group_kf_director"


class ResCompany(models.Model):
    _inherit = "res.company"

    kf_manager_id = fields.Many2one(
        "res.users",
        string="Customer Service Manager",
        domain="[('share', '=', False), ('company_ids', 'in', id)]",
        help="Receives the escalations, the renewals and the dunning of customers "
        "without a specialist in this company. Empty: the first customer-service "
        "manager of the company who is not a director.",
    )
    kf_invoice_lead_days = fields.Integer(
        string="Invoice Days Before Due",
        default=15,
        help="Payment schedule lines are invoiced automatically this many days before their due date.",
    )
    kf_invoice_product_id = fields.Many2one(
        "product.product",
        string="Invoiced Product",
        domain="[('type', '=', 'service'), ('company_id', 'in', [id, False])]",
        help="Product (income account, taxes) of the invoices of payment schedule lines. "
        "Empty: the Service fee product.",
    )

    kf_service_phone = fields.Char(
        string="Customer-Service Phone",
        help="The department's service line, shown to customers on the portal beside their specialist.",
    )

    @api.constrains("kf_manager_id")
    def _check_kf_manager_id(self):
        for company in self:
            manager = company.kf_manager_id
            if manager and (manager.share or company not in manager.company_ids):
                raise ValidationError(
                    self.env._(
                        "The customer-service manager of %(company)s must be an internal "
                        "user allowed in that company (%(user)s is not).",
                        company=company.name,
                        user=manager.name,
                    )
                )

    def write(self, vals):
        calendars = self.resource_calendar_id if "resource_calendar_id" in vals else None
        res = super().write(vals)
        if calendars is not None:
            (calendars | self.resource_calendar_id)._kf_on_working_time_changed()
        return res

    def _create_resource_calendar(self):
        """New companies work on a copy of the China working calendar (its
        schedule, public holidays and make-up working days), which their
        manager then maintains; Odoo's 40-hour default only without it."""
        template = self.env.ref(CHINA_CALENDAR_XMLID, raise_if_not_found=False)
        if not template:
            return super()._create_resource_calendar()
        for company in self:
            calendar = template.sudo().copy({"company_id": company.id})
            calendar.name = template.name
            company.resource_calendar_id = calendar
        return True

    @api.constrains("kf_invoice_lead_days")
    def _check_kf_invoice_lead_days(self):
        for company in self:
            if company.kf_invoice_lead_days < 0:
                raise ValidationError(
                    self.env._(
                        "%(company)s: the invoicing lead days cannot be negative.",
                        company=company.name,
                    )
                )

    def kf_get_manager(self):
        """Return the customer-service manager of this company: the configured
        one while active and allowed in the company, else the first active
        manager of the company who is not a director, else any manager of the
        company, else an empty recordset. Never a user of another company."""
        self.ensure_one()
        company = self.sudo()
        manager = company.kf_manager_id
        if manager and manager.active and not manager.share and company in manager.company_ids:
            return manager
        group = self.env.ref(MANAGER_GROUP_XMLID)
        director = self.env.ref(DIRECTOR_GROUP_XMLID)
        managers = (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("groups_id", "in", group.id),
                    ("share", "=", False),
                    ("company_ids", "in", company.id),
                    ("id", "!=", SUPERUSER_ID),
                ],
                order="id",
            )
        )
        return managers.filtered(lambda user: director not in user.groups_id)[:1] or managers[:1]

    def kf_working_dates(self, date_from, date_to):
        """Working dates of the company's calendar between date_from and
        date_to (inclusive), public holidays excluded
        (``resource.calendar.kf_working_dates``); none without a calendar
        (nor for an empty company)."""
        calendar = self.resource_calendar_id
        return calendar.kf_working_dates(date_from, date_to) if calendar else set()

    def kf_plan_working_hours(self, hours, start):
        """``start`` (UTC naive) moved by ``hours`` working hours of the
        company's calendar (``resource.calendar.kf_plan_working_hours``);
        clock hours when the company has no calendar or it has no working
        time within reach (or for an empty company)."""
        calendar = self.resource_calendar_id
        planned = calendar.kf_plan_working_hours(hours, start) if calendar else False
        return planned.replace(tzinfo=None) if planned else start + timedelta(hours=hours)

    def kf_add_working_days(self, days, start):
        """``start`` (UTC naive) plus ``days`` working days of the company's
        calendar (``resource.calendar.kf_add_working_days``); calendar days
        when the company has no calendar or it has no working time within
        reach (or for an empty company)."""
        calendar = self.resource_calendar_id
        planned = calendar.kf_add_working_days(days, start) if calendar else False
        return planned.replace(tzinfo=None) if planned else start + timedelta(days=days)

    def kf_add_working_days_batch(self, requests):
        """``kf_add_working_days`` for many ``(days, start)`` requests (days >=
        0, start UTC naive) on this company's calendar at once
        (``resource.calendar.kf_add_working_days_batch``: the calendar is read
        once for all of them); a list of UTC naive datetimes in the order of
        ``requests``, with the same fallbacks as ``kf_add_working_days``."""
        calendar = self.resource_calendar_id
        planned = calendar.kf_add_working_days_batch(requests) if calendar else [False] * len(requests)
        return [value or start + timedelta(days=days) for value, (days, start) in zip(planned, requests, strict=True)]
