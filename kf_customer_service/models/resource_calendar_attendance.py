from odoo import api, models


class ResourceCalendarAttendance(models.Model):
    _inherit = "resource.calendar.attendance"

    @api.model_create_multi
    def create(self, vals_list):
        attendances = super().create(vals_list)
        attendances._kf_working_time_changed()
        return attendances

    def write(self, vals):
        calendars = self.calendar_id
        res = super().write(vals)
        if not self.env.context.get("kf_working_time_batch"):
            (calendars | self.calendar_id)._check_kf_working_hours()
        self._kf_working_time_changed(calendars)
        return res

    def unlink(self):
        calendars = self.calendar_id
        res = super().unlink()
        # within a calendar's write the calendar checks its schedule at the end
        if not self.env.context.get("kf_working_time_batch"):
            calendars.exists()._check_kf_working_hours()
            calendars.exists()._kf_on_working_time_changed()
        return res

    def _kf_working_time_changed(self, calendars=None):
        # a calendar's write reports its own change once, at its end
        if not self.env.context.get("kf_working_time_batch"):
            (self.calendar_id | (calendars or self.env["resource.calendar"]))._kf_on_working_time_changed()
