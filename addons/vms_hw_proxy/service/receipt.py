"""Receipt rendering: an image in, the ESC/POS bytes of a receipt out.

The POS sends each receipt as a base64 JPEG; a job from Odoo brings a PNG or
JPEG (a PDF page is rasterised by Odoo). Either is decoded and made 1-bit at
the printer's width in the thread that received it, so bad input is refused
at once with a clear error, then turned into ESC/POS bytes by python-escpos
(raster slices, feed and cut) for the printer's driver to queue.
"""

import base64
import binascii
import copy
import io

from PIL import Image, UnidentifiedImageError

# Above this many pixels a "receipt" is not a receipt (and could exhaust memory).
MAX_RECEIPT_PIXELS = 4096 * 20000
# Greyscale level below which a pixel prints black. A hard threshold keeps QR
# modules and barcodes crisp, where dithering would speckle their edges.
THRESHOLD = 160
THRESHOLD_TABLE = [0 if level < THRESHOLD else 255 for level in range(256)]
# GS v 0 slice height: small enough for every printer's raster buffer.
FRAGMENT_HEIGHT = 256
# Cash drawer pulse on connector pin 2, the pin drawers are wired to.
DRAWER_PIN = 2


class ReceiptError(ValueError):
    """The receipt in a request cannot be printed; the message says why."""


def decode_receipt(data, width):
    """Decode a base64 image into a 1-bit PIL image at most ``width`` dots wide."""
    if not isinstance(data, str):
        raise ReceiptError(f"receipt must be a base64 string, not {type(data).__name__}")
    if data.startswith("data:"):
        # Tolerated although the POS sends the bare base64.
        data = data.partition(",")[2]
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ReceiptError("receipt is not valid base64") from None
    return decode_image(raw, width)


def decode_image(raw, width):
    """Decode JPEG or PNG bytes into a 1-bit PIL image at most ``width`` dots wide."""
    if not raw:
        raise ReceiptError("receipt is empty")
    try:
        image = Image.open(io.BytesIO(raw))
        if image.width * image.height > MAX_RECEIPT_PIXELS:
            raise ReceiptError(f"receipt image too large ({image.width}x{image.height})")
        if image.format == "JPEG":
            # Let the JPEG decoder produce greyscale (and downscale by 2/4/8 when the
            # receipt is that much wider than the paper): a third of the memory.
            image.draft("L", (width, image.height * width // max(image.width, 1)))
        image.load()
    except ReceiptError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ReceiptError("receipt is not a readable image (JPEG or PNG expected)") from None
    return to_printable(image, width)


def to_printable(image, width):
    """Greyscale, shrink to the paper width keeping the aspect ratio, threshold to 1 bit."""
    if image.mode in ("RGBA", "LA", "P"):
        # Transparent areas are paper, not ink.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    grey = image.convert("L")
    if grey.width > width:
        height = max(1, round(grey.height * width / grey.width))
        grey = grey.resize((width, height), Image.LANCZOS)
    return grey.point(THRESHOLD_TABLE, "1")


def _renderer(width):
    from escpos.printer import Dummy

    dummy = Dummy()
    # The default profile does not know the paper width; python-escpos prints a
    # warning to stdout on every image without it. Copy so printers never share it.
    dummy.profile.profile_data = copy.deepcopy(dummy.profile.profile_data)
    dummy.profile.profile_data["media"]["width"]["pixels"] = width
    return dummy


def render_receipt(image, width):
    """ESC/POS bytes of one receipt: init, raster slices (GS v 0), feed and cut."""
    dummy = _renderer(width)
    dummy.hw("INIT")
    # Slice before handing over: python-escpos converts whatever it gets to RGBA
    # first, which for a whole long receipt means megabytes of temporaries.
    for top in range(0, image.height, FRAGMENT_HEIGHT):
        fragment = image.crop((0, top, image.width, min(top + FRAGMENT_HEIGHT, image.height)))
        dummy.image(fragment, impl="bitImageRaster", fragment_height=FRAGMENT_HEIGHT)
    dummy.cut()
    return dummy.output


def render_cashbox(width):
    """ESC/POS bytes that kick the cash drawer (ESC p)."""
    dummy = _renderer(width)
    dummy.cashdraw(DRAWER_PIN)
    return dummy.output
