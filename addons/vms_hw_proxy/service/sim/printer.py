"""A simulated network receipt printer.

:class:`SimulatedPrinter` listens on a loopback TCP port like a real network
printer's raw port (9100), understands the ESC/POS the proxy sends, answers
real-time status requests (DLE EOT), and turns the raster slices of each
receipt back into an image (a cut ends a receipt). It serves tests, the
benchmark and ``vms-hw-proxy --simulate`` on a development machine, where
receipts land as PNG files in ``--receipts-dir``.
"""

import logging
import os
import socket
import threading
import time
from pathlib import Path

from PIL import Image

_logger = logging.getLogger(__name__)

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
# Printer bits are 1 = black; PIL's mode "1" has 1 = white.
_INVERT = bytes(255 - value for value in range(256))
# ESC/GS commands that take a fixed number of parameter bytes (after the command byte).
_ESC_ARGS = {
    ord(c): n
    for c, n in (
        ("!", 1),
        ("-", 1),
        ("2", 0),
        ("3", 1),
        ("=", 1),
        ("E", 1),
        ("G", 1),
        ("J", 1),
        ("M", 1),
        ("R", 1),
        ("V", 1),
        ("a", 1),
        ("c", 2),
        ("d", 1),
        ("e", 1),
        ("t", 1),
        ("{", 1),
        ("$", 2),
        ("\\", 2),
        ("<", 0),
    )
}
_GS_ARGS = {
    ord(c): n
    for c, n in (("!", 1), ("B", 1), ("H", 1), ("L", 2), ("W", 2), ("b", 1), ("f", 1), ("h", 1))
}
_GS_ARGS.update({ord("w"): 1, ord("a"): 1, ord("r"): 1, ord("I"): 1})


class _NeedMore(Exception):
    """The buffer ends in the middle of a command."""


class EscPosParser:
    """Incremental ESC/POS parser: feed bytes, get events back.

    Events are ``("raster", width_bytes, height, data)``, ``("cut",)``,
    ``("drawer", raw_bytes)``, ``("init",)``, ``("text", str)``, ``("status", n)``.
    """

    def __init__(self):
        self._buffer = bytearray()
        self.unknown = 0

    def feed(self, data):
        self._buffer += data
        events = []
        pos = 0
        buffer = self._buffer
        while pos < len(buffer):
            try:
                pos = self._parse_one(buffer, pos, events)
            except _NeedMore:
                break
        del self._buffer[:pos]
        return events

    @staticmethod
    def _need(buffer, end):
        if end > len(buffer):
            raise _NeedMore

    def _parse_one(self, buf, pos, events):
        byte = buf[pos]
        if byte == ESC:
            self._need(buf, pos + 2)
            cmd = buf[pos + 1]
            if cmd == ord("@"):
                events.append(("init",))
                return pos + 2
            if cmd == ord("p"):
                self._need(buf, pos + 5)
                events.append(("drawer", bytes(buf[pos : pos + 5])))
                return pos + 5
            if cmd == ord("*"):
                self._need(buf, pos + 5)
                mode, count = buf[pos + 2], buf[pos + 3] | buf[pos + 4] << 8
                size = count * (3 if mode in (32, 33) else 1)
                self._need(buf, pos + 5 + size)
                return pos + 5 + size
            if cmd in _ESC_ARGS:
                end = pos + 2 + _ESC_ARGS[cmd]
                self._need(buf, end)
                return end
            self.unknown += 1
            return pos + 2
        if byte == GS:
            self._need(buf, pos + 2)
            cmd = buf[pos + 1]
            if cmd == ord("v"):
                # GS v 0 m xL xH yL yH d1...dk, k = (xL + xH*256) * (yL + yH*256)
                self._need(buf, pos + 8)
                width_bytes = buf[pos + 4] | buf[pos + 5] << 8
                height = buf[pos + 6] | buf[pos + 7] << 8
                end = pos + 8 + width_bytes * height
                self._need(buf, end)
                events.append(("raster", width_bytes, height, bytes(buf[pos + 8 : end])))
                return end
            if cmd == ord("V"):
                self._need(buf, pos + 3)
                end = pos + 4 if buf[pos + 2] in (65, 66, 97, 98, 103, 104) else pos + 3
                self._need(buf, end)
                events.append(("cut",))
                return end
            if cmd in (ord("("), ord("8")):
                # GS ( x pL pH data / GS 8 L p1-p4 data: skip the data block.
                if cmd == ord("("):
                    self._need(buf, pos + 5)
                    end = pos + 5 + (buf[pos + 3] | buf[pos + 4] << 8)
                else:
                    self._need(buf, pos + 7)
                    size = int.from_bytes(buf[pos + 3 : pos + 7], "little")
                    end = pos + 7 + size
                self._need(buf, end)
                return end
            if cmd == ord("k"):
                self._need(buf, pos + 3)
                kind = buf[pos + 2]
                if kind <= 6:  # NUL-terminated data
                    end = buf.find(b"\x00", pos + 3)
                    if end < 0:
                        raise _NeedMore
                    return end + 1
                self._need(buf, pos + 4)
                end = pos + 4 + buf[pos + 3]
                self._need(buf, end)
                return end
            if cmd in _GS_ARGS:
                end = pos + 2 + _GS_ARGS[cmd]
                self._need(buf, end)
                return end
            self.unknown += 1
            return pos + 2
        if byte == DLE:
            self._need(buf, pos + 3)
            if buf[pos + 1] == 0x04:
                events.append(("status", buf[pos + 2]))
            return pos + 3
        if byte == FS:
            self._need(buf, pos + 2)
            return pos + 2
        # Plain text up to the next control sequence.
        end = pos
        while end < len(buf) and buf[end] not in (ESC, GS, DLE, FS):
            end += 1
        text = bytes(buf[pos:end]).decode("cp437", "replace").strip("\x00")
        if text.strip():
            events.append(("text", text))
        return end


