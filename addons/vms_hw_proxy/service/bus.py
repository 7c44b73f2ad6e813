"""Optional link to Odoo: report device status so the back office sees it.

With ``--odoo-url`` (and ``--token``) the proxy POSTs
``{"token": ..., "devices": {"printer": {"status": ...}, ...}}`` to
``<odoo-url>/vms_hw_proxy/status`` whenever a device's status changes and
every ``--status-interval`` seconds otherwise. Odoo finds the till(s) by the
token. Failures are retried with backoff and never affect printing.
"""

import json
import logging
import threading
import time
import urllib.error
import urllib.request

_logger = logging.getLogger(__name__)

STATUS_PATH = "/vms_hw_proxy/status"


class StatusReporter:
    CHECK_EVERY = 1.0  # seconds between looks at the local status
    MAX_BACKOFF = 120.0

    def __init__(self, status_source, odoo_url, token, *, interval=30.0, timeout=5.0):
        self.status_source = status_source
        self.url = odoo_url.rstrip("/") + STATUS_PATH
        self.token = token
        self.interval = interval
        self.timeout = timeout
        self.sent = 0
        self.last_error = ""
        self._stopping = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name="odoo-status", daemon=True)
        self._thread.start()

    def stop(self):
        self._stopping.set()
        if self._thread:
            self._thread.join(self.timeout + 1)

    def devices(self):
        """Status names only: Odoo keeps {name: {"status": ...}}."""
        return {
            name: {"status": info.get("status", "unknown")}
            for name, info in self.status_source().items()
        }

    def send(self, devices):
        body = json.dumps({"token": self.token, "devices": devices}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-VMS-Proxy-Token": self.token},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()
        self.sent += 1

    def _run(self):
        last_sent, last_time, backoff, next_try = None, 0.0, 0.0, 0.0
        while not self._stopping.wait(self.CHECK_EVERY):
            now = time.monotonic()
            devices = self.devices()
            due = devices != last_sent or now - last_time >= self.interval
            if not due or now < next_try:
                continue
            try:
                self.send(devices)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                backoff = min(max(backoff * 2, 2.0), self.MAX_BACKOFF)
                next_try = now + backoff
                message = " ".join(str(exc).split())
                if message != self.last_error:
                    _logger.warning("cannot report status to %s: %s", self.url, message)
                self.last_error = message
                continue
            if self.last_error:
                _logger.info("status reported to %s again", self.url)
            last_sent, last_time, backoff, self.last_error = devices, now, 0.0, ""
