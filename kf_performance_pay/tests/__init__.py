from . import test_pay_engine
from . import test_pay_reports
