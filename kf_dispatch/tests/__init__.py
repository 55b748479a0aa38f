from . import test_dispatch_order
from . import test_ticket
from . import test_problem
from . import test_mail_gateway
from . import test_portal
