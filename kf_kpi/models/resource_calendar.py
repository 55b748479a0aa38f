from datetime import datetime, time, timedelta

import pytz

from odoo import models


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def _kf_working_dates(self, date_from, date_to):
        """Set of the dates between date_from and date_to (inclusive) that have
        working time on this calendar, public holidays (leaves without a
        resource) excluded."""
        self.ensure_one()
        tz = pytz.timezone(self.tz or "UTC")
        start = tz.localize(datetime.combine(date_from, time.min))
        end = tz.localize(datetime.combine(date_to + timedelta(days=1), time.min))
        intervals = self._work_intervals_batch(start, end)[False]
        return {interval[0].astimezone(tz).date() for interval in intervals}
