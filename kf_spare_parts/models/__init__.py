from . import (
    kf_dispatch_order,
    kf_dispatch_order_part,
    kf_part_quote,
    kf_repair_quote_line,
    kf_service_price,
    kf_spare_loan,
    kf_spare_loan_line,
    kf_spare_part_charge,
    kf_spare_repair,
    res_company,
    stock_location,
    stock_picking,
)