def raster_to_image(slices):
    """Stack GS v 0 slices into one mode "1" image (black ink on white)."""
    if not slices:
        return Image.new("1", (8, 1), 1)
    width = max(width_bytes for width_bytes, _, _ in slices) * 8
    height = sum(rows for _, rows, _ in slices)
    image = Image.new("1", (width, height), 1)
    top = 0
    for width_bytes, rows, data in slices:
        part = Image.frombytes("1", (width_bytes * 8, rows), data.translate(_INVERT))
        image.paste(part, (0, top))
        top += rows
    return image


class SimulatedPrinter:
    """A loopback ESC/POS network printer that keeps what it printed.

    One connection is served at a time, in arrival order, like a real
    printer's raw port. A receipt whose connection drops before its cut is
    counted in ``partial_receipts`` and not kept, as a torn-off stub would be.
    """

    def __init__(self, port=0, host="127.0.0.1", receipts_dir=None, max_kept=None, keep_raw=True):
        self.host = host
        self.port = port
        self.receipts_dir = Path(receipts_dir) if receipts_dir else None
        self.max_kept = max_kept
        self.keep_raw = keep_raw
        self.receipts = []
        self.receipt_times = []
        self.texts = []
        self.drawer_kicks = []
        self.raw_bytes = bytearray()
        self.partial_receipts = 0
        self.connections = 0
        self.printed = 0
        self._cond = threading.Condition()
        self._server = None
        self._thread = None
        self._stopping = threading.Event()
        self._client = None

    @property
    def address(self):
        return (self.host, self.port)

    @property
    def url(self):
        return f"tcp://{self.host}:{self.port}"

    def start(self):
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, self.port))
        server.listen(8)
        server.settimeout(0.1)
        self.port = server.getsockname()[1]
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, name="sim-printer", daemon=True)
        self._thread.start()
        _logger.info("simulated printer listening on %s", self.url)
        return self

    def stop(self):
        """Close the port and any connection, as a printer switched off would."""
        self._stopping.set()
        if self._thread:
            self._thread.join(5)
            self._thread = None
        if self._server:
            self._server.close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def wait_for(self, count, timeout=10.0):
        """Wait until ``count`` receipts were printed; True if they were."""
        with self._cond:
            return self._cond.wait_for(lambda: self.printed >= count, timeout)

    def wait_for_kicks(self, count, timeout=10.0):
        with self._cond:
            return self._cond.wait_for(lambda: len(self.drawer_kicks) >= count, timeout)

    def _serve(self):
        while not self._stopping.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            try:
                self._serve_client(client)
            finally:
                client.close()

    def _serve_client(self, client):
        client.settimeout(0.1)
        parser = EscPosParser()
        slices = []
        while not self._stopping.is_set():
            try:
                data = client.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if self.keep_raw:
                self.raw_bytes += data
            for event in parser.feed(data):
                kind = event[0]
                if kind == "raster":
                    slices.append(event[1:])
                elif kind == "cut":
                    self._receipt_done(slices)
                    slices = []
                elif kind == "drawer":
                    with self._cond:
                        self.drawer_kicks.append(event[1])
                        self._cond.notify_all()
                elif kind == "text":
                    self.texts.append(event[1])
                elif kind == "status":
                    # Real-time status: online, drawer closed, no error.
                    try:
                        client.sendall(b"\x16")
                    except OSError:
                        break
        if slices:
            self.partial_receipts += 1

    def _receipt_done(self, slices):
        arrived = time.perf_counter()
        image = raster_to_image(slices)
        with self._cond:
            self.printed += 1
            number = self.printed
            self.receipts.append(image)
            self.receipt_times.append(arrived)
            if self.max_kept and len(self.receipts) > self.max_kept:
                del self.receipts[: -self.max_kept]
                del self.receipt_times[: -self.max_kept]
            self._cond.notify_all()
        if self.receipts_dir:
            self.receipts_dir.mkdir(parents=True, exist_ok=True)
            name = time.strftime("receipt-%Y%m%d-%H%M%S") + f"-{number:04d}.png"
            # Written aside and renamed, so whoever watches the folder never opens half a file.
            partial = self.receipts_dir / (name + ".part")
            image.save(partial, "PNG")
            os.replace(partial, self.receipts_dir / name)
            _logger.info("simulated printer: receipt saved as %s", self.receipts_dir / name)
