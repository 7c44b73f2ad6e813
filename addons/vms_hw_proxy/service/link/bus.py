"""The websocket to Odoo's bus, the way Odoo's own IoT box keeps one.

As ``iot_drivers/websocket_client.py`` does, a ``websocket.WebSocketApp``
(websocket-client) connects to ``<odoo-url>/websocket`` and, once open,
sends ``{"event_name": "subscribe", "data": {"channels": [channel], "last":
id}}``. The channel is the proxy's own, named by a digest of its bus secret
(:func:`..link.bus_channel`), not by the till's token, which every browser
of the till holds. On subscription Odoo sends again every job still waiting
for this proxy.

Messages from the bus are lists of ``{"id": N, "message": {"type": ...,
"payload": ...}}``; ``vms_hw_proxy/job`` ones go to the job runner. The
proxy sends nothing else on the websocket: what it has to say goes by HTTP
(``reports``).

When the connection drops (Odoo restarted, network gone), the link
connects again after 0.5 s, then 1, 2, 4 ... up to 30 s; a connection that
stayed up for 5 s starts the delays over. Pings every 20 s notice a link that died
silently.
"""

import json
import logging
import threading
import time
import urllib.parse
import urllib.request

import websocket

from . import bus_channel

_logger = logging.getLogger(__name__)

JOB_MESSAGE = "vms_hw_proxy/job"


class BusLink:
    BACKOFF = (0.5, 30.0)
    PING_INTERVAL, PING_TIMEOUT = 20, 10
    STAYED_UP = 5.0  # seconds open after which a drop starts the backoff over

    def __init__(self, odoo_url, secret, on_job, *, db="", on_change=None):
        self.odoo_url = odoo_url.rstrip("/")
        parts = urllib.parse.urlsplit(self.odoo_url)
        scheme = parts.scheme.replace("http", "ws", 1)
        self.url = urllib.parse.urlunsplit(
            (scheme, parts.netloc, parts.path + "/websocket", "", "")
        )
        self.channel = bus_channel(secret)
        self.db = db
        self.on_job = on_job
        self.on_change = on_change or (lambda: None)
        self.connected = False
        self.connections = 0
        self.last_message_id = 0
        self._ws = None
        self._stopping = threading.Event()
        self._thread = None

    # -- websocket callbacks ---------------------------------------------------------

    def _on_open(self, ws):
        ws.send(
            json.dumps(
                {
                    "event_name": "subscribe",
                    "data": {"channels": [self.channel], "last": self.last_message_id},
                }
            )
        )
        self.connected = True
        self.connections += 1
        self._opened_at = time.monotonic()
        _logger.info("bus link to %s open, subscribed to the proxy's channel", self.url)
        self.on_change()

    def _on_message(self, ws, text):
        try:
            notifications = json.loads(text)
        except ValueError:
            _logger.warning("bus sent something that is not JSON: %.200r", text)
            return
        if not isinstance(notifications, list):
            return
        for notification in notifications:
            if not isinstance(notification, dict):
                continue
            if isinstance(notification.get("id"), int):
                self.last_message_id = max(self.last_message_id, notification["id"])
            message = notification.get("message") or {}
            if isinstance(message, dict) and message.get("type") == JOB_MESSAGE:
                self.on_job(message.get("payload"))

    def _on_error(self, ws, error):
        if not self._stopping.is_set():
            _logger.debug("bus link error: %s", error)

    def _on_close(self, ws, status, reason):
        was_connected, self.connected = self.connected, False
        if was_connected:
            _logger.warning("bus link to %s closed (%s %s)", self.url, status or "", reason or "")
            self.on_change()

    # -- the thread ------------------------------------------------------------------

    def _session_cookie(self):
        """A session bound to --odoo-db, for an Odoo serving several databases."""
        if not self.db:
            return ""
        url = f"{self.odoo_url}/web/login?db={urllib.parse.quote(self.db)}"

        class _NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(url, timeout=10)
        except urllib.error.HTTPError as error:  # the 303 of a login page
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "session_id":
                return "session_id=" + rest.split(";", 1)[0]
        return ""

    def _run(self):
        delay = self.BACKOFF[0]
        while not self._stopping.is_set():
            self._opened_at = None
            try:
                cookie = self._session_cookie()
                self._ws = websocket.WebSocketApp(
                    self.url,
                    header={"User-Agent": "vms-hw-proxy"},
                    cookie=cookie or None,
                    on_open=self._on_open,
                    on_message=self._on_message,
                    on_error=self._on_error,
                    on_close=self._on_close,
                )
                self._ws.run_forever(
                    ping_interval=self.PING_INTERVAL,
                    ping_timeout=self.PING_TIMEOUT,
                    origin=self.odoo_url,
                )
            except Exception as exc:  # never let the link thread die
                _logger.warning("bus link to %s failed: %s", self.url, exc)
            if self.connected:
                self.connected = False
                self.on_change()
            if self._stopping.is_set():
                break
            opened_at = self._opened_at
            if opened_at is not None and time.monotonic() - opened_at > self.STAYED_UP:
                delay = self.BACKOFF[0]
            _logger.debug("bus link: connecting again in %.1f s", delay)
            self._stopping.wait(delay)
            delay = min(delay * 2, self.BACKOFF[1])

    def start(self):
        self._thread = threading.Thread(target=self._run, name="odoo-bus", daemon=True)
        self._thread.start()

    def stop(self):
        self._stopping.set()
        ws = self._ws
        if ws is not None:
            ws.close()
        if self._thread:
            self._thread.join(5)
