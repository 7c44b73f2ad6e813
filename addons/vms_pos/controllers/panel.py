"""The panel's "Print slip" (``/vms/panel/print_slip``), where the tills and
their hardware proxies are known; answered like every panel route."""

from odoo import http

from odoo.addons.vms_loyalty.controllers.panel import VmsPanelController


class VmsPanelPrintController(VmsPanelController):
    @http.route("/vms/panel/print_slip", type="jsonrpc", auth="user", methods=["POST"])
    def print_slip(self, store_id=None, redemption_id=None):
        return self._vms_call(store_id, "_vms_panel_print_slip", redemption_id)
