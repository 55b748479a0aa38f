from . import kf_pay_rule
from . import kf_pay_statement
from . import kf_pay_statement_line
from . import kf_pay_leaver
from . import res_company
from . import kf_pay_statement_report
