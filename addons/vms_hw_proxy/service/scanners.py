"""Barcode scanners and the queue the POS long-polls.

Every scanner pushes what it reads into one :class:`ScanQueue`. The POS asks
``/hw_proxy/scanner`` for the next code; a code is handed to exactly one
waiting request, and a code nobody asked for within ``max_age`` seconds is
dropped, as Odoo's own IoT box does, so that a scan made while the till was
busy elsewhere does not pop up minutes later.
"""

import collections
import contextlib
import importlib.util
import logging
import select
import threading
import time

_logger = logging.getLogger(__name__)


class ScanQueue:
    """Scans waiting for a poller, each delivered once."""

    # How often a waiting poller checks that its client is still there.
    CHECK_INTERVAL = 1.0

    def __init__(self, max_age=5.0, maxlen=256):
        self.max_age = max_age
        self._scans = collections.deque(maxlen=maxlen)
        self._cond = threading.Condition()
        self.pushed = 0
        self.delivered = 0

    def push(self, code):
        code = code.strip()
        if not code:
            return
        with self._cond:
            self._scans.append((time.monotonic(), code))
            self.pushed += 1
            self._cond.notify()

    def _drop_stale(self, now):
        while self._scans and now - self._scans[0][0] > self.max_age:
            _, code = self._scans.popleft()
            _logger.info("scan %r dropped: nobody asked for it within %.0f s", code, self.max_age)

    def wait(self, timeout, gone=None):
        """The next fresh scan, or "" when none came within ``timeout`` seconds.

        ``gone`` tells whether the asking client hung up; it is checked before a
        scan is taken, so that a scan is not handed to a till that left.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                self._drop_stale(now)
                if self._scans:
                    if gone is not None and gone():
                        self._cond.notify()  # hand the wake-up on to a live poller
                        return ""
                    self.delivered += 1
                    code = self._scans.popleft()[1]
                    if self._scans:
                        # More scans waiting: let another poller take the next one.
                        self._cond.notify()
                    return code
                if now >= deadline or (gone is not None and gone()):
                    return ""
                self._cond.wait(min(deadline - now, self.CHECK_INTERVAL))


# -- keyboard-wedge decoding -------------------------------------------------------

# Linux input key codes (linux/input-event-codes.h) -> (plain, shift) on a US keyboard.
_US = {
    2: ("1", "!"),
    3: ("2", "@"),
    4: ("3", "#"),
    5: ("4", "$"),
    6: ("5", "%"),
    7: ("6", "^"),
    8: ("7", "&"),
    9: ("8", "*"),
    10: ("9", "("),
    11: ("0", ")"),
    12: ("-", "_"),
    13: ("=", "+"),
    26: ("[", "{"),
    27: ("]", "}"),
    39: (";", ":"),
    40: ("'", '"'),
    41: ("`", "~"),
    43: ("\\", "|"),
    51: (",", "<"),
    52: (".", ">"),
    53: ("/", "?"),
    57: (" ", " "),
    86: ("\\", "|"),
    # keypad
    55: ("*", "*"),
    71: ("7", "7"),
    72: ("8", "8"),
    73: ("9", "9"),
    74: ("-", "-"),
    75: ("4", "4"),
    76: ("5", "5"),
    77: ("6", "6"),
    78: ("+", "+"),
    79: ("1", "1"),
    80: ("2", "2"),
    81: ("3", "3"),
    82: ("0", "0"),
    83: (".", "."),
    98: ("/", "/"),
}
for _codes, _letters in ((range(16, 26), "qwertyuiop"), (range(30, 39), "asdfghjkl")):
    _US.update({code: (char, char.upper()) for code, char in zip(_codes, _letters, strict=True)})
_US.update(
    {code: (char, char.upper()) for code, char in zip(range(44, 51), "zxcvbnm", strict=True)}
)

_FR = dict(_US)
_FR.update(dict(zip(range(2, 12), zip("&é\"'(-è_çà", "1234567890", strict=True), strict=True)))
_FR.update(
    {
        12: (")", "°"),
        13: ("=", "+"),
        16: ("a", "A"),
        17: ("z", "Z"),
        26: ("^", "¨"),
        27: ("$", "£"),
        30: ("q", "Q"),
        39: ("m", "M"),
        40: ("ù", "%"),
        41: ("²", "²"),
        43: ("*", "µ"),
        44: ("w", "W"),
        50: (",", "?"),
        51: (";", "."),
        52: (":", "/"),
        53: ("!", "§"),
        86: ("<", ">"),
    }
)

_DE = dict(_US)
_DE.update(dict(zip(range(2, 12), zip("1234567890", '!"§$%&/()=', strict=True), strict=True)))
_DE.update(
    {
        12: ("ß", "?"),
        13: ("´", "`"),
        21: ("z", "Z"),
        26: ("ü", "Ü"),
        27: ("+", "*"),
        39: ("ö", "Ö"),
        40: ("ä", "Ä"),
        41: ("^", "°"),
        43: ("#", "'"),
        44: ("y", "Y"),
        51: (",", ";"),
        52: (".", ":"),
        53: ("-", "_"),
        86: ("<", ">"),
    }
)

KEYBOARD_LAYOUTS = {"us": _US, "fr": _FR, "de": _DE}
# AltGr (right Alt) characters a scanner may type for GS1 or URL content.
ALTGR = {
    "us": {},
    "fr": {3: "~", 4: "#", 5: "{", 6: "[", 7: "|", 8: "`", 9: "\\", 11: "@", 12: "]", 13: "}"},
    "de": {8: "{", 9: "[", 10: "]", 11: "}", 12: "\\", 16: "@", 27: "~", 86: "|"},
}
_SHIFT = {42, 54}  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
_ALTGR = 100  # KEY_RIGHTALT
_ENTER = {28, 96}  # KEY_ENTER, KEY_KPENTER
_KEY_UP, _KEY_DOWN = 0, 1


class KeyDecoder:
    """Turns key events of a keyboard-wedge scanner into barcodes (Enter ends one)."""

    def __init__(self, layout="us"):
        if layout not in KEYBOARD_LAYOUTS:
            raise ValueError(
                f"unknown keyboard layout {layout!r} (use {', '.join(KEYBOARD_LAYOUTS)})"
            )
        self.keys = KEYBOARD_LAYOUTS[layout]
        self.altgr_keys = ALTGR[layout]
        self.shift = False
        self.altgr = False
        self.buffer = []

    def feed(self, code, value):
        """Feed one EV_KEY event; returns the barcode when Enter completes one."""
        if code in _SHIFT:
            self.shift = value != _KEY_UP
            return None
        if code == _ALTGR:
            self.altgr = value != _KEY_UP
            return None
        if value != _KEY_DOWN:
            return None  # key release or autorepeat
        if code in _ENTER:
            text, self.buffer = "".join(self.buffer), []
            return text or None
        if self.altgr:
            char = self.altgr_keys.get(code)
        else:
            pair = self.keys.get(code)
            char = pair and pair[1 if self.shift else 0]
        if char:
            self.buffer.append(char)
        return None


# -- scanner sources ---------------------------------------------------------------


class ScannerSource:
    """A scanner read by its own thread, reopened with backoff when it goes away."""

    kind = "scanner"

    def __init__(self, spec, queue, *, retry=(0.5, 10.0)):
        self.spec = spec
        self.queue = queue
        self.retry_min, self.retry_max = retry
        self._state = ("disconnected", "not opened yet")
        self._stopping = threading.Event()
        self._thread = None

    def status(self):
        state, message = self._state
        return {"status": state, "messages": [f"{self.spec.url}: {message}"] if message else ""}

    def _set_state(self, state, message=""):
        if (state, message) != self._state:
            log = _logger.info if state == "connected" else _logger.warning
            log("scanner %s: %s%s", self.spec.url, state, f" ({message})" if message else "")
        self._state = (state, message)

    def start(self):
        self._thread = threading.Thread(target=self._run, name=f"scanner-{self.kind}", daemon=True)
        self._thread.start()

    def stop(self):
        self._stopping.set()
        self.close()
        if self._thread:
            self._thread.join(3)

    def close(self):
        """Release the device so that a blocked read returns."""

    def read_forever(self):
        """Open the device, push scans until it fails (raise) or stop() is called."""
        raise NotImplementedError

    def _run(self):
        delay = self.retry_min
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                self.read_forever()
            except Exception as exc:
                if not self._stopping.is_set():  # closing on stop() makes reads fail
                    self._report_failure(exc)
            finally:
                self.close()
            if time.monotonic() - started > self.retry_max:
                delay = self.retry_min
            self._stopping.wait(delay)
            delay = min(delay * 2, self.retry_max)

    def _report_failure(self, exc):
        message = " ".join(str(exc).split()) or repr(exc)
        if isinstance(exc, PermissionError):
            self._set_state("error", f"permission denied: {message}")
        elif isinstance(exc, (OSError, ValueError)):
            self._set_state("disconnected", message)
        else:  # a driver bug must not end the scanner thread
            _logger.error("scanner %s failed", self.spec.url, exc_info=exc)
            self._set_state("error", message)


class EvdevScanner(ScannerSource):
    """USB keyboard-wedge scanner, grabbed so its keys do not reach the desktop."""

    kind = "evdev"

    def __init__(self, spec, queue, *, layout="us", **kwargs):
        super().__init__(spec, queue, **kwargs)
        self.layout = layout
        self._device = None

    def read_forever(self):
        import evdev

        self._device = device = evdev.InputDevice(self.spec.path)
        try:
            device.grab()
        except OSError as exc:
            raise PermissionError(f"cannot grab {self.spec.path}: {exc}") from exc
        self._set_state("connected")
        decoder = KeyDecoder(self.layout)
        while not self._stopping.is_set():
            # select with a timeout rather than read_loop(), so stop() is noticed.
            if not select.select([device.fd], [], [], 0.5)[0]:
                continue
            for event in device.read():
                if event.type == evdev.ecodes.EV_KEY:
                    code = decoder.feed(event.code, event.value)
                    if code:
                        self.queue.push(code)

    def close(self):
        device, self._device = self._device, None
        if device is not None:
            with contextlib.suppress(OSError):
                device.close()


class LineReader:
    """Splits a byte stream into lines ending with CR, LF or CRLF."""

    def __init__(self, limit=4096):
        self.limit = limit
        self._buffer = bytearray()

    def feed(self, data):
        lines = []
        for byte in data:
            if byte in (0x0D, 0x0A):
                if self._buffer:
                    lines.append(bytes(self._buffer).decode("utf-8", "replace"))
                    self._buffer.clear()
            elif len(self._buffer) < self.limit:
                self._buffer.append(byte)
        return lines


class SerialScanner(ScannerSource):
    """Serial (RS-232 or USB-CDC) scanner sending one code a line."""

    kind = "serial"

    def __init__(self, spec, queue, **kwargs):
        super().__init__(spec, queue, **kwargs)
        self._port = None

    def read_forever(self):
        import serial

        try:
            self._port = port = serial.Serial(self.spec.path, self.spec.baudrate, timeout=0.5)
        except serial.SerialException as exc:
            raise OSError(str(exc)) from exc
        self._set_state("connected")
        lines = LineReader()
        while not self._stopping.is_set():
            try:
                data = port.read(port.in_waiting or 1)
            except serial.SerialException as exc:
                raise OSError(str(exc)) from exc
            for line in lines.feed(data):
                self.queue.push(line)

    def close(self):
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()


def camera_available():
    return importlib.util.find_spec("cv2") is not None


class CameraScanner(ScannerSource):
    """A camera read with OpenCV and decoded with zbar (optional; needs opencv)."""

    kind = "camera"
    # The same code seen again within this many seconds is the same scan.
    REPEAT_WINDOW = 2.0

    def __init__(self, spec, queue, **kwargs):
        super().__init__(spec, queue, **kwargs)
        self._capture = None

    def read_forever(self):
        import cv2
        from pyzbar import pyzbar

        self._capture = capture = cv2.VideoCapture(self.spec.index)
        if not capture.isOpened():
            raise OSError(f"camera {self.spec.index} cannot be opened")
        self._set_state("connected")
        last_code, last_seen = None, 0.0
        while not self._stopping.is_set():
            ok, frame = capture.read()
            if not ok:
                raise OSError(f"camera {self.spec.index} stopped sending frames")
            grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            for symbol in pyzbar.decode(grey):
                code = symbol.data.decode("utf-8", "replace")
                now = time.monotonic()
                if code != last_code or now - last_seen > self.REPEAT_WINDOW:
                    self.queue.push(code)
                last_code, last_seen = code, now

    def close(self):
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.release()


class ScannerService:
    """All scanners of this proxy and their shared queue."""

    def __init__(self, queue, sources=()):
        self.queue = queue
        self.sources = list(sources)

    def start(self):
        for source in self.sources:
            source.start()

    def stop(self):
        for source in self.sources:
            source.stop()

    def status(self):
        if not self.sources:
            return {"status": "disconnected", "messages": ["no scanner configured"]}
        states = [source.status() for source in self.sources]
        messages = [m for state in states for m in (state["messages"] or [])]
        names = {state["status"] for state in states}
        status = (
            "connected"
            if "connected" in names
            else "error"
            if "error" in names
            else ("disconnected")
        )
        return {"status": status, "messages": messages or ""}
