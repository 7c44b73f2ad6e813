"""Receipts and the cash drawer end to end: POS request -> proxy -> simulated printer."""

import time

import pytest

from vms_hw_proxy_service.receipt import decode_receipt, render_cashbox

from .helpers import qr_texts, receipt_b64, receipt_image, result, rpc

# What python-escpos sends for cashdraw(2): ESC p, pin 0 (connector pin 2), 50 x 2 ms on/off.
DRAWER_KICK = b"\x1bp\x00\x32\x32"


def print_receipt(base, qr_text, **extra):
    data = {"action": "print_receipt", "receipt": receipt_b64(qr_text), **extra}
    return result(base, "default_printer_action", {"data": data})


def test_receipt_qr_survives_the_round_trip(proxy, sim_printer):
    assert print_receipt(proxy.base, "VMS-TEST-123") is True
    assert sim_printer.wait_for(1, timeout=10)
    image = sim_printer.receipts[0]
    assert image.width == 512
    assert image.height >= 800
    assert qr_texts(image) == ["VMS-TEST-123"]
    raw = bytes(sim_printer.raw_bytes)
    assert raw.startswith(b"\x1b@")  # ESC @ init
    assert b"\x1dv0\x00" in raw  # GS v 0 raster slices
    assert b"\x1dV\x00" in raw  # GS V full cut


def test_wide_receipt_is_scaled_to_the_printer_width(proxy, sim_printer):
    wide = receipt_image("VMS-WIDE-1", width=1024, height=1200)
    from .helpers import jpeg_base64

    data = {"action": "print_receipt", "receipt": jpeg_base64(wide)}
    assert result(proxy.base, "default_printer_action", {"data": data}) is True
    assert sim_printer.wait_for(1)
    assert sim_printer.receipts[0].width == 512
    assert sim_printer.receipts[0].height == 600


def test_cashbox_kicks_the_drawer(proxy, sim_printer):
    assert render_cashbox(512) == DRAWER_KICK
    assert result(proxy.base, "default_printer_action", {"data": {"action": "cashbox"}}) is True
    assert sim_printer.wait_for_kicks(1)
    assert sim_printer.drawer_kicks == [DRAWER_KICK]
    assert DRAWER_KICK in bytes(sim_printer.raw_bytes)
    assert sim_printer.printed == 0


def test_pos_retry_of_the_same_receipt_prints_once(proxy, sim_printer):
    receipt = receipt_b64("VMS-RETRY-1")
    params = {"data": {"action": "print_receipt", "receipt": receipt}}
    for _ in range(3):
        assert result(proxy.base, "default_printer_action", params) is True
    assert sim_printer.wait_for(1)
    time.sleep(0.5)
    assert sim_printer.printed == 1


def test_explicit_action_id_dedupes(proxy, sim_printer):
    for qr in ("VMS-ID-A", "VMS-ID-A-rerendered"):
        assert print_receipt(proxy.base, qr, action_unique_id="order-0001-receipt") is True
    assert sim_printer.wait_for(1)
    time.sleep(0.5)
    assert sim_printer.printed == 1
    assert qr_texts(sim_printer.receipts[0]) == ["VMS-ID-A"]


def test_two_different_receipts_print_twice(proxy, sim_printer):
    assert print_receipt(proxy.base, "VMS-ONE") is True
    assert print_receipt(proxy.base, "VMS-TWO") is True
    assert sim_printer.wait_for(2)
    assert [qr_texts(image) for image in sim_printer.receipts] == [["VMS-ONE"], ["VMS-TWO"]]


def test_printer_restart_loses_and_duplicates_nothing(proxy, sim_printer):
    assert print_receipt(proxy.base, "VMS-BEFORE") is True
    assert sim_printer.wait_for(1)
    sim_printer.stop()  # printer switched off
    codes = [f"VMS-QUEUED-{n}" for n in range(5)]
    for code in codes:
        assert print_receipt(proxy.base, code) is True
    deadline = time.monotonic() + 5
    while result(proxy.base, "status_json")["printer"]["status"] != "disconnected":
        assert time.monotonic() < deadline, "printer never reported disconnected"
        time.sleep(0.1)
    assert sim_printer.printed == 1
    sim_printer.start()  # back on, same port
    assert sim_printer.wait_for(6, timeout=15)
    time.sleep(0.5)
    printed = [qr_texts(image) for image in sim_printer.receipts]
    assert printed == [["VMS-BEFORE"]] + [[code] for code in codes]
    assert result(proxy.base, "status_json")["printer"]["status"] == "connected"


