from . import test_kpi
from . import test_staffing
from . import test_reports
from . import test_xlsx
from . import test_hardening_rules
from . import test_hardening_concurrency
from . import test_report_rows
from . import test_cron_domains
