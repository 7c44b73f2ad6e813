"""The reports to Odoo (--odoo-url), against a stand-in HTTP endpoint; the whole
link against a real Odoo is in test_odoo_bus."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .helpers import http


class _Odoo(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers.get("X-VMS-Proxy-Secret"), json.loads(body)))
        answer = b'{"ok": true, "tills": 1, "report_scans": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def odoo():
    _Odoo.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Odoo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Odoo.received
    server.shutdown()
    server.server_close()


def _wait_for(received, predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        found = [item for item in list(received) if predicate(*item)]
        if found:
            return found[-1]
        assert time.monotonic() < deadline, received
        time.sleep(0.02)


def test_status_and_scans_are_reported_to_odoo(start_proxy, sim_printer, odoo, tmp_path):
    url, received = odoo
    app = start_proxy(
        "--printer", sim_printer.url, "--simulate", "--odoo-url", url, "--bus-secret", "sec-1",
        "--token", "till-token", "--state-dir", str(tmp_path),
    )  # fmt: skip
    path, secret, body = _wait_for(
        received,
        lambda p, s, b: p.endswith("/status") and b["devices"]["printer"]["status"] == "connected",
    )
    assert path == "/vms_hw_proxy/status"
    assert secret == "sec-1"  # the bus secret, never the till's token
    assert "till-token" not in json.dumps(received)
    assert body["printer_width"] == 512 and body["bus"] is False  # nothing listens on /websocket
    assert set(body["devices"]) >= {"printer", "scanner", "cashdrawer"}
    # Odoo answered report_scans: a scan goes to Odoo at once, and still to the till.
    started = time.monotonic()
    status, _, _ = http("POST", f"{app.url}/vms/sim/scan?token=till-token", {"barcode": "SCAN-77"})
    assert status == 200
    path, secret, body = _wait_for(received, lambda p, s, b: p.endswith("/scan"))
    assert time.monotonic() - started < 1.0
    assert (path, secret, body) == ("/vms_hw_proxy/scan", "sec-1", {"barcode": "SCAN-77"})


def test_summary_page_for_store_it(start_proxy):
    app = start_proxy("--simulate", "--token", "t")
    status, _, raw = http("GET", f"{app.url}/?token=t")
    assert status == 200
    summary = json.loads(raw)
    assert summary["service"] == "vms-hw-proxy"
    assert summary["token_required"] is True
    assert summary["simulated_printer"].startswith("tcp://127.0.0.1:")
    assert http("GET", f"{app.url}/")[0] == 403
