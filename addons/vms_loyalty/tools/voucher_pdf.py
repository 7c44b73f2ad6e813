"""Voucher PDFs: each voucher's data drawn by reportlab over a background PDF.

Pure rendering, no ORM: :func:`render` takes the background, the element
positions and one dict per voucher, and returns one PDF with one page (or one
set of background pages) per voucher. Barcodes come from python-barcode and QR
codes from qrcode, embedded as images so that they can be read back.
"""

import io
import os

import barcode
import qrcode
from barcode.writer import ImageWriter
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from odoo.tools.pdf import PdfReader, PdfWriter

# Holders' names come in every script a retailer's customers write: a TrueType
# font with wide Unicode coverage, embedded. DejaVu Sans is a system package
# (fonts-dejavu-core); reportlab's own Vera is the fallback.
FONT_NAME = "VmsVoucherSans"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
DEFAULT_PAGE_SIZE = (148 * mm, 105 * mm)  # A6 landscape


def _font():
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    import reportlab

    fallback = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")
    for path in (*FONT_CANDIDATES, fallback):
        if os.path.exists(path):
            pdfmetrics.registerFont(TTFont(FONT_NAME, path))
            return FONT_NAME
    return "Helvetica"


def qr_image(payload):
    """A QR code as a PIL image, error correction M, a quiet zone of 4 modules."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(payload)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image()


def barcode_image(payload, symbology):
    """A linear barcode as a PIL image (EAN-13 or Code 128)."""
    name = "ean13" if symbology == "ean13" else "code128"
    if name == "ean13":
        payload = payload[:12]  # python-barcode adds the check digit itself
    writer = ImageWriter()
    symbol = barcode.get(name, payload, writer=writer)
    return symbol.render(
        {"module_height": 12.0, "quiet_zone": 4.0, "write_text": True, "font_size": 8}
    )


def _draw_text(pdf, element, text):
    if not text:
        return
    pdf.setFont(_font(), element["size"] or 10)
    pdf.drawString(element["x"] * mm, element["y"] * mm, text)


def _draw_overlay(pdf, elements, voucher, page_number):
    for element in elements:
        if element["page"] != page_number:
            continue
        kind = element["element"]
        x, y = element["x"] * mm, element["y"] * mm
        if kind == "qr" and voucher.get("qr_payload"):
            side = (element["size"] or 25) * mm
            pdf.drawImage(ImageReader(qr_image(voucher["qr_payload"])), x, y, side, side)
        elif kind == "barcode" and voucher.get("barcode_payload"):
            width = (element["size"] or 50) * mm
            height = (element.get("height") or 15) * mm
            image = barcode_image(voucher["barcode_payload"], voucher.get("barcode_format"))
            pdf.drawImage(ImageReader(image), x, y, width, height)
        else:
            _draw_text(pdf, element, voucher.get(kind))


def render(background, elements, vouchers, page_size=DEFAULT_PAGE_SIZE):
    """One PDF for all ``vouchers``.

    :param background: bytes of the background PDF, or None for blank pages
    :param elements: dicts with ``element`` (code, barcode, qr, nominal,
        validity, holder, campaign), ``page`` (1-based), ``x``/``y`` (mm from
        the bottom-left corner), ``size`` (points for text, mm for codes) and
        ``height`` (mm, barcodes)
    :param vouchers: dicts with the texts per element name plus
        ``barcode_payload``, ``barcode_format`` and ``qr_payload``
    """
    writer = PdfWriter()
    if background:
        template = PdfReader(io.BytesIO(background), strict=False)
        sizes = [
            (float(page.mediabox.width), float(page.mediabox.height)) for page in template.pages
        ]
    else:
        sizes = [page_size]
    for voucher in vouchers:
        overlay_stream = io.BytesIO()
        pdf = canvas.Canvas(overlay_stream, pagesize=sizes[0])
        pdf.setTitle("Vouchers")
        for number, size in enumerate(sizes, start=1):
            pdf.setPageSize(size)
            _draw_overlay(pdf, elements, voucher, number)
            pdf.showPage()
        pdf.save()
        overlay = PdfReader(io.BytesIO(overlay_stream.getvalue()), strict=False)
        if background:
            # A fresh reader per voucher: merging changes the page objects.
            pages = PdfReader(io.BytesIO(background), strict=False).pages
            for page, overlay_page in zip(pages, overlay.pages, strict=True):
                page.merge_page(overlay_page)
                writer.add_page(page)
        else:
            for page in overlay.pages:
                writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
