import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from odoo.tests import HttpCase, tagged
from odoo.tests.common import TEST_CURSOR_COOKIE_NAME

from ..controllers.main import SECRET_HEADER

SECRET = "tour-store-bus-secret"
BARCODE = "4006381333931"
# What vms-hw-proxy posts (ProxyApp.odoo_status) when the printer of a proxy
# without a scanner of its own goes away.
PRINTER_GONE = {
    "devices": {
        "printer": {"status": "disconnected"},
        "scanner": {"status": "disconnected"},
        "cashdrawer": {"status": "disconnected"},
    },
    "printer_width": 512,
    "bus": True,
}


class _Reports(BaseHTTPRequestHandler):
    """``GET /report/status`` and ``/report/scan`` from the tour: the proxy's reports,
    posted to Odoo by the test (``case._report``); answers with CORS for the page."""

    case = None

    def do_GET(self):
        if self.path == "/report/status":
            status = self.case._report("/vms_hw_proxy/status", PRINTER_GONE)
        elif self.path == "/report/scan":
            status = self.case._report("/vms_hw_proxy/scan", {"barcode": BARCODE})
        else:
            status = 404
        body = json.dumps({"status": status}).encode()
        self.send_response(200 if status == 200 else 502)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestProxyListTour(HttpCase):
    """The Hardware Proxies list in Chromium follows a proxy's reports live: its
    printer going away and a scan show in the row within a second of the report,
    without reloading the page (the tour measures it in the browser)."""

    def setUp(self):
        super().setUp()
        self.config = self.env["pos.config"].create(
            {
                "name": "Tour Store Till",
                "is_posbox": True,
                "vms_proxy_bus_secret": SECRET,
                "vms_proxy_report_scans": True,
            }
        )
        self.config._vms_store_proxy_status(
            {"printer": {"status": "connected"}, "scanner": {"status": "disconnected"}},
            "proxy",
            {"vms_proxy_on_bus": True},
        )
        self.reports = []
        handler = type("Reports", (_Reports,), {"case": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.reports_port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)

    def _report(self, route, body):
        """POST a report as vms-hw-proxy does: JSON, its bus secret, no session. The
        only addition is the test cursor's cookie, without which the test server
        ignores any request."""
        response = requests.post(
            self.base_url() + route,
            data=json.dumps(body),
            headers={"Content-Type": "application/json", SECRET_HEADER: SECRET},
            cookies={TEST_CURSOR_COOKIE_NAME: self.http_request_key},
            timeout=10,
        )
        self.reports.append((route, response.status_code, response.text))
        return response.status_code

    def test_status_and_scan_show_live(self):
        self.start_tour(
            "/odoo/action-vms_hw_proxy.action_vms_hw_proxies",
            "vms_hw_proxy_live_list",
            login="admin",
            cookies={"vms_hw_tour_reports": str(self.reports_port)},
        )
        self.assertEqual(
            [(route, status) for route, status, _text in self.reports],
            [("/vms_hw_proxy/status", 200), ("/vms_hw_proxy/scan", 200)],
            self.reports,
        )
        self.config.invalidate_recordset()
        self.assertEqual(self.config.vms_proxy_status, "disconnected")
        self.assertEqual(self.config.vms_proxy_devices["printer"]["status"], "disconnected")
        self.assertEqual(self.config.vms_proxy_last_scan, BARCODE)
