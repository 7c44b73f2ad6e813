"""Benchmark of the hardware proxy: receipt latency, memory, scanner long polls,
and print jobs from Odoo over its bus.

Starts a real Odoo 19 (own cluster, a database with vms_hw_proxy, threaded
server with websockets) and ``vms-hw-proxy`` as a subprocess on its bus,
printing on a simulated network printer run by this script. Then:

1. the till: 100 receipts (512 x 2000 px JPEG: text lines and a QR code) POSTed
   one after another, the way the POS does, each timed from the start of its
   POST to the arrival of its cut at the printer; meanwhile ten clients
   long-poll /hw_proxy/scanner and barcodes are fed through the simulated
   scanner route, each to be delivered exactly once;
2. the bus: the same 100 receipts printed from Odoo's code with
   ``pos.config._vms_hw_print_image``, each timed from the commit of that call
   to the arrival of its cut at the printer (bus notification, websocket,
   image fetch, printing, DLE EOT confirmation), with the proxy's own median
   per phase (queued, fetch, print). Goal: p95 within 2x the till's p95.

Run: .venv/bin/python bench/bench_proxy.py   (make bench BENCH=proxy)
The last line is machine-readable:
RESULT proxy p50_ms=.. p95_ms=.. rss_mb=.. bus_p95_ms=.. longpoll_clients=10 ...
"""

import base64
import collections
import io
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw
from pyzbar import pyzbar

from vms_hw_proxy_service.sim.printer import SimulatedPrinter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.hw_proxy.odoo_site import OdooSite, proxy_summary, wait_until  # noqa: E402

