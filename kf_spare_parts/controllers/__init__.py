from . import mobile, portal, xlsx
