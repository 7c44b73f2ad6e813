"""HTTP calls from the proxy to Odoo's ``/vms_hw_proxy/*`` routes, on kept-alive connections.

Every call is a JSON POST with the proxy's bus secret (header
``X-VMS-Proxy-Secret``). What keeps a call short, measured against a threaded
Odoo (the benchmark's): a connection kept open between calls (no TCP or TLS
handshake each time), one per calling thread so that the print path never
waits behind a report, and the database named in ``X-Odoo-Database`` (from
--odoo-db, or as Odoo's status answer names it) so that Odoo does not list
its databases on every call to find the only one, which cost a third of
each call.

A connection Odoo closed while it sat idle fails on its next use; the call is
then made once more on a new connection. Every route the proxy calls may be
repeated without harm: a read, the latest status, a scan, results that
stand once Odoo took them.

Like urllib before it, the client honours ``http_proxy``/``https_proxy`` and
``no_proxy`` from the environment.
"""

import base64
import http.client
import json
import socket
import ssl
import threading
import urllib.parse
import urllib.request

SECRET_HEADER = "X-VMS-Proxy-Secret"
DB_HEADER = "X-Odoo-Database"


class OdooRefused(Exception):
    """Odoo answered a 4xx: sending the same thing again will not help."""

    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status


class OdooUnavailable(OSError):
    """Odoo could not be reached, broke the connection, or failed (5xx): try later."""


class _Connection:
    """One kept-alive connection, used by one thread at a time."""

    def __init__(self, conn, path_prefix="", headers=None):
        self.conn = conn
        # Through a plain HTTP proxy: the absolute URL in the request line, its credentials.
        self.path_prefix = path_prefix
        self.headers = headers or {}
        self.used = False


class OdooClient:
    """HTTP calls to one Odoo with the proxy's bus secret."""

    def __init__(self, odoo_url, secret, *, timeout=5.0, db=""):
        self.base = odoo_url.rstrip("/")
        self.secret = secret
        self.timeout = timeout
        # Given (--odoo-db) or learnt from Odoo's answers (see learn_db).
        self.db = db
        self._db_given = bool(db)
        parts = urllib.parse.urlsplit(self.base)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (443 if self._https else 80)
        self._path = parts.path.rstrip("/")
        self._local = threading.local()
        self.connections_opened = 0

    # -- connections -----------------------------------------------------------------

    def _proxy_for(self):
        """(host, port, authorization) of the HTTP proxy the environment names, or None."""
        proxies = urllib.request.getproxies()
        proxy = proxies.get("https" if self._https else "http")
        if not proxy or urllib.request.proxy_bypass(self._host):
            return None
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        authorization = None
        if parts.username:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            authorization = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return parts.hostname, parts.port or 8080, authorization

    def _open(self):
        proxy = self._proxy_for()
        host, port, authorization = proxy or (self._host, self._port, None)
        proxy_headers = {"Proxy-Authorization": authorization} if authorization else {}
        if self._https:
            conn = http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=ssl.create_default_context()
            )
            if proxy is not None:
                conn.set_tunnel(self._host, self._port, headers=proxy_headers or None)
            connection = _Connection(conn)
        elif proxy is not None:
            conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
            connection = _Connection(conn, f"http://{self._host}:{self._port}", proxy_headers)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
            connection = _Connection(conn)
        conn.connect()
        # Small JSON bodies: send them at once rather than wait for the previous ACK.
        if conn.sock is not None and conn.sock.family in (socket.AF_INET, socket.AF_INET6):
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections_opened += 1
        return connection

    def _drop(self):
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.conn.close()

    def close(self):
        """Close the calling thread's connection."""
        self._drop()

    # -- calls -----------------------------------------------------------------------

    def learn_db(self, answer):
        """Odoo's answer names its database: name it in the next calls (unless --odoo-db)."""
        name = answer.get("db") if isinstance(answer, dict) else None
        if not self._db_given and isinstance(name, str) and 0 < len(name) <= 128:
            self.db = name

    def post(self, path, payload, *, raw=False):
        """POST ``payload`` as JSON; the decoded JSON answer (or ``(bytes, content type)``
        with ``raw``).

        Raises :class:`OdooRefused` on a 4xx, :class:`OdooUnavailable` (an
        ``OSError``) when Odoo cannot be reached, breaks off or fails (5xx).
        """
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", SECRET_HEADER: self.secret}
        if self.db:
            headers[DB_HEADER] = self.db
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            reused = connection is not None and connection.used
            try:
                if connection is None:
                    connection = self._local.connection = self._open()
                connection.conn.request(
                    "POST",
                    connection.path_prefix + self._path + path,
                    body=body,
                    headers={**headers, **connection.headers},
                )
                response = connection.conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                if reused and attempt == 1 and _closed_while_idle(exc):
                    continue
                raise OdooUnavailable(f"{self.base}{path}: {exc or type(exc).__name__}") from exc
            connection.used = True
            if response.will_close:
                self._drop()
            break
        status = response.status
        if 400 <= status < 500:
            raise OdooRefused(status, data)
        if status >= 300:
            raise OdooUnavailable(f"{self.base}{path}: HTTP {status}")
        if raw:
            return data, response.headers.get("Content-Type", "")
        try:
            return json.loads(data or b"{}")
        except ValueError as exc:
            raise OdooUnavailable(f"{self.base}{path}: the answer is not JSON") from exc


def _closed_while_idle(exc):
    """The failure of a request on a connection the server had closed meanwhile."""
    return isinstance(
        exc,
        (
            http.client.RemoteDisconnected,
            http.client.BadStatusLine,
            BrokenPipeError,
            ConnectionResetError,
            ConnectionAbortedError,
        ),
    )
