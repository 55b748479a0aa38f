from . import portal
from . import equipment
from . import mobile_orders
from . import mobile_service
