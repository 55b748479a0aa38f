from . import test_pay_engine
