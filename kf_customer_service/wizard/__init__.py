from . import kf_partner_assign
