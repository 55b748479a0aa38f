from odoo import api, fields, models
from odoo.exceptions import ValidationError

WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]


class KfCalendarWorkday(models.Model):
    """A make-up working day (调休): a day off of the weekly schedule, usually
    a Saturday or Sunday next to a public holiday, that is worked. On that day
    the calendar works the hours of the weekday ``dayofweek``; every
    working-day computation of the calendar counts it."""

    _name = "kf.calendar.workday"
    _description = "Make-up Working Day"
    _order = "date desc, id desc"

    name = fields.Char(required=True, help="E.g. the holiday it makes up for.")
    date = fields.Date(required=True, index=True)
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Schedule",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.company.resource_calendar_id,
        domain="[('company_id', 'in', [company_id, False])]",
    )
    company_id = fields.Many2one(
        "res.company",
        related="calendar_id.company_id",
        store=True,
        index=True,
    )
    dayofweek = fields.Selection(
        WEEKDAYS,
        string="Works As",
        required=True,
        default="0",
        help="The day is worked with the hours this weekday has in the working schedule.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "calendar_date_uniq",
            "UNIQUE(calendar_id, date)",
            "This day is already a make-up working day of this working schedule.",
        ),
    ]

    @api.constrains("calendar_id", "dayofweek", "active")
    def _check_dayofweek_hours(self):
        for workday in self.filtered("active"):
            calendar = workday.calendar_id
            if not calendar.attendance_ids.filtered(
                lambda a, day=workday.dayofweek: (
                    a.dayofweek == day and a.day_period != "lunch" and not a.display_type and not a.resource_id
                )
            ):
                labels = dict(self._fields["dayofweek"]._description_selection(self.env))
                raise ValidationError(
                    self.env._(
                        "The make-up working day %(date)s works as %(day)s, but %(day)s has no working "
                        "hours in the working schedule %(calendar)s.",
                        date=workday.date,
                        day=labels[workday.dayofweek],
                        calendar=calendar.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        workdays = super().create(vals_list)
        workdays.calendar_id._kf_on_working_time_changed()
        return workdays

    def write(self, vals):
        calendars = self.calendar_id
        res = super().write(vals)
        (calendars | self.calendar_id)._kf_on_working_time_changed()
        return res

    def unlink(self):
        calendars = self.calendar_id
        res = super().unlink()
        calendars._kf_on_working_time_changed()
        return res

    @api.model
    def _kf_workdays(self, calendar, date_from, date_to):
        """The active make-up working days of ``calendar`` between the two
        dates (inclusive)."""
        return self.search([("calendar_id", "=", calendar.id), ("date", ">=", date_from), ("date", "<=", date_to)])
