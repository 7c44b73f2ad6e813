"""The proxy on a real Odoo's bus: print jobs from Odoo, restarts on both sides,
another proxy's secret, and the back office seeing status and scans live.

One Odoo server (its own cluster and database with vms_hw_proxy, threaded,
websockets on) for the module; each test starts real ``vms-hw-proxy``
processes printing on simulated network printers.
"""

import io
import json
import signal
import time

import pytest
import qrcode
import websocket
from PIL import Image, ImageDraw
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from vms_hw_proxy_service.sim.printer import SimulatedPrinter

from .helpers import http, qr_texts
from .odoo_site import OdooSite, odoo_present, proxy_summary, start_proxy, wait_until

pytestmark = [
    pytest.mark.odoo,
    pytest.mark.skipif(not odoo_present(), reason="no Odoo 19 at ODOO_HOME"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = OdooSite(tmp_path_factory.mktemp("odoo-bus")).install().start()
    yield site
    site.destroy()


@pytest.fixture
def printer():
    printer = SimulatedPrinter(port=0).start()
    yield printer
    printer.stop()


@pytest.fixture
def proxies():
    started = []

    def start(*args, **kwargs):
        proc, base = start_proxy(*args, **kwargs)
        started.append(proc)
        return proc, base

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)


_counter = iter(range(1, 10**6))


def make_till(site, *, report_scans=False):
    """A till with a bus secret of its own, committed; returns (config id, secret)."""
    number = next(_counter)
    secret = f"bus-secret-{number}-{time.monotonic_ns()}"
    with site.env() as env:
        config = env["pos.config"].create(
            {
                "name": f"Store till {number}",
                "is_posbox": True,
                "vms_proxy_token": f"till-token-{number}",
                "vms_proxy_bus_secret": secret,
                "vms_proxy_report_scans": report_scans,
            }
        )
        return config.id, secret


def voucher_pdf(code):
    """A voucher as the back office would print it: A6, title, QR with the code."""
    qr = qrcode.make(code, border=2, box_size=8).convert("L")
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(298, 420))
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(30, 380, "Gift voucher 25.00 EUR")
    qr_buffer = io.BytesIO()
    qr.save(qr_buffer, "PNG")
    pdf.drawImage(ImageReader(io.BytesIO(qr_buffer.getvalue())), 49, 110, 200, 200)
    pdf.drawString(30, 80, code)
    pdf.save()
    return buffer.getvalue()


