"""What every scanner driver shares: a reader thread, reopened with backoff.

A scanner driver reads its device in :meth:`ScannerDriver.read_forever` and
pushes each code into the proxy's one :class:`~..queues.ScanQueue`; when the
device fails or goes away, the thread closes it and tries again, waiting
longer each time (up to ``retry_max``). One module per kind of scanner:
``scanner_evdev`` (keyboard wedge), ``scanner_serial``, ``scanner_camera``;
the simulated one is ``sim.scanner``.
"""

import logging
import time

from . import Driver

_logger = logging.getLogger(__name__)


class ScannerDriver(Driver):
    """A scanner read by its own thread, reopened with backoff when it goes away."""

    device_type = "scanner"
    kind = "scanner"

    def __init__(self, spec, queue, *, retry=(0.5, 10.0)):
        super().__init__(spec)
        self.queue = queue
        self.retry_min, self.retry_max = retry

    def describe(self):
        return f"scanner {self.spec.url}"

    def status(self):
        state, message = self._state
        return {"status": state, "messages": [f"{self.spec.url}: {message}"] if message else ""}

    def stop(self, timeout=3.0):
        self._stopping.set()
        self.close()
        super().stop(timeout)

    def close(self):
        """Release the device so that a blocked read returns."""

    def read_forever(self):
        """Open the device, push scans until it fails (raise) or stop() is called."""
        raise NotImplementedError

    def run(self):
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
