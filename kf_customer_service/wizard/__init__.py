from . import kf_partner_assign
from . import kf_service_contract_renew
