from . import test_pay_engine
from . import test_pay_maintenance
from . import test_pay_repair_bonus
