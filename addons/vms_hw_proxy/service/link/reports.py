"""What the proxy tells Odoo, by HTTP POST: status, scans, and how print jobs ended.

Odoo discourages client-to-server messages on its websocket, so everything
the proxy has to say goes to ``/vms_hw_proxy/*`` routes, authenticated with
the proxy's bus secret (header ``X-VMS-Proxy-Secret``):

- ``status``: ``{"devices": {name: {"status": ...}}, "printer_width": N,
  "bus": bool}``, sent at once whenever a device's status or the bus link
  changes, and every ``--status-interval`` seconds otherwise. Odoo answers
  ``report_scans``: whether a till of this proxy wants its scans;
- ``scan``: ``{"barcode": ...}``, at once, when Odoo asked for scans;
- ``job/result``: ``{"job_id": N, "state": "sent"|"done"|"failed", "message": ...}``.

One thread sends them in order. While Odoo cannot be reached the messages
wait (status collapses to the latest), and sending resumes with backoff; a
4xx answer is final and the message is dropped with a warning. Failures
never affect printing for the till.
"""

import json
import logging
import threading
import time
import urllib.error
import urllib.request

_logger = logging.getLogger(__name__)

SECRET_HEADER = "X-VMS-Proxy-Secret"
# A scan or a job result that could not be sent for this long is given up.
MAX_MESSAGE_AGE = 3600.0


class OdooRefused(Exception):
    """Odoo answered a 4xx: sending the same thing again will not help."""

    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status


class OdooClient:
    """HTTP calls to one Odoo with the proxy's bus secret."""

    def __init__(self, odoo_url, secret, *, timeout=5.0):
        self.base = odoo_url.rstrip("/")
        self.secret = secret
        self.timeout = timeout

    def post(self, path, payload, *, raw=False):
        """POST ``payload`` as JSON; the decoded JSON answer (or bytes with ``raw``).

        Raises :class:`OdooRefused` on a 4xx, ``OSError``/``URLError`` when Odoo
        cannot be reached or fails (5xx).
        """
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Content-Type": "application/json", SECRET_HEADER: self.secret},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
                content_type = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            body = error.read()
            if 400 <= error.code < 500:
                raise OdooRefused(error.code, body) from None
            raise
        if raw:
            return body, content_type
        return json.loads(body or b"{}")


class Reporter:
    """The one thread that POSTs status, scans and job results to Odoo, in order."""

    MAX_BACKOFF = 60.0

    def __init__(self, client, status_payload, *, interval=30.0):
        self.client = client
        # Called for each status report: {"devices": ..., "printer_width": ..., "bus": ...}
        self.status_payload = status_payload
        self.interval = interval
        self.report_scans = False
        self.sent = 0
        self.last_error = ""
        self._messages = []  # (created, path, payload), in order
        self._status_due = True
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = None

    @property
    def url(self):
        return self.client.base

    # -- called from any thread ------------------------------------------------------

    def status_changed(self, *_args):
        with self._cond:
            self._status_due = True
            self._cond.notify()

    def scan(self, code):
        if self.report_scans:
            self._queue("/vms_hw_proxy/scan", {"barcode": code})

    def job_result(self, job_id, state, message=""):
        self._queue(
            "/vms_hw_proxy/job/result", {"job_id": job_id, "state": state, "message": message}
        )

    def _queue(self, path, payload):
        with self._cond:
            self._messages.append((time.monotonic(), path, payload))
            self._cond.notify()

    @property
    def pending(self):
        with self._cond:
            return len(self._messages)

    # -- the thread ------------------------------------------------------------------

    def start(self):
        self._thread = threading.Thread(target=self._run, name="odoo-reports", daemon=True)
        self._thread.start()

    def stop(self):
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread:
            self._thread.join(self.client.timeout + 1)

    def _next(self, last_status_time, backoff_until):
        """What to send now: ("status", None) / ("message", item) / None after waiting."""
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if now >= backoff_until:
                    if self._status_due or now - last_status_time >= self.interval:
                        self._status_due = False
                        return "status", None
                    if self._messages:
                        return "message", self._messages[0]
                    wait = last_status_time + self.interval - now
                else:
                    wait = backoff_until - now
                self._cond.wait(max(0.01, min(wait, 1.0)))
            return None

    def _run(self):
        last_status_time, backoff, backoff_until = 0.0, 0.0, 0.0
        while True:
            item = self._next(last_status_time, backoff_until)
            if item is None:
                return
            what, message = item
            try:
                if what == "status":
                    answer = self.client.post("/vms_hw_proxy/status", self.status_payload())
                    self.report_scans = bool(answer.get("report_scans"))
                    last_status_time = time.monotonic()
                else:
                    created, path, payload = message
                    if time.monotonic() - created > MAX_MESSAGE_AGE:
                        _logger.warning("gave up sending %s %s: too old", path, payload)
                    else:
                        self.client.post(path, payload)
                    self._drop(message)
            except OdooRefused as exc:
                _logger.warning("Odoo refused %s: %s", what if message is None else message, exc)
                if message is not None:
                    self._drop(message)
                else:
                    last_status_time = time.monotonic()
            except (urllib.error.URLError, OSError, ValueError) as exc:
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
