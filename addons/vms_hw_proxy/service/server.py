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
from .printing import ReceiptError

_logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-VMS-Proxy-Token"
TOKEN_PREFIX = "/vms-token/"
DEFAULT_ALLOWED_HEADERS = f"Content-Type, {TOKEN_HEADER}"
PREFLIGHT_MAX_AGE = "600"


class RequestError(Exception):
    """Answered as a JSON error with an HTTP status; the service carries on."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


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

    def _send_json(self, status, payload, extra=None):
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
        self._send_json(error.status, body, extra=extra)

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

    def _read_json(self):
        body = self._read_body()
        try:
            return json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise RequestError(400, "invalid_json", "the request body is not JSON") from None

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
            body = self._read_json()
        except RequestError:
            return None
        return body.get("id") if isinstance(body, dict) else None

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
                self._send_json(200, app.summary())
                return
            if path == "/vms/sim/scan" and app.sim_scanner is not None:
                self._sim_scan(verb)
                return
            if path == "/vms/sim/printer" and app.sim_printer is not None and verb == "GET":
                self._send_json(200, app.sim_printer_summary())
                return
            handler = RPC_ROUTES.get(path)
            if handler is None:
                rpc_id = self._rpc_id_of_unread_body() if verb == "POST" else None
                raise RequestError(404, "not_found", f"no route {path} on this proxy")
            if verb != "POST":
                raise RequestError(405, "method_not_allowed", f"{path} takes a JSON-RPC POST")
            request = self._read_json()
            if not isinstance(request, dict):
                raise RequestError(422, "invalid_request", "expected a JSON-RPC object")
            rpc_id = request.get("id")
            params = request.get("params", {})
            if params is None:
                params = {}
            if not isinstance(params, dict):
                raise RequestError(422, "invalid_params", "params must be an object")
            result = handler(self, app, params)
            self._send_json(200, {"jsonrpc": "2.0", "id": rpc_id, "result": result})
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

    def _sim_scan(self, verb):
        if verb != "POST":
            raise RequestError(405, "method_not_allowed", 'POST {"barcode": "..."}')
        body = self._read_json()
        if isinstance(body, dict) and isinstance(body.get("params"), dict):
            body = body["params"]
        barcode = body.get("barcode") if isinstance(body, dict) else None
        if not isinstance(barcode, str) or not barcode.strip():
            raise RequestError(422, "invalid_barcode", "barcode must be a non-empty string")
        self.server.app.sim_scanner.inject(barcode)
        self._send_json(200, {"ok": True})

    # -- JSON-RPC routes -----------------------------------------------------------

    def rpc_handshake(self, app, params):
        return True

    def rpc_status_json(self, app, params):
        return app.status()

    def rpc_default_printer_action(self, app, params):
        data = params.get("data")
        if not isinstance(data, dict):
            raise RequestError(422, "invalid_params", "params.data must be an object")
        action = data.get("action")
        unique_id = data.get("action_unique_id")
        if unique_id is not None and not isinstance(unique_id, (str, int)):
            raise RequestError(422, "invalid_params", "action_unique_id must be a string")
        unique_id = str(unique_id) if unique_id not in (None, "") else None
        if action == "print_receipt":
            if "receipt" not in data:
                raise RequestError(422, "invalid_receipt", "data.receipt is missing")
            try:
                return app.printing.print_receipt(data["receipt"], unique_id)
            except ReceiptError as exc:
                raise RequestError(422, "invalid_receipt", str(exc)) from None
        if action == "cashbox":
            return app.printing.open_cashbox(unique_id)
        raise RequestError(
            422, "invalid_action", f"unknown action {action!r} (print_receipt or cashbox)"
        )

    def rpc_scanner(self, app, params):
        return app.scanners.queue.wait(app.scanner_timeout, gone=self._client_gone)


RPC_ROUTES = {
    "/hw_proxy/handshake": ProxyRequestHandler.rpc_handshake,
    "/hw_proxy/status_json": ProxyRequestHandler.rpc_status_json,
    "/hw_proxy/default_printer_action": ProxyRequestHandler.rpc_default_printer_action,
    "/hw_proxy/scanner": ProxyRequestHandler.rpc_scanner,
}
