from . import portal
from . import equipment
from . import mobile_service
