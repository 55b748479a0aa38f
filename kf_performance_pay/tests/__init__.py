from . import test_pay_engine
from . import test_pay_penalty
from . import test_pay_penalty_concurrency
from . import test_pay_commissioning
