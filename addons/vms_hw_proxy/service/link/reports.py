"""What the proxy tells Odoo, by HTTP POST: status, scans, and how print jobs ended.

Odoo discourages client-to-server messages on its websocket, so everything
the proxy has to say goes to ``/vms_hw_proxy/*`` routes (see ``client``),
authenticated with the proxy's bus secret:

- ``status``: ``{"devices": {name: {"status": ...}}, "printer_width": N,
  "bus": bool}``, sent at once whenever a device's status or the bus link
  changes, and every ``--status-interval`` seconds otherwise. Odoo answers
  ``report_scans``: whether a till of this proxy wants its scans;
- ``scan``: ``{"barcode": ...}``, at once, when Odoo asked for scans;
- ``job/result``: ``{"results": [{"job_id": N, "state": "sent"|"done"|"failed",
  "message": ...}, ...]}``, the latest state of each job, several jobs a call.

Job results keep off the print path. Each call costs Odoo a write per job
and a bus notification; made at once, it would compete in Odoo with the very
next job's image fetch, which the printer waits for. So results wait until
no job came for ``RESULTS_QUIET`` seconds; while jobs keep coming, they are
gathered for ``RESULTS_MAX_WAIT`` and sent together just after an image
fetch, when Odoo has nothing to do for this proxy while it prints. A job's
``sent`` waits ``SENT_DELAY`` first: a job printed by then is reported
``done`` alone (Odoo notes it as sent too), so a job costs one result, not two.

One thread sends everything, status first. While Odoo cannot be reached the
messages wait (status collapses to the latest), and sending resumes with
backoff; a 4xx answer is final and the message is dropped with a warning.
Failures never affect printing for the till.
"""

import logging
import time

from .client import OdooRefused
from .worker import Worker

_logger = logging.getLogger(__name__)

# A scan or a job result that could not be sent for this long is given up.
MAX_MESSAGE_AGE = 3600.0
RESULT_PATH = "/vms_hw_proxy/job/result"
# Results sent in one call at most (Odoo takes up to 100).
RESULTS_PER_CALL = 50
FINAL_STATES = ("done", "failed")


