from . import kf_pay_compute
