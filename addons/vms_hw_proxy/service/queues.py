"""The print queue of each printer and the scan queue the POS long-polls.

:class:`PrintQueue` holds the jobs of one printer in order. A job stays at the
head of the queue until its printer confirmed it, so a printer that goes away
in the middle of a job gets that job again, first, when it comes back.

:class:`ScanQueue` gathers what every scanner reads. The POS asks
``/hw_proxy/scanner`` for the next code; a code is handed to exactly one
waiting request, and a code nobody asked for within ``max_age`` seconds is
dropped, as Odoo's own IoT box does, so that a scan made while the till was
busy elsewhere does not pop up minutes later.
"""

import collections
import logging
import threading
import time
from dataclasses import dataclass, field

_logger = logging.getLogger(__name__)


@dataclass
class PrintJob:
    """ESC/POS bytes for one printer, and who wants to hear how it ended.

    ``on_done(job, ok, message)`` is called once, from the printer's thread:
    with ``ok`` True when the printer confirmed every byte, False when the
    job was dropped (too old, or the printer was stopped).
    """

    kind: str  # receipt | cashbox | job
    data: bytes
    key: str = ""
    created: float = field(default_factory=time.monotonic)
    attempts: int = 0
    on_done: object = None

    def finish(self, ok, message=""):
        callback, self.on_done = self.on_done, None
        if callback is not None:
            try:
                callback(self, ok, message)
            except Exception:  # a listener's bug must not stop the printer
                _logger.exception("print job listener failed")


class PrintQueue:
    """Bounded FIFO of :class:`PrintJob`; the head leaves only once printed."""

    def __init__(self, size=32):
        self.size = size
        self._jobs = collections.deque()
        self._cond = threading.Condition()

    def put(self, job):
        """Append ``job``; False when the queue is full."""
        with self._cond:
            if len(self._jobs) >= self.size:
                return False
            self._jobs.append(job)
            self._cond.notify()
        return True

    def head(self, timeout):
        """The job to print next, waiting up to ``timeout`` seconds; None if none."""
        with self._cond:
            if not self._jobs:
                self._cond.wait(timeout)
            return self._jobs[0] if self._jobs else None

    def remove(self, job):
        with self._cond:
            if self._jobs and self._jobs[0] is job:
                self._jobs.popleft()

    def wake(self):
        with self._cond:
            self._cond.notify_all()

    def drain(self):
        """Take every job out (the printer is stopping)."""
        with self._cond:
            jobs, self._jobs = list(self._jobs), collections.deque()
        return jobs

    def __len__(self):
        with self._cond:
            return len(self._jobs)


class ScanQueue:
    """Scans waiting for a poller, each delivered once.

    ``listeners`` are called with each new code (the link to Odoo forwards
    scans there when the till asks for it); they must not block.
    """

    # How often a waiting poller checks that its client is still there.
    CHECK_INTERVAL = 1.0

    def __init__(self, max_age=5.0, maxlen=256):
        self.max_age = max_age
        self._scans = collections.deque(maxlen=maxlen)
        self._cond = threading.Condition()
        self.pushed = 0
        self.delivered = 0
        self.listeners = []

    def push(self, code):
        code = code.strip()
        if not code:
            return
        with self._cond:
            self._scans.append((time.monotonic(), code))
            self.pushed += 1
            self._cond.notify()
        for listener in self.listeners:
            try:
                listener(code)
            except Exception:  # forwarding is best effort; the till still gets the scan
                _logger.exception("scan listener failed")

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
