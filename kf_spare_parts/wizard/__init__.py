from . import kf_spare_statement