PRINTS = 100
POLLERS = 10
WIDTH, HEIGHT = 512, 2000
SCAN_EVERY = 0.05  # seconds between simulated scans while printing
GOAL_P95_MS, GOAL_RSS_MB = 150, 60


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_receipt(number):
    """A long receipt as the POS renders it: header, item lines, totals, a voucher QR."""
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(image)
    draw.text((180, 20), "VMS DEMO STORE", fill=0)
    y = 70
    for line in range(48):
        draw.text((20, y), f"{line + 1:2d} x Gift voucher item {number}-{line}", fill=0)
        draw.text((420, y), f"{(line * 7) % 90 + 9}.99", fill=0)
        y += 26
    draw.line((20, y, WIDTH - 20, y), fill=0, width=2)
    draw.text((20, y + 12), f"TOTAL  {number * 13 % 500 + 100}.00 EUR", fill=0)
    qr = qrcode.QRCode(border=2, box_size=7)
    qr.add_data(f"VMS-BENCH-{number:04d}")
    code = qr.make_image(fill_color="black", back_color="white").convert("L")
    image.paste(code, ((WIDTH - code.width) // 2, y + 60))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return base64.b64encode(buffer.getvalue()).decode()


def post(url, payload, timeout=30):
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def rpc(base, route, params=None, timeout=30):
    payload = {"jsonrpc": "2.0", "method": "call", "params": params or {}, "id": 1}
    return post(f"{base}/hw_proxy/{route}", payload, timeout)["result"]


def wait_for_proxy(base, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the proxy exited: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(f"{base}/hw_proxy/hello", timeout=1) as response:
                if response.read() == b"ping":
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the proxy did not answer /hw_proxy/hello")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


class ScanTraffic:
    """Ten long-polling clients and a feeder of simulated scans."""

    def __init__(self, base):
        self.base = base
        self.delivered = collections.Counter()
        self.sent = []
        self.errors = 0
        self._lock = threading.Lock()
        self._feeding = threading.Event()
        self._polling = threading.Event()
        self._threads = []

    def _poll(self):
        while self._polling.is_set():
            try:
                code = rpc(self.base, "scanner", timeout=30)
            except (OSError, urllib.error.URLError):
                with self._lock:
                    self.errors += 1
                continue
            if code:
                with self._lock:
                    self.delivered[code] += 1

    def _feed(self):
        number = 0
        while self._feeding.is_set():
            code = f"SCAN-{number:05d}"
            try:
                post(f"{self.base}/vms/sim/scan", {"barcode": code})
                self.sent.append(code)
            except OSError:
                with self._lock:
                    self.errors += 1
            number += 1
            time.sleep(SCAN_EVERY)

    def start(self):
        self._polling.set()
        self._feeding.set()
        self._threads = [threading.Thread(target=self._poll, daemon=True) for _ in range(POLLERS)]
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        for thread in [*self._threads, self._feeder]:
            thread.start()

    def stop(self, drain_timeout=10):
        self._feeding.clear()
        self._feeder.join()
        deadline = time.monotonic() + drain_timeout
        while sum(self.delivered.values()) < len(self.sent) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._polling.clear()
        for thread in self._threads:
            thread.join(5)


def bench_bus(site, config_id, receipts, printer, already):
    """Each receipt printed from Odoo's code; ms from commit to the cut at the printer."""
    latencies = []
    images = [base64.b64decode(receipt) for receipt in receipts]
    for number, image in enumerate(images):
        with site.env() as env:
            env["pos.config"].browse(config_id)._vms_hw_print_image(image, name=f"bench {number}")
        committed = time.perf_counter()  # the block's end committed the call
        if not printer.wait_for(already + number + 1, timeout=20):
            raise SystemExit(f"bus job {number} never reached the printer")
        latencies.append((printer.receipt_times[-1] - committed) * 1000)
    return latencies


def main():
    workdir = Path(tempfile.mkdtemp(prefix="vms-bench-proxy-"))
    print("installing vms_hw_proxy on a fresh database ...", flush=True)
    site = OdooSite(workdir).install().start()
    try:
        return run(site)
    finally:
        site.destroy()
        subprocess.run(["rm", "-rf", str(workdir)], check=False)


def run(site):
    secret = "bench-bus-secret"
    with site.env() as env:
        config_id = (
            env["pos.config"]
            .create({"name": "Bench till", "is_posbox": True, "vms_proxy_bus_secret": secret})
            .id
        )
    printer = SimulatedPrinter(port=0, keep_raw=False, max_kept=2).start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "vms_hw_proxy_service",
            "--host", "127.0.0.1", "--port", str(port),
            "--printer", printer.url, "--simulate",
            "--scanner-timeout", "2", "--log-level", "warning",
            "--odoo-url", site.url, "--bus-secret", secret,
            "--state-dir", str(site.workdir / "proxy-state"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        wait_for_proxy(base, proc)
        print(f"rendering {PRINTS} receipts of {WIDTH} x {HEIGHT} px ...", flush=True)
        receipts = [make_receipt(number) for number in range(PRINTS)]
        sizes = [len(receipt) * 3 // 4 for receipt in receipts]
        print(f"  JPEG size: mean {statistics.mean(sizes) / 1024:.0f} KiB", flush=True)
        # One warm-up receipt, not counted: the first connection and profile loading.
        rpc(base, "default_printer_action", {"data": {"action": "print_receipt",
            "receipt": make_receipt(9999)}})  # fmt: skip
        if not printer.wait_for(1, timeout=20):
            raise SystemExit("warm-up receipt never reached the printer")

        traffic = ScanTraffic(base)
        traffic.start()
        latencies = []
        for number, receipt in enumerate(receipts):
            started = time.perf_counter()
            accepted = rpc(
                base,
                "default_printer_action",
                {"data": {"action": "print_receipt", "receipt": receipt}},
            )
            if accepted is not True:
                raise SystemExit(f"receipt {number} refused: {accepted!r}")
            if not printer.wait_for(number + 2, timeout=20):
                raise SystemExit(f"receipt {number} never reached the printer")
            latencies.append((printer.receipt_times[-1] - started) * 1000)
            if number == 0:
                first = printer.receipts[-1]
        traffic.stop()
        rss = rss_mb(proc.pid)
        last = printer.receipts[-1]

        wait_until(lambda: proxy_summary(base)["odoo"]["bus"] == "connected", timeout=30)
        print(f"printing {PRINTS} receipts from Odoo over the bus ...", flush=True)
        bus_latencies = bench_bus(site, config_id, receipts, printer, PRINTS + 1)
        bus_last = printer.receipts[-1]
        phases = proxy_summary(base)["odoo"]["job_phases"]

        decoded = [
            [symbol.data.decode() for symbol in pyzbar.decode(image.convert("L"))]
            for image in (first, last, bus_last)
        ]
        last_code = f"VMS-BENCH-{PRINTS - 1:04d}"
        expected = [["VMS-BENCH-0000"], [last_code], [last_code]]
        duplicates = sum(1 for count in traffic.delivered.values() if count > 1)
        delivered_once = sum(1 for code in traffic.sent if traffic.delivered[code] == 1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        printer.stop()

    p50, p95 = percentile(latencies, 0.50), percentile(latencies, 0.95)
    bus_p50, bus_p95 = percentile(bus_latencies, 0.50), percentile(bus_latencies, 0.95)
    print()
    print(f"prints                 {len(latencies)} (+1 warm-up), all reached the printer")
    print(f"latency POST -> cut    p50 {p50:.1f} ms   p95 {p95:.1f} ms   "
          f"max {max(latencies):.1f} ms   (goal p95 < {GOAL_P95_MS} ms)")  # fmt: skip
    print(f"bus: commit -> cut     p50 {bus_p50:.1f} ms   p95 {bus_p95:.1f} ms   "
          f"max {max(bus_latencies):.1f} ms   (goal p95 <= {2 * p95:.1f} ms)")  # fmt: skip
    print("  phases in the proxy  " + "   ".join(
        f"{phase} p50 {phases[f'{phase}_p50_ms']:.1f} p95 {phases[f'{phase}_p95_ms']:.1f} ms"
        for phase in ("queued", "fetch", "print")
    ))  # fmt: skip
    print("                       (the rest: Odoo's commit to the notification at the proxy)")
    print(f"service memory (RSS)   {rss:.1f} MB   (goal < {GOAL_RSS_MB} MB)")
    print(f"long-poll clients      {POLLERS}")
    print(f"scans sent/delivered   {len(traffic.sent)} / {delivered_once} exactly once, "
          f"{duplicates} duplicated, {traffic.errors} client errors")  # fmt: skip
    print(f"QR check               {'ok' if decoded == expected else f'FAILED {decoded}'}")
    print(
        f"RESULT proxy p50_ms={p50:.1f} p95_ms={p95:.1f} rss_mb={rss:.1f} "
        f"bus_p95_ms={bus_p95:.1f} longpoll_clients={POLLERS} scans_sent={len(traffic.sent)} "
        f"scans_delivered={delivered_once} prints={len(latencies)}"
    )
    ok = decoded == expected and duplicates == 0 and delivered_once == len(traffic.sent)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
