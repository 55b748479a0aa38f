from . import test_pay_engine
from . import test_pay_penalty
from . import test_pay_penalty_concurrency
from . import test_pay_commissioning
from . import test_pay_maintenance
from . import test_pay_repair_bonus
from . import test_pay_reports
from . import test_pay_concurrency
