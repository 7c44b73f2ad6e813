from . import controllers
from . import models
from . import report
from . import tools
from . import wizards


def _vms_pos_post_init(env):
    """Every company with a chart of accounts gets its voucher tender, and the
    barcode rule follows the companies' voucher code prefixes."""
    env["res.company"].search([])._vms_pos_setup_voucher_tender()
    env["barcode.rule"]._vms_sync_voucher_prefix_rule()
