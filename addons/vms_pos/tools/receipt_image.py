"""Pictures for a receipt printer: lines of text and an optional QR code,
black on white, as wide as the paper in dots (the proxy prints them dot for
dot, see vms_hw_proxy's ``pos.config._vms_hw_print_image``)."""

import io

import qrcode
from PIL import Image, ImageDraw

LINE_HEIGHT = 24
MARGIN = 16


def receipt_png(lines, width, qr_data=None):
    """``lines`` (strings) over the QR code of ``qr_data``, if any, which takes
    the paper's whole width: shrunk, the QR of a signed voucher (a few hundred
    characters) no longer scans."""
    code_image = None
    if qr_data:
        qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(qr_data)
        qr.make(fit=True)
        qr.box_size = max(1, width // (qr.modules_count + 2 * qr.border))
        code_image = qr.make_image().convert("L")
    top = MARGIN + LINE_HEIGHT * len(lines)
    height = top + (code_image.height if code_image else 0) + MARGIN
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for index, text in enumerate(lines):
        # Odoo formats amounts with no-break spaces, which Pillow's built-in
        # font has no glyph for.
        printable = text.replace("\N{NO-BREAK SPACE}", " ")
        draw.text((MARGIN, MARGIN // 2 + index * LINE_HEIGHT), printable, fill=0)
    if code_image:
        image.paste(code_image, ((width - code_image.width) // 2, top))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