class Reporter(Worker):
    """The one thread that POSTs status, scans and job results to Odoo."""

    THREAD_NAME = "odoo-reports"

    MAX_BACKOFF = 60.0
    RESULTS_QUIET = 0.1  # seconds without a job after which results go
    RESULTS_MAX_WAIT = 1.0  # while jobs keep coming, results go together this often
    SENT_DELAY = 1.0  # a "sent" still true after this long is reported on its own

    def __init__(self, client, status_payload, *, interval=30.0):
        super().__init__(client)
        # Called for each status report: {"devices": ..., "printer_width": ..., "bus": ...}
        self.status_payload = status_payload
        self.interval = interval
        self.report_scans = False
        self.sent = 0
        self.last_error = ""
        self._messages = []  # (created, path, payload), in order: scans
        # job id -> (created, updated, state, message): the latest state of each job
        self._results = {}
        self._busy_since = None  # when the image being fetched was asked for
        self._fetched_at = 0.0  # when the last image arrived
        self._last_job_activity = 0.0
        self._status_due = True
        self._odoo_back = False  # the bus link reopened: Odoo answers again

    @property
    def url(self):
        return self.client.base

    # -- called from any thread ------------------------------------------------------

    def status_changed(self, *_args):
        with self._cond:
            self._status_due = True
            self._cond.notify()

    def odoo_back(self):
        """Odoo answers again (the bus link reopened): retry now, not after the backoff
        that grew while it was down, so a job printed meanwhile is reported at once."""
        with self._cond:
            self._odoo_back = True
            self._status_due = True
            self._cond.notify()

    def scan(self, code):
        if self.report_scans:
            with self._cond:
                self._messages.append((time.monotonic(), "/vms_hw_proxy/scan", {"barcode": code}))
                self._cond.notify()

    def job_result(self, job_id, state, message=""):
        """The latest state of a job; replaces the one still waiting, if any."""
        with self._cond:
            now = time.monotonic()
            previous = self._results.get(job_id)
            if previous is not None and previous[2] in FINAL_STATES and state == "sent":
                return
            created = previous[0] if previous is not None else now
            self._results[job_id] = (created, now, state, message)
            self._last_job_activity = now
            self._cond.notify()

    def fetching(self):
        """The job runner starts fetching an image: results wait, not to compete with it."""
        with self._cond:
            self._busy_since = self._last_job_activity = time.monotonic()

    def fetched(self):
        """The image is here and goes to the printer: a moment for the results that
        have waited long enough while jobs kept coming."""
        with self._cond:
            self._busy_since = None
            self._last_job_activity = self._fetched_at = time.monotonic()
            self._cond.notify()

    @property
    def pending(self):
        with self._cond:
            return len(self._messages) + len(self._results)

    # -- the thread ------------------------------------------------------------------

    def _results_due(self, now):
        """(results to send now, seconds until some may be due); under the lock."""
        ready, wait = [], None
        for job_id, result in self._results.items():
            created, _updated, state, _message = result
            if state == "sent" and now - created < self.SENT_DELAY:
                left = created + self.SENT_DELAY - now
                wait = left if wait is None else min(wait, left)
            else:
                ready.append((job_id, result))
        if not ready:
            return [], wait
        oldest = min(result[1] for _job_id, result in ready)
        busy = self._busy_since is not None
        quiet_at = self._last_job_activity + self.RESULTS_QUIET
        stream_at = oldest + self.RESULTS_MAX_WAIT  # then the next image fetch is the moment
        latest_at = oldest + 3 * self.RESULTS_MAX_WAIT  # a fetch that never ends
        if (
            (not busy and now >= quiet_at)
            or (not busy and self._fetched_at >= stream_at)
            or now >= latest_at
        ):
            return ready[:RESULTS_PER_CALL], None
        candidates = [latest_at] if busy else [quiet_at, latest_at]
        left = max(0.0, min(candidates) - now)
        return [], left if wait is None else min(wait, left)

    def _next(self, last_status_time, backoff_until):
        """What to send now: ("status", None) / ("message", item) / ("results", items) /
        ("odoo_back", None) to drop the backoff, or None once stopping."""
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if self._odoo_back:
                    self._odoo_back = False
                    return "odoo_back", None
                if now >= backoff_until:
                    if self._status_due or now - last_status_time >= self.interval:
                        self._status_due = False
                        return "status", None
                    if self._messages:
                        return "message", self._messages[0]
                    results, results_wait = self._results_due(now)
                    if results:
                        return "results", results
                    wait = last_status_time + self.interval - now
                    if results_wait is not None:
                        wait = min(wait, results_wait)
                else:
                    wait = backoff_until - now
                self._cond.wait(max(0.005, min(wait, 1.0)))
            return None

    def _send_results(self, results):
        now = time.monotonic()
        fresh = [(job_id, r) for job_id, r in results if now - r[0] <= MAX_MESSAGE_AGE]
        if len(fresh) < len(results):
            _logger.warning(
                "gave up reporting %d job result(s): too old", len(results) - len(fresh)
            )
        if not fresh:
            return
        answer = self.client.post(
            RESULT_PATH,
            {
                "results": [
                    {"job_id": job_id, "state": state, "message": message}
                    for job_id, (_created, _updated, state, message) in fresh
                ]
            },
        )
        for item in answer.get("results") or []:
            if isinstance(item, dict) and not item.get("ok"):
                error = item.get("error") or {}
                _logger.warning(
                    "Odoo did not take the result of job %s: %s",
                    item.get("job_id"),
                    error.get("message", item) if isinstance(error, dict) else error,
                )

    def _forget_results(self, results):
        """Drop what was sent, unless a newer state of that job came meanwhile."""
        with self._cond:
            for job_id, result in results:
                if self._results.get(job_id) == result:
                    del self._results[job_id]

    def _run(self):
        last_status_time, backoff, backoff_until = 0.0, 0.0, 0.0
        while True:
            item = self._next(last_status_time, backoff_until)
            if item is None:
                self.client.close()  # this thread's connection to Odoo
                return
            what, message = item
            if what == "odoo_back":
                backoff, backoff_until = 0.0, 0.0
                continue
            try:
                if what == "status":
                    answer = self.client.post("/vms_hw_proxy/status", self.status_payload())
                    self.report_scans = bool(answer.get("report_scans"))
                    self.client.learn_db(answer)
                    last_status_time = time.monotonic()
                elif what == "results":
                    self._send_results(message)
                    self._forget_results(message)
                else:
                    created, path, payload = message
                    if time.monotonic() - created > MAX_MESSAGE_AGE:
                        _logger.warning("gave up sending %s %s: too old", path, payload)
                    else:
                        self.client.post(path, payload)
                    self._drop(message)
            except OdooRefused as exc:
                _logger.warning("Odoo refused %s: %s", what if message is None else message, exc)
                if what == "results":
                    self._forget_results(message)
                elif message is not None:
                    self._drop(message)
                else:
                    last_status_time = time.monotonic()
            except (OSError, ValueError) as exc:
                if what == "status":
                    self.status_changed()  # still to be sent once Odoo answers
                backoff = min(max(backoff * 2, 1.0), self.MAX_BACKOFF)
                backoff_until = time.monotonic() + backoff
                text = " ".join(str(exc).split())
                if text != self.last_error:
                    _logger.warning("cannot report to %s: %s", self.url, text)
                self.last_error = text
                continue
            if self.last_error:
                _logger.info("reporting to %s again", self.url)
            self.sent += 1
            backoff, backoff_until, self.last_error = 0.0, 0.0, ""

    def _drop(self, message):
        with self._cond:
            if self._messages and self._messages[0] is message:
                self._messages.pop(0)
