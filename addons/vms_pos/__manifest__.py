{
    "name": "VMS Point of Sale",
    "summary": "Pay with vouchers at the till as a real tender, OTP at the tender, gift vouchers "
    "sold and printed on the receipt, club cards, refunds",
    "version": "19.0.1.4.0",
    "category": "Sales/Point of Sale",
    "author": "VMS Developers",
    "license": "LGPL-3",
    "depends": ["point_of_sale", "vms_loyalty", "vms_hw_proxy"],
    "data": [
        "security/vms_pos_security.xml",
        "security/ir.model.access.csv",
        "security/vms_offline_security.xml",
        "security/vms_report_security.xml",
        "data/barcode_rule_data.xml",
        "views/pos_payment_method_views.xml",
        "views/product_template_views.xml",
        "views/pos_order_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/vms_voucher_print_store_views.xml",
        "views/vms_offline_conflict_views.xml",
        "views/vms_offline_exposure_views.xml",
        "views/report_vms_basket_views.xml",
        "views/report_vms_liability_views.xml",
        "views/report_vms_menus.xml",
    ],
    "demo": [
        "demo/vms_pos_demo.xml",
    ],
    "assets": {
        "point_of_sale._assets_pos": [
            "vms_pos/static/src/app/**/*",
        ],
        "web.assets_backend": [
            "vms_pos/static/src/panel/**/*",
        ],
        "web.assets_tests": [
            "vms_pos/static/tests/tours/**/*",
        ],
    },
    "post_init_hook": "_vms_pos_post_init",
    "installable": True,
}
