from odoo import models


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def _kf_on_working_time_changed(self):
        res = super()._kf_on_working_time_changed()
        calendars = self.exists()
        if calendars:
            companies = self.env["res.company"].sudo().search([("resource_calendar_id", "in", calendars.ids)])
            self.env["kf.ticket"]._recompute_sla_deadlines(companies)
        return res
