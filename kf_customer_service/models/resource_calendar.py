from bisect import bisect_right
from collections import defaultdict
from datetime import datetime, time, timedelta
from itertools import chain

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.resource.models.utils import float_to_time

DEFAULT_HOURS_PER_DAY = 8.0
# how far a planning searches for working time before giving up (the reach of
# Odoo's plan_hours: 100 windows of 14 days)
PLANNING_HORIZON_DAYS = 1400
PLANNING_CHUNK_DAYS = 28
# the longest stretch without any working time a calendar may have once its
# public holidays are applied
MAX_DAYS_WITHOUT_WORK = 60
# calendar fields whose change moves the deadlines planned on the calendar
WORKING_TIME_FIELDS = frozenset(
    {"attendance_ids", "tz", "hours_per_day", "flexible_hours", "two_weeks_calendar", "global_leave_ids", "active"}
)


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    kf_workday_ids = fields.One2many(
        "kf.calendar.workday",
        "calendar_id",
        string="Make-up Working Days",
        copy=True,
        help="Days off of the weekly schedule that are worked (e.g. a Saturday before a public holiday).",
    )

    @api.constrains("attendance_ids", "flexible_hours")
    def _check_kf_working_hours(self):
        for calendar in self:
            if calendar.flexible_hours:
                continue
            hours = sum(
                attendance.hour_to - attendance.hour_from
                for attendance in calendar.attendance_ids
                if attendance.day_period != "lunch" and not attendance.display_type
            )
            if hours <= 0:
                raise ValidationError(
                    self.env._(
                        "The working schedule %(name)s has no working hours: give it at least one "
                        "working period (e.g. Monday 08:30-12:00).",
                        name=calendar.name,
                    )
                )

    def write(self, vals):
        changed = WORKING_TIME_FIELDS.intersection(vals)
        res = super(ResourceCalendar, self.with_context(kf_working_time_batch=True)).write(vals)
        if changed:
            self._kf_on_working_time_changed()
        return res

    # ------------------------------------------------------------------
    # Working time
    # ------------------------------------------------------------------
    def _attendance_intervals_batch(self, start_dt, end_dt, resources=None, domain=None, tz=None, lunch=False):
        """Add the make-up working days (``kf.calendar.workday``) to the
        calendar's attendances: on such a day the calendar works the hours of
        the weekday the make-up day follows. Public holidays still apply on
        top of it (``_work_intervals_batch`` subtracts them)."""
        result = super()._attendance_intervals_batch(
            start_dt, end_dt, resources=resources, domain=domain, tz=tz, lunch=lunch
        )
        if self.flexible_hours:
            return result
        resources_list = [*(resources or []), self.env["resource.resource"]]
        tzs = {resource.id: tz or pytz.timezone((resource or self).tz or "UTC") for resource in resources_list}
        first = min(start_dt.astimezone(zone).date() for zone in tzs.values())
        last = max(end_dt.astimezone(zone).date() for zone in tzs.values())
        workdays = self.env["kf.calendar.workday"].sudo()._kf_workdays(self, first, last)
        if not workdays:
            return result
        attendances = self._kf_workday_attendances(domain, lunch)
        Attendance = self.env["resource.calendar.attendance"]
        for resource_id, zone in tzs.items():
            extra = []
            for workday in workdays:
                week_type = Attendance.get_week_type(workday.date)
                for attendance in attendances[workday.dayofweek]:
                    if self.two_weeks_calendar and int(attendance.week_type) != week_type:
                        continue
                    if (attendance.date_from and workday.date < attendance.date_from) or (
                        attendance.date_to and attendance.date_to < workday.date
                    ):
                        continue
                    begin = zone.localize(datetime.combine(workday.date, float_to_time(attendance.hour_from)))
                    stop = zone.localize(datetime.combine(workday.date, float_to_time(attendance.hour_to)))
                    begin, stop = max(begin, start_dt.astimezone(zone)), min(stop, end_dt.astimezone(zone))
                    if begin < stop:
                        extra.append((begin, stop, attendance))
            if extra:
                intervals = result[resource_id]
                result[resource_id] = type(intervals)(chain(intervals, extra))
        return result

    def _kf_workday_attendances(self, domain, lunch):
        """This calendar's own attendances (not a resource's) by weekday."""
        attendances = self.env["resource.calendar.attendance"].search(
            [
                *(domain or []),
                ("calendar_id", "=", self.id),
                ("resource_id", "=", False),
                ("display_type", "=", False),
                ("day_period", "=" if lunch else "!=", "lunch"),
            ]
        )
        by_day = defaultdict(list)
        for attendance in attendances:
            by_day[attendance.dayofweek].append(attendance)
        return by_day

    def kf_working_dates(self, date_from, date_to):
        """Set of the dates between date_from and date_to (inclusive) that have
        working time on this calendar: its weekly schedule plus its make-up
        working days, public holidays (leaves without a resource) excluded.
        Days are those of the calendar's time zone."""
        self.ensure_one()
        tz = pytz.timezone(self.tz or "UTC")
        start = tz.localize(datetime.combine(date_from, time.min))
        end = tz.localize(datetime.combine(date_to + timedelta(days=1), time.min))
        intervals = self._work_intervals_batch(start, end)[False]
        return {interval[0].astimezone(tz).date() for interval in intervals}

    def kf_plan_working_hours(self, hours, start):
        """``start`` moved by ``hours`` working hours of this calendar (make-up
        working days counted, leaves and public holidays skipped); negative
        hours go back in time. A naive ``start`` is read as UTC and gives a
        naive result. False when the calendar has no working time within
        reach."""
        self.ensure_one()
        if hours < 0:
            return self.plan_hours(hours, start, compute_leaves=True)
        planned = self.kf_plan_working_hours_batch([(hours, start)])[0]
        if planned and start.tzinfo:
            return pytz.utc.localize(planned).astimezone(start.tzinfo)
        return planned

    def kf_plan_working_hours_batch(self, requests):
        """Plan many ``(hours, start)`` requests (hours >= 0) on this calendar
        at once: the working intervals are read once for all of them (in
        windows of a few weeks), not once per request. Returns the list of
        planned datetimes (naive UTC; False when no working time is within
        reach), in the order of ``requests``."""
        self.ensure_one()
        if not requests:
            return []
        starts = [
            (start if start.tzinfo else pytz.utc.localize(start)).astimezone(pytz.utc) for _hours, start in requests
        ]
        origin = min(starts)
        horizon = max(starts) + timedelta(days=PLANNING_HORIZON_DAYS)
        intervals, stops = [], []
        fetched = [origin]

        def fetch():
            if fetched[0] >= horizon:
                return False
            end = min(fetched[0] + timedelta(days=PLANNING_CHUNK_DAYS), horizon)
            for begin, stop, _meta in self._work_intervals_batch(fetched[0], end)[False]:
                begin, stop = begin.astimezone(pytz.utc), stop.astimezone(pytz.utc)
                if begin < stop:
                    intervals.append((begin, stop))
                    stops.append(stop)
            fetched[0] = end
            return True

        results = []
        for (hours, _start), start in zip(requests, starts, strict=True):
            while fetched[0] <= start and fetch():
                pass
            index = bisect_right(stops, start)
            left = hours
            planned = False
            while True:
                while index >= len(intervals):
                    if not fetch():
                        break
                if index >= len(intervals):
                    break
                begin, stop = intervals[index]
                begin = max(begin, start)
                available = (stop - begin).total_seconds() / 3600
                if left <= available:
                    planned = (begin + timedelta(hours=left)).replace(tzinfo=None)
                    break
                left -= available
                index += 1
            results.append(planned)
        return results

    def kf_add_working_days(self, days, start):
        """``start`` plus ``days`` working days, a working day counting the
        calendar's hours per day (so half a day is possible); see
        ``kf_plan_working_hours``."""
        self.ensure_one()
        return self.kf_plan_working_hours(days * (self.hours_per_day or DEFAULT_HOURS_PER_DAY), start)

    def kf_add_working_days_batch(self, requests):
        """``kf_add_working_days`` for many ``(days, start)`` requests (days >=
        0) at once; see ``kf_plan_working_hours_batch``."""
        self.ensure_one()
        per_day = self.hours_per_day or DEFAULT_HOURS_PER_DAY
        return self.kf_plan_working_hours_batch([(days * per_day, start) for days, start in requests])

    def _kf_check_days_without_work(self, date_from, date_to):
        """Refuse public holidays that leave this calendar without any working
        time for more than ``MAX_DAYS_WITHOUT_WORK`` days around
        ``date_from`` to ``date_to`` (naive UTC): every working-day planning would
        search in vain."""
        margin = timedelta(days=MAX_DAYS_WITHOUT_WORK)
        for calendar in self.filtered(lambda c: not c.flexible_hours):
            start = pytz.utc.localize(date_from - margin)
            end = pytz.utc.localize(date_to + margin)
            previous = start
            for begin, stop, _meta in calendar._work_intervals_batch(start, end)[False]:
                if begin - previous > margin:
                    break
                previous = max(previous, stop)
            else:
                if end - previous <= margin:
                    continue
            raise ValidationError(
                self.env._(
                    "The public holidays between %(start)s and %(end)s leave the working schedule "
                    "%(name)s without a single working day for more than %(days)s days. Check their "
                    "dates: nothing was saved.",
                    start=date_from.date(),
                    end=date_to.date(),
                    name=calendar.name,
                    days=MAX_DAYS_WITHOUT_WORK,
                )
            )

    def _kf_on_working_time_changed(self):
        """Hook called when the working time of these calendars changed (their
        schedule, time zone, public holidays or make-up working days): addons
        that store deadlines planned on a calendar recompute them here."""
        return True
