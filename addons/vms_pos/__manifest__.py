{
    "name": "VMS Point of Sale",
    "summary": "Pay with vouchers and points at the till, print gift vouchers on the receipt",
    "version": "19.0.1.0.0",
    "category": "Sales/Point of Sale",
    "author": "VMS Developers",
    "license": "LGPL-3",
    "depends": ["point_of_sale", "vms_loyalty"],
    "data": [],
    "assets": {
        "web.assets_tests": [
            "vms_pos/static/tests/tours/**/*",
        ],
    },
    "installable": True,
}
