"""The reports to Odoo (--odoo-url), against a stand-in HTTP endpoint; the whole
link against a real Odoo is in test_odoo_bus."""

import json
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vms_hw_proxy_service.link.client import OdooClient, OdooUnavailable
from vms_hw_proxy_service.link.reports import Reporter

from .helpers import http


class _StandIn(BaseHTTPRequestHandler):
    """Answers each POST with the JSON ``record(body)`` returns."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = json.dumps(self.record(body)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def record(self, body):
        raise NotImplementedError

    def log_message(self, *args):
        pass


@contextmanager
def _serving(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Odoo(_StandIn):
    """Records (path, secret header, body) of each call."""

    received = []

    def record(self, body):
        self.received.append((self.path, self.headers.get("X-VMS-Proxy-Secret"), body))
        return {"ok": True, "tills": 1, "report_scans": True}


@pytest.fixture
def odoo():
    _Odoo.received = []
    with _serving(_Odoo) as (_server, url):
        yield url, _Odoo.received


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
    # (The request is recorded before its answer reaches the proxy: wait for that.)
    deadline = time.monotonic() + 10
    while not app.reporter.report_scans:
        assert time.monotonic() < deadline, "the proxy never read Odoo's report_scans"
        time.sleep(0.01)
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


class _KeepAliveOdoo(_StandIn):
    """An Odoo stand-in that keeps connections open (HTTP/1.1), like Odoo's threaded
    server; records (path, client port, headers, body) of each call."""

    protocol_version = "HTTP/1.1"
    received = []
    answers = {}

    def record(self, body):
        self.received.append((self.path, self.client_address[1], dict(self.headers), body))
        return self.answers.get(self.path, {"ok": True})


@pytest.fixture
def keepalive_odoo():
    _KeepAliveOdoo.received = []
    _KeepAliveOdoo.answers = {"/vms_hw_proxy/status": {"ok": True, "db": "store_db"}}
    with _serving(_KeepAliveOdoo) as (server, url):
        yield server, url, _KeepAliveOdoo.received


def test_calls_reuse_one_connection_and_name_the_database(keepalive_odoo):
    _, url, received = keepalive_odoo
    client = OdooClient(url, "sec-2")
    assert client.post("/vms_hw_proxy/status", {"devices": {}})["db"] == "store_db"
    client.learn_db({"db": "store_db"})
    for _ in range(5):
        client.post("/vms_hw_proxy/scan", {"barcode": "X"})
    assert client.connections_opened == 1
    assert len({port for _, port, _, _ in received}) == 1  # one TCP connection for six calls
    assert "X-Odoo-Database" not in received[0][2]
    assert {headers["X-Odoo-Database"] for _, _, headers, _ in received[1:]} == {"store_db"}
    assert {headers["X-VMS-Proxy-Secret"] for _, _, headers, _ in received} == {"sec-2"}
    # A database given on the command line is never replaced by what Odoo says.
    fixed = OdooClient(url, "sec-2", db="given")
    fixed.learn_db({"db": "store_db"})
    assert fixed.db == "given"


def test_a_connection_closed_while_idle_is_reopened_once(keepalive_odoo):
    _, url, received = keepalive_odoo
    client = OdooClient(url, "sec-3")
    client.post("/vms_hw_proxy/scan", {"barcode": "A"})
    # Odoo (or a proxy in front of it) drops the idle connection.
    client._local.connection.conn.sock.shutdown(socket.SHUT_RDWR)
    client.post("/vms_hw_proxy/scan", {"barcode": "B"})
    assert [body["barcode"] for _, _, _, body in received] == ["A", "B"]
    assert client.connections_opened == 2
    # Odoo gone for good: a clear OSError, not a hang or a retry loop.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(OdooUnavailable):
        OdooClient(dead, "sec-3", timeout=1).post("/vms_hw_proxy/scan", {"barcode": "C"})


def test_job_results_wait_off_the_print_path_and_go_together(keepalive_odoo):
    """While jobs keep coming, results are gathered and sent together right after an
    image fetch; a job printed at once is reported done alone; when no job comes,
    they go within a moment."""
    _, url, received = keepalive_odoo
    _KeepAliveOdoo.answers["/vms_hw_proxy/job/result"] = {"ok": True, "results": []}
    reporter = Reporter(OdooClient(url, "sec-4"), lambda: {"devices": {}}, interval=3600)
    reporter.start()
    try:
        _wait_for(received, lambda path, *_: path.endswith("/status"))

        def results():
            return [body for path, _, _, body in list(received) if path.endswith("/job/result")]

        # A stream of jobs, one every 50 ms: fetch, "sent", printed, "done".
        started = time.monotonic()
        for job_id in range(1, 31):
            reporter.fetching()
            time.sleep(0.01)
            reporter.fetched()
            reporter.job_result(job_id, "sent")
            time.sleep(0.03)
            reporter.job_result(job_id, "done")
            time.sleep(0.01)
        streamed = time.monotonic() - started
        calls_during_stream = len(results())
        _wait_for(received, lambda path, *_: len(results()) > calls_during_stream)
        time.sleep(0.3)
        reported = [item for body in results() for item in body["results"]]
        assert sorted(item["job_id"] for item in reported) == list(range(1, 31))
        assert {item["state"] for item in reported} == {"done"}  # no separate "sent"
        # About one call per RESULTS_MAX_WAIT while jobs kept coming, then the rest.
        assert calls_during_stream <= streamed / Reporter.RESULTS_MAX_WAIT + 1
        assert len(results()) <= calls_during_stream + 1
        # One job alone: its result goes once no job came for RESULTS_QUIET.
        before = len(results())
        reporter.fetching()
        reporter.fetched()
        reporter.job_result(99, "sent")
        done_at = time.monotonic()
        reporter.job_result(99, "done")
        _wait_for(received, lambda *_: len(results()) > before)
        assert time.monotonic() - done_at < Reporter.RESULTS_QUIET + 0.5
        assert results()[-1] == {"results": [{"job_id": 99, "state": "done", "message": ""}]}
        # A job stuck at the printer: "sent" is reported on its own after SENT_DELAY.
        before = len(results())
        reporter.job_result(100, "sent")
        _wait_for(received, lambda *_: len(results()) > before, timeout=5)
        assert results()[-1]["results"][0] == {"job_id": 100, "state": "sent", "message": ""}
    finally:
        reporter.stop()
