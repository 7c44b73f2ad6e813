"""Print jobs from Odoo: fetch the image, print it once, report done or failed.

A bus notification only names the job (``{"job_id": N, ...}``); the image is
fetched with the proxy's secret from ``/vms_hw_proxy/job/payload``, so a job
id alone prints nothing and Odoo's bus table never holds an image. That fetch
is the only call to Odoo on the way to the printer: the job's ``sent``, then
``done`` or ``failed``, go to the reporter, which sends them when Odoo has
nothing else to do for this proxy (``reports``). Jobs are handled one after
another by one thread. A job already printed (the journal) is reported done
again without printing; a job already on its way to the printer is not
queued twice.
"""

import collections
import logging
import time

from ..receipt import ReceiptError, decode_image
from .client import OdooRefused
from .worker import Worker

_logger = logging.getLogger(__name__)


class JobRunner(Worker):
    THREAD_NAME = "odoo-jobs"

    def __init__(self, client, reporter, journal, printer_source):
        super().__init__(client)
        self.reporter = reporter
        self.journal = journal
        # Returns the receipt printer's driver, or None when there is none.
        self.printer_source = printer_source
        self.printed = 0
        self.failed = 0
        self._in_flight = set()
        self._notified_at = {}  # job id -> when the bus brought it
        # (queued, fetch, print) seconds of the last jobs printed: GET / shows them.
        self._phases = collections.deque(maxlen=100)
        self._queue = collections.deque()

    def notify(self, payload):
        """A job notification from the bus (any thread; never blocks)."""
        job_id = payload.get("job_id") if isinstance(payload, dict) else None
        if isinstance(job_id, bool) or not isinstance(job_id, int) or job_id <= 0:
            _logger.warning("ignored a job notification without a job id: %r", payload)
            return
        with self._cond:
            if job_id in self._in_flight or job_id in self._queue:
                return
            self._notified_at[job_id] = time.monotonic()
            self._queue.append(job_id)
            self._cond.notify()

    def _run(self):
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    break
                job_id = self._queue.popleft()
                self._in_flight.add(job_id)
            try:
                self._handle(job_id)
            except Exception:  # one bad job must not end the thread
                _logger.exception("print job %s failed", job_id)
                self._finished(job_id, False, "the proxy failed on this job")
        self.client.close()  # this thread's connection to Odoo

    def _handle(self, job_id):
        if job_id in self.journal:
            _logger.info("print job %s was printed already: not printed again", job_id)
            self.reporter.job_result(job_id, "done", "")
            self._forget(job_id)
            return
        printer = self.printer_source()
        if printer is None:
            self._finished(job_id, False, "this proxy has no receipt printer")
            return
        self.reporter.fetching()
        fetch_started = time.monotonic()
        try:
            raw, _ = self.client.post("/vms_hw_proxy/job/payload", {"job_id": job_id}, raw=True)
        except OdooRefused as exc:
            # Expired, cancelled, done meanwhile, or not this proxy's: nothing to print.
            _logger.info("print job %s not fetched: %s", job_id, exc)
            self._forget(job_id)
            return
        except OSError as exc:
            # Odoo is away: it sends the job again when the bus link is back.
            _logger.warning("print job %s not fetched: %s", job_id, exc)
            self._forget(job_id)
            return
        finally:
            self.reporter.fetched()
        fetched = time.monotonic()
        self.reporter.job_result(job_id, "sent")
        try:
            image = decode_image(raw, printer.width)
        except ReceiptError as exc:
            self._finished(job_id, False, str(exc))
            return

        def on_done(_job, ok, message):
            if ok:
                queued = fetch_started - self._notified_at.get(job_id, fetch_started)
                self._phases.append((queued, fetched - fetch_started, time.monotonic() - fetched))
            self._finished(job_id, ok, message)

        accepted = printer.action(
            {"action": "print_image", "image": image, "key": f"job:{job_id}", "on_done": on_done}
        )
        if not accepted:
            state, message = printer.status()["status"], printer.status()["messages"]
            self._finished(job_id, False, f"printer {state}: {message or 'queue full'}")

    def _finished(self, job_id, ok, message):
        if ok:
            # On disk before Odoo hears of it: a resend after a crash is not printed again.
            self.journal.add(job_id)
            self.printed += 1
        else:
            self.failed += 1
        self.reporter.job_result(job_id, "done" if ok else "failed", message)
        self._forget(job_id)

    def _forget(self, job_id):
        with self._cond:
            self._in_flight.discard(job_id)
            self._notified_at.pop(job_id, None)

    def phase_times(self):
        """p50 and p95 in ms over the last printed jobs of: waiting in the proxy after
        the bus brought them (queued), fetching the image from Odoo (fetch), decoding
        and printing up to the printer's confirmation (print). Empty before the
        first job."""
        phases = list(self._phases)
        if not phases:
            return {}
        times = {}
        for name, values in zip(
            ("queued", "fetch", "print"), zip(*phases, strict=True), strict=True
        ):
            ordered = sorted(values)
            for label, fraction in (("p50", 0.5), ("p95", 0.95)):
                index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
                times[f"{name}_{label}_ms"] = round(ordered[index] * 1000, 1)
        return times
