from . import kf_pay_compute
from . import kf_pay_penalty_cancel
from . import kf_pay_export
from . import kf_pay_year_export
