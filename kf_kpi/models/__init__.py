from . import kf_kpi_definition
from . import kf_kpi_sheet
from . import kf_kpi_sheet_line
from . import kf_work_report
from . import hr_job
from . import kf_kpi_satisfaction_report
from . import kf_kpi_problem_report
from . import kf_visit
