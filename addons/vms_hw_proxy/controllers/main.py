import json
import math

from odoo import http
from odoo.http import request

SECRET_HEADER = "X-VMS-Proxy-Secret"
MAX_BODY = 64 * 1024
MAX_DEPTH = 8
MAX_RESULTS = 100  # job results in one report
JOB_STATES_REPORTED = ("sent", "done", "failed")
PAYLOAD_MIMETYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


class ProxyRequestError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _depth(value, limit):
    """Refuse JSON nested deeper than ``limit`` (iteratively: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                raise ProxyRequestError(400, "too_deep", f"JSON nested deeper than {limit}")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str) and "\x00" in item:
            raise ProxyRequestError(422, "invalid_payload", "strings must not hold NUL")


def _no_constant(name):
    raise ValueError(name)


def _finite(text):
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def proxy_route(path, **overrides):
    """A route a proxy POSTs JSON to. The proxy is no browser: its bus secret,
    checked by ``_serve``, is its credential, so no CSRF token and no session."""
    routing = {
        "type": "http",
        "auth": "public",
        "methods": ["POST"],
        "csrf": False,
        "save_session": False,
    }
    return http.route(path, **{**routing, **overrides})


class VmsProxyController(http.Controller):
    """What a proxy started with --odoo-url and --bus-secret tells Odoo.

    Every route takes a JSON body, authenticates the proxy by its bus secret
    (header ``X-VMS-Proxy-Secret``) and answers JSON; every refusal is a 4xx
    with ``{"error": {"code", "message"}}`` and changes nothing.
    """

    def _serve(self, handler):
        try:
            configs = self._proxy_configs()
            payload = self._payload()
            return handler(configs, payload)
        except ProxyRequestError as error:
            request.env.cr.rollback()
            return request.make_json_response(
                {"error": {"code": error.code, "message": error.message}}, status=error.status
            )

    @staticmethod
    def _proxy_configs():
        secret = request.httprequest.headers.get(SECRET_HEADER)
        configs = request.env["pos.config"]._vms_find_by_bus_secret(secret)
        if not configs:
            raise ProxyRequestError(403, "unknown_secret", "No till uses this proxy bus secret.")
        return configs

    @staticmethod
    def _payload():
        length = request.httprequest.content_length
        if length is not None and length > MAX_BODY:
            raise ProxyRequestError(413, "too_large", f"Bodies are limited to {MAX_BODY} bytes.")
        raw = request.httprequest.get_data(cache=False)[: MAX_BODY + 1]
        if len(raw) > MAX_BODY:
            raise ProxyRequestError(413, "too_large", f"Bodies are limited to {MAX_BODY} bytes.")
        try:
            payload = json.loads(
                raw.decode() or "{}", parse_constant=_no_constant, parse_float=_finite
            )
        except RecursionError:
            raise ProxyRequestError(400, "too_deep", "The body is nested too deeply.") from None
        except ValueError:  # includes UnicodeDecodeError and numbers of 4300+ digits
            raise ProxyRequestError(400, "invalid_json", "The body is not JSON.") from None
        if not isinstance(payload, dict):
            raise ProxyRequestError(422, "invalid_payload", "Expected a JSON object.")
        _depth(payload, MAX_DEPTH)
        return payload

    @staticmethod
    def _job_id(payload):
        job_id = payload.get("job_id")
        if isinstance(job_id, bool) or not isinstance(job_id, int) or not 0 < job_id < 2**31:
            raise ProxyRequestError(422, "invalid_job_id", "job_id must be a positive integer.")
        return job_id

    @classmethod
    def _job(cls, configs, payload):
        job_id = cls._job_id(payload)
        # sudo: the proxy is the public user; it sees only its own tills' jobs
        job = request.env["vms.hw.job"].sudo().browse(job_id).exists()
        if not job or job.config_id not in configs:
            raise ProxyRequestError(404, "unknown_job", "This proxy has no such job.")
        return job

    @staticmethod
    def _result(item):
        """(job id, state, message) of one reported result, checked."""
        if not isinstance(item, dict):
            raise ProxyRequestError(422, "invalid_payload", "Each result must be an object.")
        job_id = VmsProxyController._job_id(item)
        state = item.get("state")
        if state not in JOB_STATES_REPORTED:
            raise ProxyRequestError(422, "invalid_state", "state must be sent, done or failed.")
        message = item.get("message") or ""
        if not isinstance(message, str):
            raise ProxyRequestError(422, "invalid_payload", "message must be a string.")
        return job_id, state, message[:500]

    # -- routes ----------------------------------------------------------------------

    @proxy_route("/vms_hw_proxy/status")
    def proxy_status(self):
        def handle(configs, payload):
            devices = payload.get("devices")
            if not isinstance(devices, dict):
                raise ProxyRequestError(
                    422, "invalid_payload", "Expected {devices: {...}, printer_width, bus}."
                )
            extra = {"vms_proxy_on_bus": bool(payload.get("bus"))}
            width = payload.get("printer_width")
            if width is not None:
                if isinstance(width, bool) or not isinstance(width, int) or not 64 <= width <= 2048:
                    raise ProxyRequestError(
                        422, "invalid_payload", "printer_width must be 64 to 2048 dots."
                    )
                extra["vms_proxy_printer_width"] = width
            configs._vms_store_proxy_status(configs._vms_clean_devices(devices), "proxy", extra)
            return request.make_json_response(
                {
                    "ok": True,
                    "tills": len(configs),
                    "report_scans": any(configs.mapped("vms_proxy_report_scans")),
                    # The proxy names it in X-Odoo-Database from then on: Odoo then
                    # need not list its databases on every call to find this one.
                    "db": request.db,
                }
            )

        return self._serve(handle)

    @proxy_route("/vms_hw_proxy/scan")
    def proxy_scan(self):
        def handle(configs, payload):
            barcode = payload.get("barcode")
            if not isinstance(barcode, str) or not barcode.strip() or len(barcode) > 256:
                raise ProxyRequestError(
                    422, "invalid_barcode", "barcode must be a string of 1 to 256 characters."
                )
            if any(ord(char) < 32 for char in barcode):
                raise ProxyRequestError(
                    422, "invalid_barcode", "barcode must not hold control characters."
                )
            stored = configs._vms_store_scan(barcode.strip())
            return request.make_json_response({"ok": True, "tills": len(stored)})

        return self._serve(handle)

    @proxy_route("/vms_hw_proxy/job/payload", auth="none", readonly=True)
    def job_payload(self):
        """The image of a job, on the way to the printer, kept lean: no user (the
        secret is the credential, checked here), a read-only cursor, no session
        saved, one query for the proxy's tills and one for the job and its image,
        no ORM. The proxy says "sent" later, off that way."""

        def handle(configs, payload):
            found = request.env["vms.hw.job"]._vms_proxy_payload(configs, self._job_id(payload))
            if found is None:
                raise ProxyRequestError(404, "unknown_job", "This proxy has no such job.")
            state, data = found
            if state == "expired":
                raise ProxyRequestError(410, "expired", "This job expired: do not print it.")
            if state not in ("waiting", "sent"):
                raise ProxyRequestError(409, "finished", f"This job is {state} already.")
            mimetype = next(
                (kind for magic, kind in PAYLOAD_MIMETYPES.items() if data.startswith(magic)),
                "application/octet-stream",
            )
            return request.make_response(
                data,
                headers=[("Content-Type", mimetype), ("Cache-Control", "no-store")],
            )

        return self._serve(handle)

    @proxy_route("/vms_hw_proxy/job/result")
    def job_result(self):
        """How jobs ended: ``{"job_id", "state", "message"}`` for one job, answered
        ``{"ok", "state"}`` (or a 4xx), or ``{"results": [...]}`` for up to 100,
        answered one entry per result, ``{"job_id", "ok", "state"}`` or ``{"job_id",
        "ok": false, "error"}``: a batch is not refused for the one job that
        finished meanwhile. A malformed batch is refused whole and changes nothing."""

        def handle(configs, payload):
            if "results" not in payload:
                job_id, state, message = self._result(payload)
                job = self._apply_result(configs, job_id, state, message)
                job.config_id._vms_notify_back_office("job")
                return request.make_json_response({"ok": True, "state": job.state})
            items = payload["results"]
            if not isinstance(items, list) or not 0 < len(items) <= MAX_RESULTS:
                raise ProxyRequestError(
                    422, "invalid_payload", f"results must be a list of 1 to {MAX_RESULTS}."
                )
            results = [self._result(item) for item in items]
            answers, touched = [], request.env["pos.config"]
            for job_id, state, message in results:
                try:
                    # Refuses before writing anything: no savepoint needed.
                    job = self._apply_result(configs, job_id, state, message)
                except ProxyRequestError as error:
                    answers.append(
                        {
                            "job_id": job_id,
                            "ok": False,
                            "error": {"code": error.code, "message": error.message},
                        }
                    )
                    continue
                touched |= job.config_id
                answers.append({"job_id": job_id, "ok": True, "state": job.state})
            touched._vms_notify_back_office("job")
            return request.make_json_response({"ok": True, "results": answers})

        return self._serve(handle)

    @staticmethod
    def _apply_result(configs, job_id, state, message):
        job = VmsProxyController._job(configs, {"job_id": job_id})
        if state == "sent":
            job._vms_mark_sent()
        elif not job._vms_mark_result(state == "done", message):
            raise ProxyRequestError(409, "finished", f"This job is {job.state} already.")
        return job
