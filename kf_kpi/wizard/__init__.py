from . import kf_kpi_compute
from . import kf_kpi_export
