{
    "name": "KF Performance Pay",
    "summary": "Performance pay (绩效工资) of the customer-service department from editable rules: "
    "commissioning fees, maintenance commissions, repair labour, year-end bonuses and penalties",
    "version": "18.0.1.0.0",
    "category": "Services/Customer Service",
    "website": "https://github.com/kf/kf",
    "author": "KF",
    "license": "LGPL-3",
    "depends": ["kf_kpi", "kf_dispatch"],
    "external_dependencies": {"python": ["xlsxwriter"]},
    "data": [
        "security/kf_performance_pay_security.xml",
        "security/ir.model.access.csv",
        "data/kf_pay_rule_data.xml",
        "data/ir_cron_data.xml",
        "views/kf_performance_pay_menus.xml",
        "views/kf_pay_rule_views.xml",
        "wizard/kf_pay_compute_views.xml",
        "views/kf_pay_statement_views.xml",
        "views/kf_pay_statement_line_views.xml",
        "views/kf_pay_leaver_views.xml",
    ],
}
