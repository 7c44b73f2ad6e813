"""One page of a PDF as a PNG exactly as wide as a receipt printer, with poppler.

The page is rasterised on the server by ``pdftoppm`` (Debian's
``poppler-utils``), scaled so its width is the printer's width in dots: the
proxy then prints it dot for dot, and QR codes and barcodes stay sharp.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_PAGE_HEIGHT = 20000  # dots; a longer "page" is not a receipt
TIMEOUT = 30  # seconds


class RasterError(ValueError):
    """The PDF page cannot be rasterised; the message says why."""


def pdftoppm_available():
    return shutil.which("pdftoppm") is not None


def rasterise_pdf_page(pdf_bytes, page, width):
    """PNG bytes of page ``page`` (0 = the first) of ``pdf_bytes``, ``width`` dots wide."""
    if not isinstance(pdf_bytes, bytes) or not pdf_bytes:
        raise RasterError("the PDF is empty")
    if len(pdf_bytes) > MAX_PDF_BYTES:
        raise RasterError(f"the PDF is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB")
    if b"%PDF-" not in pdf_bytes[:1024]:
        raise RasterError("this is not a PDF")
    if isinstance(page, bool) or not isinstance(page, int) or not 0 <= page < 10000:
        raise RasterError("page must be a page number from 0")
    executable = shutil.which("pdftoppm")
    if executable is None:
        raise RasterError("pdftoppm is not installed on the Odoo server (Debian: poppler-utils)")
    number = str(page + 1)
    with tempfile.TemporaryDirectory(prefix="vms-hw-pdf-") as folder:
        target = Path(folder) / "page"
        try:
            done = subprocess.run(
                [executable, "-f", number, "-l", number, "-scale-to-x", str(width),
                 "-scale-to-y", "-1", "-gray", "-png", "-singlefile", "-", str(target)],
                input=pdf_bytes,
                capture_output=True,
                timeout=TIMEOUT,
                check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise RasterError(f"the PDF took longer than {TIMEOUT} s to rasterise") from None
        output = target.with_suffix(".png")
        if done.returncode != 0 or not output.exists():
            detail = done.stderr.decode(errors="replace").strip().splitlines()
            if "Wrong page range" in "".join(detail):
                raise RasterError(f"the PDF has no page {page}")
            raise RasterError(f"the PDF cannot be read ({(detail or ['no detail'])[-1][:200]})")
        return output.read_bytes()
