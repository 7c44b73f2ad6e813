{
    "name": "VMS Hardware Proxy",
    "summary": "Drive receipt printers, cash drawers and scanners from the Odoo POS "
    "through the vms-hw-proxy service",
    "version": "19.0.1.2.0",
    "category": "Sales/Point of Sale",
    "author": "VMS Developers",
    "license": "LGPL-3",
    "depends": ["point_of_sale", "bus"],
    "data": [
        "security/ir.model.access.csv",
        "security/vms_hw_job_security.xml",
        "data/ir_cron.xml",
        "views/vms_hw_job_views.xml",
        "views/pos_config_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "point_of_sale._assets_pos": [
            "vms_hw_proxy/static/src/app/**/*",
        ],
        "web.assets_backend": [
            "vms_hw_proxy/static/src/backend/**/*",
        ],
        "web.assets_tests": [
            "vms_hw_proxy/static/tests/tours/**/*",
        ],
    },
    "installable": True,
}