def test_full_queue_refuses_with_false(start_proxy):
    from .helpers import free_port

    app = start_proxy("--printer", f"tcp://127.0.0.1:{free_port()}", "--queue-size", "2")
    assert print_receipt(app.url, "VMS-Q-1") is True
    assert print_receipt(app.url, "VMS-Q-2") is True
    assert print_receipt(app.url, "VMS-Q-3") is False
    # the refused receipt is not remembered as printed: a retry is judged afresh
    assert print_receipt(app.url, "VMS-Q-3") is False
    messages = result(app.url, "status_json")["printer"]["messages"]
    assert any("2 job(s) waiting" in message for message in messages)


def test_unprintable_receipt_is_not_remembered(proxy, sim_printer):
    status, _ = rpc(
        proxy.base,
        "default_printer_action",
        {"data": {"action": "print_receipt", "receipt": "bm90IGFuIGltYWdl"}},
    )
    assert status == 422
    assert sim_printer.printed == 0


@pytest.mark.parametrize("mode", ["RGBA", "P", "L", "1"])
def test_decode_receipt_makes_one_bit_images(mode):
    import base64
    import io

    image = receipt_image("VMS-MODE").convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    decoded = decode_receipt(base64.b64encode(buffer.getvalue()).decode(), 384)
    assert decoded.mode == "1"
    assert decoded.width == 384
    assert qr_texts(decoded) == ["VMS-MODE"]


def test_printer_gone_longer_than_a_job_may_wait_refuses(start_proxy):
    from .helpers import free_port

    app = start_proxy("--printer", f"tcp://127.0.0.1:{free_port()}", "--job-max-age", "1")
    assert print_receipt(app.url, "VMS-EARLY") is True  # may still come back
    time.sleep(1.3)
    assert print_receipt(app.url, "VMS-LATE") is False
    assert result(app.url, "default_printer_action", {"data": {"action": "cashbox"}}) is False


def test_simulate_mode_saves_receipts_as_png(start_proxy, tmp_path):
    from PIL import Image

    app = start_proxy("--simulate", "--receipts-dir", str(tmp_path / "receipts"))
    assert print_receipt(app.url, "VMS-PNG-7") is True
    assert app.sim_printer.wait_for(1)
    deadline = time.monotonic() + 5
    while not list((tmp_path / "receipts").glob("*.png")):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    (png,) = (tmp_path / "receipts").glob("receipt-*.png")
    with Image.open(png) as image:
        assert qr_texts(image) == ["VMS-PNG-7"]


def test_printer_killed_while_printing(proxy, sim_printer):
    """Switched off in the middle of a run: every receipt prints, in order; at most the
    one being sent at that moment prints twice, never one that had already completed."""

    def printed():
        return [qr_texts(image)[0] for image in sim_printer.receipts]

    codes = [f"VMS-FLOW-{n}" for n in range(5)]
    for code in codes:
        assert print_receipt(proxy.base, code) is True
    assert sim_printer.wait_for(1, timeout=10)
    sim_printer.stop()
    completed = printed()
    time.sleep(0.5)
    sim_printer.start()
    deadline = time.monotonic() + 15
    while not set(codes) <= set(printed()):
        assert time.monotonic() < deadline, printed()
        time.sleep(0.1)
    time.sleep(0.5)
    final = printed()
    # Receipts completed before the switch-off are not printed again, except possibly
    # the last one, whose confirmation the switch-off may have cut short.
    assert not set(final[len(completed) :]) & set(completed[:-1])
    assert list(dict.fromkeys(final)) == codes
    assert len(final) - len(codes) <= 1
