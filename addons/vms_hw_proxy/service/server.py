"""HTTP side of the proxy: the routes the Odoo 19 POS calls, on the standard library server.

Routes (each also under ``/vms-token/<token>/``, the base the till uses when a
token is configured)::

    GET  /hw_proxy/hello                   "ping", no token needed (liveness)
    POST /hw_proxy/handshake               JSON-RPC, true
    POST /hw_proxy/status_json             JSON-RPC, {"printer": {...}, "scanner": {...}, ...}
    POST /hw_proxy/default_printer_action  JSON-RPC, print_receipt / cashbox -> true|false
    POST /hw_proxy/scanner                 JSON-RPC long poll, next barcode or ""
    POST /vms/sim/scan                     {"barcode": "..."}; only with --simulate
    GET  /vms/sim/printer                  what the simulated printer printed; --simulate
    GET  /                                 JSON summary for store IT

This layer only translates: it checks the token and the shape of the
request, then asks the drivers (``app.printer_action``, the scan queue).
Every refusal is a JSON 4xx: unreadable, too deep or too large bodies,
numbers JSON cannot carry (NaN, 1e999), wrong types.
"""

import contextlib
import hmac
import json
import logging
import select
import socket
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import __version__
from .drivers import ActionError
from .errors import RequestError
from .sim.routes import SIM_ROUTES

_logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-VMS-Proxy-Token"
TOKEN_PREFIX = "/vms-token/"
DEFAULT_ALLOWED_HEADERS = f"Content-Type, {TOKEN_HEADER}"
PREFLIGHT_MAX_AGE = "600"


