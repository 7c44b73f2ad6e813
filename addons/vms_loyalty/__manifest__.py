{
    "name": "VMS Vouchers & Loyalty",
    "summary": "Campaigns, vouchers, club cards, points and OTP-safe redemption",
    "version": "19.0.1.0.0",
    "category": "Sales/Point of Sale",
    "author": "VMS Developers",
    "license": "LGPL-3",
    "depends": ["product", "contacts", "mail", "sms"],
    "external_dependencies": {
        "python": ["qrcode", "barcode", "reportlab", "phonenumbers"],
    },
    "data": [
        "security/vms_security.xml",
        "security/ir.model.access.csv",
        "views/res_config_settings_views.xml",
        "views/vms_menus.xml",
    ],
    "demo": [
        "demo/vms_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "vms_loyalty/static/tests/tours/**/*",
        ],
    },
    "application": True,
    "installable": True,
}
