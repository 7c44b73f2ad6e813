"""Receipt rendering and one print worker per printer.

The POS sends each receipt as a base64 JPEG. It is decoded and made 1-bit in
the HTTP thread (so bad input is refused at once with a clear error), turned
into ESC/POS bytes by python-escpos, and queued to the printer's worker. The
worker writes jobs in order, one at a time; a job leaves the queue only after
all its bytes were handed to the device. When the printer goes away the job
stays at the head of the queue and is retried with exponential backoff until
it prints or grows older than ``max_age``.
"""

import base64
import binascii
import collections
import copy
import hashlib
import io
import logging
import threading
import time
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from .printers import PrinterAbsent, PrinterConnection, PrinterFailure, describe

_logger = logging.getLogger(__name__)

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


@dataclass
class PrintJob:
    kind: str  # receipt | cashbox
    data: bytes
    key: str = ""
    created: float = field(default_factory=time.monotonic)
    attempts: int = 0


class PrinterWorker:
    """Owns one printer: its connection, its bounded job queue and its status."""

    def __init__(
        self,
        spec,
        *,
        width=512,
        queue_size=32,
        max_age=60.0,
        probe_interval=5.0,
        backoff=(0.1, 2.0),
        timeout=10.0,
    ):
        self.spec = spec
        self.name = spec.name
        self.width = width
        self.queue_size = queue_size
        self.max_age = max_age
        self.probe_interval = probe_interval
        self.backoff_min, self.backoff_max = backoff
        self.connection = PrinterConnection(spec, timeout=timeout)
        self._jobs = collections.deque()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread = None
        self._state = ("disconnected", "not tried yet")
        self._down_since = time.monotonic()  # None while connected
        self.printed = 0
        self.expired = 0

    # -- called from HTTP threads ------------------------------------------------

    @property
    def usable(self):
        """Worth queueing for: connected, or gone for less time than a job may wait.

        A printer in error (e.g. no permission) or away for longer than
        ``max_age`` would only let the job expire unseen; refusing it makes the
        POS tell the cashier at once.
        """
        state, _ = self._state
        if state == "error":
            return False
        down_since = self._down_since
        return down_since is None or time.monotonic() - down_since < self.max_age

    def submit(self, job):
        """Queue a job; False when the queue is full or the printer unusable."""
        if not self.usable:
            _logger.warning("%s: %s, %s refused", describe(self.spec), self._state[0], job.kind)
            return False
        with self._cond:
            if len(self._jobs) >= self.queue_size:
                _logger.warning("%s: queue full, %s refused", describe(self.spec), job.kind)
                return False
            self._jobs.append(job)
            self._cond.notify()
        return True

    @property
    def pending(self):
        with self._cond:
            return len(self._jobs)

    def status(self):
        """``{"status": ..., "messages": ...}`` without touching the device."""
        state, message = self._state
        messages = [f"{describe(self.spec)}: {message}"] if message else []
        pending = self.pending
        if pending:
            messages.append(f"{pending} job(s) waiting")
        return {"status": state, "messages": messages or ""}

    # -- the worker thread -------------------------------------------------------

    def start(self):
        self._thread = threading.Thread(target=self._run, name=f"printer-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout=5.0):
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread:
            self._thread.join(timeout)
        self.connection.close()

    def _set_state(self, state, message=""):
        if (state, message) != self._state:
            log = _logger.info if state == "connected" else _logger.warning
            log("%s: %s%s", describe(self.spec), state, f" ({message})" if message else "")
        if state == "connected":
            self._down_since = None
        elif self._down_since is None:
            self._down_since = time.monotonic()
        self._state = (state, message)

    def _next_job(self, timeout):
        with self._cond:
            if not self._jobs:
                self._cond.wait(timeout)
            return self._jobs[0] if self._jobs else None

    def _finish(self, job):
        with self._cond:
            if self._jobs and self._jobs[0] is job:
                self._jobs.popleft()

    def _probe(self):
        """Keep the status true while idle: reopen a lost printer, notice a dead one."""
        if self.connection.is_open and not self.connection.alive():
            self.connection.close()
        try:
            self.connection.open()
        except PrinterAbsent as exc:
            self._set_state("disconnected", str(exc))
        except PrinterFailure as exc:
            self._set_state("error", str(exc))
        else:
            self._set_state("connected")

    def _run(self):
        delay = self.backoff_min
        self._probe()
        while not self._stopping.is_set():
            job = self._next_job(self.probe_interval)
            if self._stopping.is_set():
                break
            if job is None:
                self._probe()
                continue
            if time.monotonic() - job.created > self.max_age:
                self._finish(job)
                self.expired += 1
                _logger.error(
                    "%s: %s dropped after %.0f s and %d attempt(s)",
                    describe(self.spec),
                    job.kind,
                    self.max_age,
                    job.attempts,
                )
                continue
            job.attempts += 1
            try:
                if self.connection.is_open and not self.connection.alive():
                    self.connection.close()
                self.connection.write(job.data)
            except (PrinterAbsent, PrinterFailure) as exc:
                self.connection.close()
                state = "disconnected" if isinstance(exc, PrinterAbsent) else "error"
                self._set_state(state, str(exc))
                self._stopping.wait(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            self._finish(job)
            self.printed += 1
            delay = self.backoff_min
            self._set_state("connected")


class PrintService:
    """The printers of this proxy: receipts go to the first, the drawer to ``drawer``."""

    def __init__(self, workers, *, drawer=None, dedupe_window=10.0):
        self.workers = list(workers)
        self.dedupe_window = dedupe_window
        self._recent = {}
        self._lock = threading.Lock()
        self.drawer = self._pick_drawer(drawer)

    def _pick_drawer(self, drawer):
        if not self.workers:
            return None
        if drawer in (None, ""):
            return self.workers[0]
        if str(drawer).isdigit():
            index = int(drawer)
            if index >= len(self.workers):
                raise ValueError(f"no printer number {index} (there are {len(self.workers)})")
            return self.workers[index]
        for worker in self.workers:
            if worker.name == drawer:
                return worker
        names = ", ".join(worker.name for worker in self.workers)
        raise ValueError(f"no printer named {drawer!r} (printers: {names})")

    @property
    def default(self):
        return self.workers[0] if self.workers else None

    def start(self):
        for worker in self.workers:
            worker.start()

    def stop(self):
        for worker in self.workers:
            worker.stop()

    def _claim(self, key):
        """True if ``key`` was not seen within the window (and remember it)."""
        now = time.monotonic()
        with self._lock:
            for old, seen in list(self._recent.items()):
                if now - seen > self.dedupe_window:
                    del self._recent[old]
            if key in self._recent:
                return False
            self._recent[key] = now
            return True

    def _release(self, key):
        with self._lock:
            self._recent.pop(key, None)

    def print_receipt(self, receipt, unique_id=None):
        """Queue a receipt. True when accepted (or a retry of one just accepted).

        Raises :class:`ReceiptError` for a receipt that can never print.
        """
        worker = self.default
        if worker is None:
            return False
        if not isinstance(receipt, str):
            raise ReceiptError(f"receipt must be a base64 string, not {type(receipt).__name__}")
        key = f"id:{unique_id}" if unique_id else hashlib.sha256(receipt.encode()).hexdigest()
        if self.dedupe_window > 0 and not self._claim(key):
            _logger.info(
                "%s: same receipt again within %.0f s, not reprinted",
                worker.name,
                self.dedupe_window,
            )
            return True
        try:
            image = decode_receipt(receipt, worker.width)
            accepted = worker.submit(
                PrintJob("receipt", render_receipt(image, worker.width), key=key)
            )
        except BaseException:
            self._release(key)
            raise
        if not accepted:
            self._release(key)
        return accepted

    def open_cashbox(self, unique_id=None):
        worker = self.drawer
        if worker is None:
            return False
        key = f"id:{unique_id}" if unique_id else ""
        if key and self.dedupe_window > 0 and not self._claim(key):
            return True
        accepted = worker.submit(PrintJob("cashbox", render_cashbox(worker.width), key=key))
        if not accepted and key:
            self._release(key)
        return accepted

    def status(self):
        """Driver entries for status_json: ``printer`` and ``cashdrawer``."""
        if not self.workers:
            missing = {"status": "disconnected", "messages": ["no printer configured"]}
            return {"printer": dict(missing), "cashdrawer": dict(missing)}
        result = {"printer": self.default.status(), "cashdrawer": self.drawer.status()}
        for worker in self.workers[1:]:
            result[f"printer_{worker.name}"] = worker.status()
        return result
