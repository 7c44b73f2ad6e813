"""The simulated printer's ESC/POS parser, fed the way a network delivers bytes."""

from escpos.printer import Dummy

from vms_hw_proxy_service.receipt import render_receipt, to_printable
from vms_hw_proxy_service.sim.printer import EscPosParser, raster_to_image

from .helpers import qr_texts, receipt_image


def test_parser_rebuilds_a_receipt_from_byte_dribbles():
    image = to_printable(receipt_image("VMS-PARSE-1"), 512)
    data = render_receipt(image, 512)
    parser = EscPosParser()
    events = []
    for start in range(0, len(data), 777):  # commands split across reads
        events += parser.feed(data[start : start + 777])
    kinds = [event[0] for event in events]
    assert kinds[0] == "init" and kinds[-1] == "cut"
    slices = [event[1:] for event in events if event[0] == "raster"]
    assert len(slices) == -(-image.height // 256)  # one GS v 0 per 256 rows
    rebuilt = raster_to_image(slices)
    assert rebuilt.size == image.size
    assert list(rebuilt.getdata()) == list(image.getdata())
    assert qr_texts(rebuilt) == ["VMS-PARSE-1"]


def test_parser_knows_text_and_common_commands():
    printer = Dummy()
    printer.set(align="center", bold=True)
    printer.text("Voucher VMS-42\n")
    printer.cashdraw(5)
    printer.cut(mode="PART")
    events = EscPosParser().feed(printer.output)
    assert ("text", "Voucher VMS-42\n") in events or any(
        event[0] == "text" and "VMS-42" in event[1] for event in events
    )
    assert ("drawer", b"\x1bp\x01\x32\x32") in events
    assert events[-1] == ("cut",)
