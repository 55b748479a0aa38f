from . import kf_problem_reassign
from . import kf_problem_void
from . import kf_ticket_visit_waiver
