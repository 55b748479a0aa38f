from . import kf_xlsx
