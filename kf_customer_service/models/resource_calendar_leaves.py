from odoo import api, models


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        leaves._kf_public_holidays_changed()
        return leaves

    def write(self, vals):
        before = self._kf_public_holiday_calendars()
        res = super().write(vals)
        self._kf_public_holidays_changed(before)
        return res

    def unlink(self):
        calendars = self._kf_public_holiday_calendars()
        res = super().unlink()
        calendars._kf_on_working_time_changed()
        return res

    def _kf_public_holiday_calendars(self):
        """The calendars the public holidays (leaves without a resource) among
        these leaves apply to: their calendar, or every calendar of their
        company when they name none."""
        holidays = self.filtered(lambda leave: not leave.resource_id)
        calendars = holidays.calendar_id
        companies = holidays.filtered(lambda leave: not leave.calendar_id).company_id
        if companies:
            calendars |= self.env["resource.calendar"].sudo().search([("company_id", "in", companies.ids)])
        return calendars

    def _kf_public_holidays_changed(self, calendars=None):
        """Check that the public holidays leave working days on their calendars
        and tell the calendars their working time changed."""
        holidays = self.filtered(lambda leave: not leave.resource_id)
        changed = holidays._kf_public_holiday_calendars()
        if holidays:
            changed.sudo()._kf_check_days_without_work(
                min(holidays.mapped("date_from")), max(holidays.mapped("date_to"))
            )
        (changed | (calendars or self.env["resource.calendar"]))._kf_on_working_time_changed()
