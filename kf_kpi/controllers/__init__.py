
from . import xlsx