def _finite_float(text):
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:40]} is out of range")
    return number


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_json(body):
    """Decode a request body; RequestError 400 for anything JSON cannot carry."""
    try:
        return json.loads(body, parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        raise RequestError(400, "invalid_json", "the request body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError):
        raise RequestError(400, "invalid_json", "the request body is not JSON") from None


def _rpc_id(request):
    """The JSON-RPC id to answer with: a string, a whole number or null."""
    rpc_id = request.get("id")
    if rpc_id is None or (isinstance(rpc_id, int) and not isinstance(rpc_id, bool)):
        return rpc_id
    if isinstance(rpc_id, str) and len(rpc_id) <= 256:
        return rpc_id
    raise RequestError(422, "invalid_request", "id must be a string or a whole number")


class ProxyHTTPServer(ThreadingHTTPServer):
    """Threaded server; with TLS, each handshake runs in its request's thread."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, app, ssl_context=None):
        self.app = app
        self.ssl_context = ssl_context
        super().__init__(address, ProxyRequestHandler)

    def finish_request(self, request, client_address):
        if self.ssl_context is None:
            return super().finish_request(request, client_address)
        # Wrapping here rather than around the listening socket keeps a slow or
        # broken TLS client from stalling the accept loop for everyone else.
        request.settimeout(10)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError) as exc:
            _logger.debug("TLS handshake with %s failed: %s", client_address[0], exc)
            return None
        try:
            return self.RequestHandlerClass(tls, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request, client_address):
        _logger.exception("unexpected error serving %s", client_address[0])


class ProxyRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"vms-hw-proxy/{__version__}"
    # Idle keep-alive connections are closed after this; long polls do not read.
    timeout = 75

    # -- plumbing ------------------------------------------------------------------

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        _logger.debug("%s %s", self.address_string(), format % args)

    def _cors_headers(self):
        origin = self.headers.get("Origin")
        self.send_header("Access-Control-Allow-Origin", origin or "*")
        if origin:
            self.send_header("Vary", "Origin")

    def _send(self, status, body, content_type="application/json", extra=None):
        self.send_response(status)
        self._cors_headers()
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, payload, extra=None):
        self._send(status, json.dumps(payload).encode(), extra=extra)

    def _send_error(self, error, rpc_id=None):
        body = {
            "error": {
                "code": error.code,
                "message": error.message,
                "data": {"name": f"vms_hw_proxy.{error.code}", "message": error.message},
            }
        }
        if rpc_id is not None:
            body = {"jsonrpc": "2.0", "id": rpc_id, **body}
        extra = {"Allow": "GET, POST, OPTIONS"} if error.status == 405 else None
        self.send_json(error.status, body, extra=extra)

    def _route(self):
        """(path without token prefix, token given or None)."""
        parts = urlsplit(self.path)
        path, token = parts.path, None
        if path.startswith(TOKEN_PREFIX):
            token, _, rest = path[len(TOKEN_PREFIX) :].partition("/")
            token, path = unquote(token), "/" + rest
        if token is None:
            token = self.headers.get(TOKEN_HEADER)
        if token is None:
            token = (parse_qs(parts.query).get("token") or [None])[-1]
        return path.rstrip("/") or "/", token

    def _check_token(self, given):
        expected = self.server.app.token
        if not expected:
            return
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise RequestError(403, "invalid_token", "missing or wrong proxy token")

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise RequestError(411, "length_required", "send a Content-Length")
        raw_length = self.headers.get("Content-Length") or "0"
        try:
            length = int(raw_length)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise RequestError(400, "bad_length", "Content-Length is not a number") from None
        limit = self.server.app.max_body
        if length > limit:
            # The body is not read, so this connection cannot carry another request.
            self.close_connection = True
            raise RequestError(
                413, "too_large", f"body of {length} bytes exceeds the {limit} byte limit"
            )
        self._body_read = True
        return self.rfile.read(length) if length else b""

    def read_json(self):
        return parse_json(self._read_body())

    def _discard_input(self, seconds=2.0, limit=64 * 1024 * 1024):
        """Read and drop what the client still sends after an early answer.

        Closing a socket with unread data makes the kernel reset the
        connection, and the client may then lose the answer it was sent.
        """
        self.wfile.flush()
        deadline = time.monotonic() + seconds
        self.connection.settimeout(0.2)
        try:
            while limit > 0 and time.monotonic() < deadline:
                chunk = self.connection.recv(min(limit, 1 << 20))
                if not chunk:
                    break
                limit -= len(chunk)
        except OSError:
            pass

    def _rpc_id_of_unread_body(self):
        """The JSON-RPC id of a request that will be refused anyway, if it has one."""
        try:
            body = self.read_json()
            return _rpc_id(body) if isinstance(body, dict) else None
        except RequestError:
            return None

    def _client_gone(self):
        """True when the browser closed the connection (e.g. the till reloaded)."""
        sock = self.connection
        try:
            if not select.select([sock], [], [], 0)[0]:
                return False
            # The plain socket's recv, also under TLS: it peeks at the raw stream,
            # where an orderly close still reads as b"".
            return socket.socket.recv(sock, 1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    # -- verbs ---------------------------------------------------------------------

    def do_OPTIONS(self):
        """CORS preflight, including Private / Local Network Access; never needs the token."""
        self.send_response(204)
        self._cors_headers()
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header(
            "Access-Control-Allow-Headers",
            self.headers.get("Access-Control-Request-Headers") or DEFAULT_ALLOWED_HEADERS,
        )
        self.send_header("Access-Control-Max-Age", PREFLIGHT_MAX_AGE)
        if self.headers.get("Access-Control-Request-Private-Network", "").lower() == "true":
            self.send_header("Access-Control-Allow-Private-Network", "true")
        if self.headers.get("Access-Control-Request-Local-Network", "").lower() == "true":
            self.send_header("Access-Control-Allow-Local-Network", "true")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _skip_unread_body(self):
        """Consume the body of a request refused before reading it (e.g. bad token).

        Left in the stream it would be parsed as the next request of this
        keep-alive connection.
        """
        if getattr(self, "_body_read", False) or self.close_connection:
            return
        try:
            self._read_body()
        except RequestError:
            self.close_connection = True

    def _dispatch(self, verb):
        rpc_id = None
        self._body_read = False
        try:
            path, token = self._route()
            if path == "/hw_proxy/hello":
                if verb != "GET":
                    raise RequestError(405, "method_not_allowed", "use GET")
                self._send(200, b"ping", "text/plain")
                return
            self._check_token(token)
            app = self.server.app
            if path == "/" and verb == "GET":
                self.send_json(200, app.summary())
                return
            sim_route = SIM_ROUTES.get(path)
            if sim_route is not None and sim_route(self, app, verb):
                return
            handler = RPC_ROUTES.get(path)
            if handler is None:
                rpc_id = self._rpc_id_of_unread_body() if verb == "POST" else None
                raise RequestError(404, "not_found", f"no route {path} on this proxy")
            if verb != "POST":
                raise RequestError(405, "method_not_allowed", f"{path} takes a JSON-RPC POST")
            request = self.read_json()
            if not isinstance(request, dict):
                raise RequestError(422, "invalid_request", "expected a JSON-RPC object")
            rpc_id = _rpc_id(request)
            params = request.get("params", {})
            if params is None:
                params = {}
            if not isinstance(params, dict):
                raise RequestError(422, "invalid_params", "params must be an object")
            result = handler(self, app, params)
            self.send_json(200, {"jsonrpc": "2.0", "id": rpc_id, "result": result})
        except RequestError as error:
            if error.status >= 500:
                _logger.warning("%s %s: %s", verb, self.path, error.message)
            self._skip_unread_body()
            self._send_error(error, rpc_id)
            if error.status == 413:
                self._discard_input()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            _logger.exception("%s %s failed", verb, self.path)
            self.close_connection = True
            self._send_error(RequestError(500, "internal_error", "the proxy failed"), rpc_id)

    # -- JSON-RPC routes -----------------------------------------------------------

    def rpc_handshake(self, app, params):
        return True

    def rpc_status_json(self, app, params):
        return app.status()

    def rpc_default_printer_action(self, app, params):
        data = params.get("data")
        if not isinstance(data, dict):
            raise RequestError(422, "invalid_params", "params.data must be an object")
        try:
            return app.printer_action(data)
        except ActionError as exc:
            raise RequestError(422, exc.code, str(exc)) from None

    def rpc_scanner(self, app, params):
        return app.scan_queue.wait(app.scanner_timeout, gone=self._client_gone)


RPC_ROUTES = {
    "/hw_proxy/handshake": ProxyRequestHandler.rpc_handshake,
    "/hw_proxy/status_json": ProxyRequestHandler.rpc_status_json,
    "/hw_proxy/default_printer_action": ProxyRequestHandler.rpc_default_printer_action,
    "/hw_proxy/scanner": ProxyRequestHandler.rpc_scanner,
}
