from . import test_spare_loan, test_spare_repair, test_spare_statement, test_spare_xlsx
from . import test_spare_outcomes
from . import test_spare_concurrency
from . import test_part_quote_sign
