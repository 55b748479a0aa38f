from . import portal
from . import equipment
