from odoo import api, fields, models
from odoo.exceptions import ValidationError


class HrJob(models.Model):
    """Staffing table (编制) of the customer-service department: planned
    headcount, staffed count, vacancies, planned hiring date and the names
    of the employees in each position."""

    _inherit = "hr.job"

    kf_is_kf_position = fields.Boolean(
        string="Customer-Service Position",
        help="List this position in the staffing table of the customer-service department.",
    )
    kf_planned_headcount = fields.Integer(
        string="Planned Headcount",
        help="Number of employees planned for this position (establishment).",
    )
    # Odoo already counts the position's employees (no_of_employee)
    kf_staffed_count = fields.Integer(
        related="no_of_employee",
        string="Staffed",
        help="Number of active employees in this position.",
    )
    kf_vacancy_count = fields.Integer(
        string="Vacancies",
        compute="_compute_kf_vacancy_count",
        store=True,
        help="Planned headcount minus staffed employees (never negative).",
    )
    kf_planned_hiring_date = fields.Date(
        string="Planned Hiring Date",
        help="Date by which the vacancies should be filled.",
    )
    kf_staff_names = fields.Char(
        string="Staff",
        compute="_compute_kf_staff_names",
        compute_sudo=True,
        help="Names of the employees in this position.",
    )

    @api.depends("kf_planned_headcount", "kf_staffed_count")
    def _compute_kf_vacancy_count(self):
        for job in self:
            job.kf_vacancy_count = max(job.kf_planned_headcount - job.kf_staffed_count, 0)

    @api.depends("employee_ids.name", "employee_ids.job_id", "employee_ids.active")
    def _compute_kf_staff_names(self):
        # Names in the order the employees joined the position (record order),
        # as in the department's paper table.
        for job in self:
            employees = job.employee_ids.sorted("id")
            job.kf_staff_names = "、".join(name for name in employees.mapped("name") if name)

    @api.constrains("kf_planned_headcount")
    def _check_kf_planned_headcount(self):
        for job in self:
            if job.kf_planned_headcount < 0:
                raise ValidationError(
                    self.env._(
                        "The planned headcount of position %(position)s cannot be negative.",
                        position=job.name,
                    )
                )
