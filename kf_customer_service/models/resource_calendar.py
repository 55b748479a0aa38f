from datetime import datetime, time, timedelta

import pytz

from odoo import models

DEFAULT_HOURS_PER_DAY = 8.0


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def kf_working_dates(self, date_from, date_to):
        """Set of the dates between date_from and date_to (inclusive) that have
        working time on this calendar, public holidays (leaves without a
        resource) excluded. Days are those of the calendar's time zone."""
        self.ensure_one()
        tz = pytz.timezone(self.tz or "UTC")
        start = tz.localize(datetime.combine(date_from, time.min))
        end = tz.localize(datetime.combine(date_to + timedelta(days=1), time.min))
        intervals = self._work_intervals_batch(start, end)[False]
        return {interval[0].astimezone(tz).date() for interval in intervals}

    def kf_plan_working_hours(self, hours, start):
        """``start`` moved by ``hours`` working hours of this calendar, leaves
        and public holidays skipped; negative hours go back in time. A naive
        ``start`` is read as UTC and gives a naive result. False when the
        calendar has no working time within reach."""
        self.ensure_one()
        return self.plan_hours(hours, start, compute_leaves=True)

    def kf_add_working_days(self, days, start):
        """``start`` plus ``days`` working days, a working day counting the
        calendar's hours per day (so half a day is possible); see
        ``kf_plan_working_hours``."""
        self.ensure_one()
        return self.kf_plan_working_hours(days * (self.hours_per_day or DEFAULT_HOURS_PER_DAY), start)
