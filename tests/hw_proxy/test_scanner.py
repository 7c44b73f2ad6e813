"""Barcode scanners: the long poll, the simulated feeds, keyboard wedges and serial scanners."""

import contextlib
import json
import os
import socket
import threading
import time

import pytest

from vms_hw_proxy_service.addresses import parse_scanner
from vms_hw_proxy_service.drivers.scanner_evdev import EvdevScanner, KeyDecoder
from vms_hw_proxy_service.drivers.scanner_serial import SerialScanner
from vms_hw_proxy_service.queues import ScanQueue

from .helpers import http, result, rpc


@pytest.fixture
def scanning(start_proxy):
    return start_proxy("--simulate", "--scanner-timeout", "2", "--scan-max-age", "1")


def sim_scan(app, barcode):
    status, _, _ = http("POST", f"{app.url}/vms/sim/scan", {"barcode": barcode})
    assert status == 200


def test_long_poll_times_out_with_empty_string(scanning):
    started = time.monotonic()
    assert result(scanning.url, "scanner") == ""
    assert 1.8 <= time.monotonic() - started < 3.5


def test_scan_is_delivered_to_exactly_one_of_ten_pollers(scanning):
    answers = []
    lock = threading.Lock()

    def poll():
        code = result(scanning.url, "scanner", timeout=10)
        with lock:
            answers.append(code)

    threads = [threading.Thread(target=poll) for _ in range(10)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # all ten waiting
    sim_scan(scanning, "4006381333931")
    for thread in threads:
        thread.join(10)
    assert len(answers) == 10
    assert answers.count("4006381333931") == 1
    assert answers.count("") == 9


def test_scans_are_delivered_in_order_each_once(scanning):
    for code in ("A-1", "A-2", "A-3"):
        sim_scan(scanning, code)
    assert [result(scanning.url, "scanner") for _ in range(3)] == ["A-1", "A-2", "A-3"]


def test_stale_scan_is_dropped(scanning):
    sim_scan(scanning, "TOO-OLD")
    time.sleep(1.3)  # --scan-max-age 1
    sim_scan(scanning, "FRESH")
    assert result(scanning.url, "scanner") == "FRESH"


def test_sim_scan_route_checks_input_and_needs_simulate(scanning, start_proxy):
    status, _, _ = http("POST", f"{scanning.url}/vms/sim/scan", {"barcode": 12})
    assert status == 422
    status, _, _ = http("POST", f"{scanning.url}/vms/sim/scan", b"nope")
    assert status == 400
    plain = start_proxy()
    status, _, _ = http("POST", f"{plain.url}/vms/sim/scan", {"barcode": "X"})
    assert status == 404


def test_status_shows_the_simulated_devices(scanning):
    deadline = time.monotonic() + 5
    while result(scanning.url, "status_json")["printer"]["status"] != "connected":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    drivers = result(scanning.url, "status_json")
    assert drivers["scanner"]["status"] == "connected"
    assert drivers["cashdrawer"]["status"] == "connected"


def test_simulated_printer_of_the_simulate_mode(scanning):
    from .helpers import receipt_b64

    data = {"action": "print_receipt", "receipt": receipt_b64("VMS-SIM-MODE")}
    assert result(scanning.url, "default_printer_action", {"data": data}) is True
    assert result(scanning.url, "default_printer_action", {"data": {"action": "cashbox"}})
    assert scanning.sim_printer.wait_for(1) and scanning.sim_printer.wait_for_kicks(1)
    status, _, raw = http("GET", f"{scanning.url}/vms/sim/printer")
    assert status == 200
    assert json.loads(raw)["receipts"] == 1 and json.loads(raw)["drawer_kicks"] == 1


def test_sim_scanner_tcp_feed(scanning):
    host, _, port = scanning.sim_scanner.endpoint.partition(":")
    with socket.create_connection((host, int(port))) as feed:
        feed.sendall(b"TCP-FED-1\r\nTCP-FED-2\n")
    assert result(scanning.url, "scanner") == "TCP-FED-1"
    assert result(scanning.url, "scanner") == "TCP-FED-2"


def test_sim_scanner_fifo_feed(start_proxy, tmp_path):
    fifo = tmp_path / "scans"
    app = start_proxy("--scanner", f"sim:{fifo}", "--scanner-timeout", "3")
    deadline = time.monotonic() + 5
    while not fifo.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    fd = os.open(fifo, os.O_WRONLY)
    os.write(fd, b"FIFO-FED\n")
    os.close(fd)
    assert result(app.url, "scanner") == "FIFO-FED"
    status, _, _ = http("POST", f"{app.url}/vms/sim/scan", {"barcode": "X"})
    assert status == 404  # the HTTP feed is only there with --simulate


def test_scanner_long_poll_with_token_prefix(start_proxy):
    app = start_proxy("--simulate", "--token", "tk", "--scanner-timeout", "2")
    status, _, _ = http("POST", f"{app.url}/vms-token/tk/vms/sim/scan", {"barcode": "TOKEN-SCAN"})
    assert status == 200
    assert result(f"{app.url}/vms-token/tk", "scanner") == "TOKEN-SCAN"
    assert rpc(app.url, "scanner")[0] == 403


def test_scan_queue_unit():
    queue = ScanQueue(max_age=0.2)
    assert queue.wait(0.05) == ""
    queue.push("  ")
    queue.push("X1")
    assert queue.wait(0.05) == "X1"
    queue.push("OLD")
    time.sleep(0.3)
    assert queue.wait(0.05) == ""
    queue.push("Y")
    assert queue.wait(1, gone=lambda: True) == ""  # the asking till left: scan kept
    assert queue.wait(0.05) == "Y"


def _type(decoder, keys):
    """Press and release each key code; (code, shifted) pairs."""
    out = []
    for code, shifted in keys:
        if shifted:
            decoder.feed(42, 1)
        for value in (1, 0):
            got = decoder.feed(code, value)
            if got:
                out.append(got)
        if shifted:
            decoder.feed(42, 0)
    return out


ENTER = (28, False)


def test_keymap_us():
    decoder = KeyDecoder("us")
    keys = [(2, False), (3, False), (11, False), (30, True), (48, False), (12, False), ENTER]
    assert _type(decoder, keys) == ["120Ab-"]
    # keypad digits and keypad enter, key repeat ignored
    decoder.feed(79, 1)
    decoder.feed(79, 2)
    decoder.feed(79, 0)
    assert decoder.feed(96, 1) == "1"


def test_keymap_fr_azerty_digits_need_shift():
    decoder = KeyDecoder("fr")
    keys = [(2, True), (3, True), (16, False), (17, True), (2, False), ENTER]
    assert _type(decoder, keys) == ["12aZ&"]


def test_keymap_de_qwertz():
    decoder = KeyDecoder("de")
    assert _type(decoder, [(21, False), (44, False), (12, False), (2, True), ENTER]) == ["zyß!"]
    decoder.feed(100, 1)
    decoder.feed(16, 1)
    decoder.feed(100, 0)
    assert decoder.feed(28, 1) == "@"


def test_keymap_unknown_layout():
    with pytest.raises(ValueError, match="unknown keyboard layout"):
        KeyDecoder("xx")


def test_serial_scanner_reads_lines_from_a_pty():
    master, slave = os.openpty()
    path = os.ttyname(slave)
    queue = ScanQueue(max_age=5)
    scanner = SerialScanner(parse_scanner(f"serial://{path}?baudrate=9600"), queue)
    scanner.start()
    try:
        deadline = time.monotonic() + 5
        while scanner.status()["status"] != "connected":
            assert time.monotonic() < deadline, scanner.status()
            time.sleep(0.05)
        os.write(master, b"SERIAL-1\r\nSERI")
        assert queue.wait(3) == "SERIAL-1"
        os.write(master, b"AL-2\r")
        assert queue.wait(3) == "SERIAL-2"
    finally:
        scanner.stop()
        os.close(master)
        os.close(slave)


def test_absent_serial_scanner_is_disconnected(start_proxy):
    app = start_proxy("--scanner", "serial:///dev/ttyNOPE0?baudrate=9600")
    deadline = time.monotonic() + 5
    while True:
        scanner = result(app.url, "status_json")["scanner"]
        if scanner["messages"] and "not opened yet" not in scanner["messages"][0]:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert scanner["status"] == "disconnected"


class _KeyboardWedge:
    """Stands in for evdev.InputDevice: a real fd to select on, events typed by the test."""

    instances = []

    def __init__(self, path):
        self.path = path
        self._read_fd, self._write_fd = os.pipe()
        self.fd = self._read_fd
        self.events = []
        self.grabbed = False
        _KeyboardWedge.instances.append(self)

    def grab(self):
        self.grabbed = True

    def type_keys(self, pairs):
        import evdev

        for code, value in pairs:
            self.events.append(evdev.InputEvent(0, 0, evdev.ecodes.EV_KEY, code, value))
        os.write(self._write_fd, b"x")

    def read(self):
        os.read(self._read_fd, 4096)
        events, self.events = self.events, []
        return iter(events)

    def close(self):
        for fd in (self._read_fd, self._write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def test_evdev_scanner_grabs_and_decodes(monkeypatch):
    import evdev

    _KeyboardWedge.instances = []
    monkeypatch.setattr(evdev, "InputDevice", _KeyboardWedge)
    queue = ScanQueue(max_age=5)
    scanner = EvdevScanner(parse_scanner("evdev:/dev/input/event7"), queue, layout="us")
    scanner.start()
    try:
        deadline = time.monotonic() + 5
        while scanner.status()["status"] != "connected":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        wedge = _KeyboardWedge.instances[0]
        assert wedge.grabbed and wedge.path == "/dev/input/event7"
        # "4006" then Enter, each key pressed and released
        keys = [(5, 1), (5, 0), (11, 1), (11, 0), (11, 1), (11, 0), (7, 1), (7, 0), (28, 1)]
        wedge.type_keys(keys)
        assert queue.wait(3) == "4006"
    finally:
        scanner.stop()


def test_absent_evdev_scanner_is_disconnected():
    scanner = EvdevScanner(parse_scanner("evdev:/dev/input/event99"), ScanQueue(), layout="us")
    scanner.start()
    try:
        deadline = time.monotonic() + 5
        while "not opened yet" in str(scanner.status()["messages"]):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert scanner.status()["status"] == "disconnected"
    finally:
        scanner.stop()
