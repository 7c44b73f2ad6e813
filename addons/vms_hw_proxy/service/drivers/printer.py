"""The receipt printer driver: one thread per printer, writing its queue in order.

Actions:

- ``print_receipt``: a receipt from the POS (``receipt``: base64 JPEG,
  ``action_unique_id`` optional). The same receipt sent again within the
  dedupe window (the POS retries) prints once. Answers True when queued.
- ``print_image``: an image from an Odoo print job (``image``: a 1-bit PIL
  image, ``on_done``: told when the printer confirmed it or gave up).
- ``cashbox``: the drawer kick (ESC p) wired to this printer.

The thread writes jobs in order, one at a time; a job leaves the queue only
after all its bytes were confirmed by the printer (see ``connections``). When
the printer goes away the job stays at the head of the queue and is retried
with exponential backoff until it prints or grows older than ``max_age``.
"""

import hashlib
import logging
import threading
import time

from ..connections import PrinterAbsent, PrinterConnection, PrinterFailure, describe
from ..queues import PrintJob, PrintQueue
from ..receipt import ReceiptError, decode_receipt, render_cashbox, render_receipt
from . import ActionError, Driver

_logger = logging.getLogger(__name__)


class ReceiptPrinterDriver(Driver):
    device_type = "printer"
    connection_types = ("tcp", "usb", "serial", "file")

    def __init__(
        self,
        spec,
        *,
        width=512,
        queue_size=32,
        max_age=60.0,
        dedupe_window=10.0,
        probe_interval=5.0,
        backoff=(0.1, 2.0),
        timeout=10.0,
    ):
        super().__init__(spec)
        self.width = width
        self.max_age = max_age
        self.dedupe_window = dedupe_window
        self.probe_interval = probe_interval
        self.backoff_min, self.backoff_max = backoff
        self.connection = PrinterConnection(spec, timeout=timeout)
        self.queue = PrintQueue(queue_size)
        self._state = ("disconnected", "not tried yet")
        self._down_since = time.monotonic()  # None while connected
        self._recent = {}
        self._recent_lock = threading.Lock()
        self.printed = 0
        self.expired = 0
        self._actions = {
            "print_receipt": self._action_print_receipt,
            "print_image": self._action_print_image,
            "cashbox": self._action_cashbox,
        }

    def describe(self):
        return describe(self.spec)

    # -- actions (called from HTTP and bus threads) --------------------------------

    def _action_print_receipt(self, data):
        receipt = data.get("receipt")
        if "receipt" not in data:
            raise ActionError("data.receipt is missing", "invalid_receipt")
        if not isinstance(receipt, str):
            raise ActionError(
                f"receipt must be a base64 string, not {type(receipt).__name__}", "invalid_receipt"
            )
        unique_id = _unique_id(data)
        key = f"id:{unique_id}" if unique_id else hashlib.sha256(receipt.encode()).hexdigest()
        if self.dedupe_window > 0 and not self._claim(key):
            _logger.info(
                "%s: same receipt again within %.0f s, not reprinted",
                self.name,
                self.dedupe_window,
            )
            return True
        try:
            image = decode_receipt(receipt, self.width)
            accepted = self.submit(PrintJob("receipt", render_receipt(image, self.width), key=key))
        except ReceiptError as exc:
            self._release(key)
            raise ActionError(str(exc), "invalid_receipt") from None
        except BaseException:
            self._release(key)
            raise
        if not accepted:
            self._release(key)
        return accepted

    def _action_print_image(self, data):
        job = PrintJob(
            "job",
            render_receipt(data["image"], self.width),
            key=data.get("key", ""),
            on_done=data.get("on_done"),
        )
        return self.submit(job)

    def _action_cashbox(self, data):
        unique_id = _unique_id(data)
        key = f"id:{unique_id}" if unique_id else ""
        if key and self.dedupe_window > 0 and not self._claim(key):
            return True
        accepted = self.submit(PrintJob("cashbox", render_cashbox(self.width), key=key))
        if not accepted and key:
            self._release(key)
        return accepted

    def _claim(self, key):
        """True if ``key`` was not seen within the dedupe window (and remember it)."""
        now = time.monotonic()
        with self._recent_lock:
            for old, seen in list(self._recent.items()):
                if now - seen > self.dedupe_window:
                    del self._recent[old]
            if key in self._recent:
                return False
            self._recent[key] = now
            return True

    def _release(self, key):
        with self._recent_lock:
            self._recent.pop(key, None)

    # -- queueing ------------------------------------------------------------------

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
            _logger.warning("%s: %s, %s refused", self.describe(), self._state[0], job.kind)
            return False
        if not self.queue.put(job):
            _logger.warning("%s: queue full, %s refused", self.describe(), job.kind)
            return False
        return True

    @property
    def pending(self):
        return len(self.queue)

    def status(self):
        result = super().status()
        pending = self.pending
        if pending:
            result["messages"] = [*(result["messages"] or []), f"{pending} job(s) waiting"]
        return result

    # -- the printer's thread ------------------------------------------------------

    def stop(self, timeout=5.0):
        self._stopping.set()
        self.queue.wake()
        super().stop(timeout)
        self.connection.close()
        for job in self.queue.drain():
            job.finish(False, "the proxy stopped before the printer took the job")

    def _set_state(self, state, message=""):
        if state == "connected":
            self._down_since = None
        elif self._down_since is None:
            self._down_since = time.monotonic()
        super()._set_state(state, message)

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

    def run(self):
        delay = self.backoff_min
        self._probe()
        while not self._stopping.is_set():
            job = self.queue.head(self.probe_interval)
            if self._stopping.is_set():
                break
            if job is None:
                self._probe()
                continue
            if time.monotonic() - job.created > self.max_age:
                self.queue.remove(job)
                self.expired += 1
                _logger.error(
                    "%s: %s dropped after %.0f s and %d attempt(s)",
                    self.describe(),
                    job.kind,
                    self.max_age,
                    job.attempts,
                )
                job.finish(False, f"the printer did not take it within {self.max_age:.0f} s")
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
            self.queue.remove(job)
            self.printed += 1
            delay = self.backoff_min
            self._set_state("connected")
            job.finish(True)


def _unique_id(data):
    """The POS's ``action_unique_id`` as a string, or None; refused when unusable."""
    unique_id = data.get("action_unique_id")
    if unique_id in (None, ""):
        return None
    if isinstance(unique_id, bool) or not isinstance(unique_id, (str, int)):
        raise ActionError("action_unique_id must be a string")
    unique_id = str(unique_id)
    if len(unique_id) > 256:
        raise ActionError("action_unique_id is longer than 256 characters")
    return unique_id