def slip_png(code):
    image = Image.new("L", (512, 500), 255)
    ImageDraw.Draw(image).text((20, 20), f"Redemption slip {code}", fill=0)
    image.paste(qrcode.make(code, border=2, box_size=6).convert("L"), (120, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def print_pdf(site, config_id, code):
    with site.env() as env:
        return (
            env["pos.config"].browse(config_id)._vms_hw_print_pdf(voucher_pdf(code), name=code).id
        )


def print_image(site, config_id, code):
    with site.env() as env:
        return env["pos.config"].browse(config_id)._vms_hw_print_image(slip_png(code), name=code).id


def job_state(site, job_id):
    return site.read("vms.hw.job", job_id, ["state"])["state"]


def on_bus(base, connections=1):
    odoo = proxy_summary(base)["odoo"]
    return odoo["bus"] == "connected" and odoo["connections"] >= connections


def printed_codes(printer):
    return [code for image in printer.receipts for code in qr_texts(image)]


def test_a_voucher_printed_from_odoo_arrives_and_reads_back(site, printer, proxies, tmp_path):
    config_id, secret = make_till(site)
    _, base = proxies(site, secret, printer.url, tmp_path)
    wait_until(lambda: on_bus(base), message="the proxy on the bus")
    job_id = print_pdf(site, config_id, "VMS-BUS-PDF-0001")
    assert printer.wait_for(1, timeout=10), "the job never reached the printer"
    assert printed_codes(printer) == ["VMS-BUS-PDF-0001"]
    assert printer.receipts[0].width == 512  # rasterised at the reported printer width
    wait_until(lambda: job_state(site, job_id) == "done", message="the job done in Odoo")
    # An image job too (the redemption panel's slip).
    job_id = print_image(site, config_id, "VMS-BUS-SLIP-0002")
    assert printer.wait_for(2, timeout=10)
    assert printed_codes(printer) == ["VMS-BUS-PDF-0001", "VMS-BUS-SLIP-0002"]
    wait_until(lambda: job_state(site, job_id) == "done", message="the slip done in Odoo")
    # Store IT sees where a job's time goes (GET /): the fetch from Odoo, the printing.
    phases = proxy_summary(base)["odoo"]["job_phases"]
    assert set(phases) == {
        f"{p}_{q}_ms" for p in ("queued", "fetch", "print") for q in ("p50", "p95")
    }
    assert 0 < phases["fetch_p50_ms"] <= phases["fetch_p95_ms"] < 10_000
    assert 0 < phases["print_p50_ms"] < 10_000


def test_proxy_killed_and_restarted_while_a_job_waits_prints_it_once(
    site, printer, proxies, tmp_path
):
    config_id, secret = make_till(site)
    proc, base = proxies(site, secret, printer.url, tmp_path)
    wait_until(lambda: on_bus(base), message="the proxy on the bus")
    first = print_image(site, config_id, "VMS-BEFORE-KILL")
    assert printer.wait_for(1, timeout=10)
    wait_until(lambda: job_state(site, first) == "done", message="the first job done")

    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    waiting = print_image(site, config_id, "VMS-WHILE-DOWN")
    # As if the first job's done report had been lost: Odoo offers it again too.
    with site.env() as env:
        env["vms.hw.job"].browse(first).write({"state": "sent"})
    time.sleep(1.0)
    assert job_state(site, waiting) == "waiting"
    assert printer.printed == 1

    _, base = proxies(site, secret, printer.url, tmp_path)
    assert printer.wait_for(2, timeout=15), "the waiting job was not printed after the restart"
    wait_until(lambda: job_state(site, waiting) == "done", message="the waiting job done")
    wait_until(lambda: job_state(site, first) == "done", message="the old job reported again")
    time.sleep(1.0)
    assert printed_codes(printer) == ["VMS-BEFORE-KILL", "VMS-WHILE-DOWN"]


def test_odoo_restarted_while_the_proxy_runs_the_link_comes_back(site, printer, proxies, tmp_path):
    config_id, secret = make_till(site)
    _, base = proxies(site, secret, printer.url, tmp_path)
    wait_until(lambda: on_bus(base), message="the proxy on the bus")
    site.stop()
    wait_until(lambda: proxy_summary(base)["odoo"]["bus"] == "disconnected", message="link down")
    job_id = print_image(site, config_id, "VMS-AFTER-RESTART")  # Odoo's code, server down
    site.start()
    wait_until(lambda: on_bus(base, connections=2), timeout=30, message="the link back by itself")
    assert printer.wait_for(1, timeout=10), "the job waiting in Odoo was not delivered"
    assert printed_codes(printer) == ["VMS-AFTER-RESTART"]
    wait_until(lambda: job_state(site, job_id) == "done", message="the job done")


def test_a_proxy_with_another_secret_never_sees_the_job(site, printer, proxies, tmp_path):
    config_id, secret = make_till(site)
    _, other_secret = make_till(site)
    with SimulatedPrinter(port=0) as other_printer:
        _, base = proxies(site, secret, printer.url, tmp_path / "one")
        _, other = proxies(site, other_secret, other_printer.url, tmp_path / "two")
        # A proxy that knows only the till's token is refused at once.
        token = site.read("pos.config", config_id, ["vms_proxy_token"])["vms_proxy_token"]
        status, _, _ = http(
            "POST", f"{site.url}/vms_hw_proxy/status", {"devices": {}},
            headers={"X-VMS-Proxy-Secret": token, "Content-Type": "application/json"},
        )  # fmt: skip
        assert status == 403
        wait_until(lambda: on_bus(base) and on_bus(other), message="both proxies on the bus")
        job_id = print_image(site, config_id, "VMS-ONLY-MINE")
        assert printer.wait_for(1, timeout=10)
        wait_until(lambda: job_state(site, job_id) == "done", message="the job done")
        time.sleep(1.0)
        assert other_printer.printed == 0
        assert proxy_summary(other)["odoo"]["jobs_printed"] == 0
        # Nor can it fetch the image by guessing the id.
        status, _, _ = http(
            "POST", f"{site.url}/vms_hw_proxy/job/payload", {"job_id": job_id},
            headers={"X-VMS-Proxy-Secret": other_secret, "Content-Type": "application/json"},
        )  # fmt: skip
        assert status == 404


def _back_office_listener(site):
    """A back-office user's websocket, subscribed as the web client is."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{site.http_port}/websocket?version=19.0-2",
        cookie=site.back_office_session(),
        origin=site.url,
        timeout=5,
    )
    ws.send(json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": 0}}))
    return ws


def _wait_for_notice(ws, config_id, what, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ws.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            text = ws.recv()
        except websocket.WebSocketTimeoutException:
            break
        for notification in json.loads(text):
            message = notification["message"]
            payload = message["payload"]
            if (
                message["type"] == "vms_hw_proxy/status"
                and config_id in payload.get("config_ids", [])
                and payload.get("what") == what
            ):
                return time.monotonic()
    return None


def test_status_and_a_scan_reach_the_back_office_within_a_second(site, proxies, tmp_path):
    config_id, secret = make_till(site, report_scans=True)
    printer = SimulatedPrinter(port=0).start()
    try:
        _, base = proxies(site, secret, printer.url, tmp_path, "--simulate", "--token", "tk")
        wait_until(
            lambda: site.read("pos.config", config_id, ["vms_proxy_on_bus"])["vms_proxy_on_bus"],
            message="the proxy's first reports",
        )
        ws = _back_office_listener(site)
        try:
            time.sleep(0.5)  # subscribed
            # A scan on the proxy's scanner.
            started = time.monotonic()
            status, _, _ = http(
                "POST", f"{base}/vms/sim/scan?token=tk", {"barcode": "4006381333931"}
            )
            assert status == 200
            seen = _wait_for_notice(ws, config_id, "scan", timeout=5)
            assert seen is not None and seen - started < 1.0, seen and seen - started
            row = site.read("pos.config", config_id, ["vms_proxy_last_scan"])
            assert row["vms_proxy_last_scan"] == "4006381333931"

            # The printer switched off: from the proxy noticing to the back office.
            printer.stop()
            noticed = wait_until(
                lambda: (
                    proxy_summary(base, "tk")["devices"]["printer"]["status"] != "connected"
                    and time.monotonic()
                ),
                timeout=20,
                interval=0.01,
                message="the proxy noticing the printer gone",
            )
            seen = _wait_for_notice(ws, config_id, "status", timeout=5)
            assert seen is not None and seen - noticed < 1.0, seen and seen - noticed
            row = site.read("pos.config", config_id, ["vms_proxy_status", "vms_proxy_devices"])
            assert row["vms_proxy_devices"]["printer"]["status"] == "disconnected"
        finally:
            ws.close()
    finally:
        printer.stop()
