from . import kf_pay_compute
from . import kf_pay_penalty_cancel
