from . import test_spare_loan, test_spare_repair, test_spare_statement, test_spare_xlsx
