from . import kf_kpi_compute
from . import kf_kpi_export
from . import kf_kpi_sheet_reopen
from . import kf_kpi_sheet_appeal
