"""The optional status report to Odoo (--odoo-url), against a stand-in HTTP endpoint."""

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
        self.received.append((self.path, self.headers.get("X-VMS-Proxy-Token"), json.loads(body)))
        answer = b'{"ok": true, "tills": 1}'
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


def test_status_is_reported_to_odoo(start_proxy, sim_printer, odoo):
    url, received = odoo
    start_proxy("--printer", sim_printer.url, "--odoo-url", url, "--token", "tok-1")
    deadline = time.monotonic() + 10
    while not any(body["devices"]["printer"]["status"] == "connected" for _, _, body in received):
        assert time.monotonic() < deadline, received
        time.sleep(0.1)
    path, token, body = received[-1]
    assert path == "/vms_hw_proxy/status"
    assert token == "tok-1" and body["token"] == "tok-1"
    assert body["devices"]["scanner"] == {"status": "disconnected"}
    assert set(body["devices"]) >= {"printer", "scanner"}


def test_summary_page_for_store_it(start_proxy):
    app = start_proxy("--simulate", "--token", "t")
    status, _, raw = http("GET", f"{app.url}/?token=t")
    assert status == 200
    summary = json.loads(raw)
    assert summary["service"] == "vms-hw-proxy"
    assert summary["token_required"] is True
    assert summary["simulated_printer"].startswith("tcp://127.0.0.1:")
    assert http("GET", f"{app.url}/")[0] == 403
