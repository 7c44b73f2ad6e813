import logging

import psycopg2.errors
from werkzeug.exceptions import HTTPException

from odoo import models
from odoo.exceptions import AccessDenied, ConcurrencyError, UserError, ValidationError
from odoo.http import SessionExpiredException, request

_logger = logging.getLogger(__name__)
API_PREFIX = "/vms/api/"
RETRY_AFTER_SECONDS = 1
BUSY = (
    ConcurrencyError,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
    psycopg2.errors.LockNotAvailable,
)


class IrHttp(models.AbstractModel):
    """Errors that escape a route of the VMS API (Odoo's retry loop runs
    around the route, so an exhausted serialization retry or a unique-key
    race found at commit surfaces here) answered in JSON like every refusal
    of the API, never as an HTML page or a 500.

    The JSON-RPC routes of the panel and the till (:meth:`_vms_rpc_prefixes`)
    answer such errors as their own refusals, ``{"ok": false, "error": ...}``,
    and so do bodies Odoo's JSON-RPC dispatcher cannot read before any route
    runs (nesting past Python's recursion limit, ``params`` that is not an
    object): never a traceback in the answer."""

    _inherit = "ir.http"

    @classmethod
    def _vms_rpc_prefixes(cls):
        """The paths of the JSON-RPC routes answered as the panel answers."""
        return ("/vms/panel/",)

    @classmethod
    def _handle_error(cls, exception):
        if not request:
            return super()._handle_error(exception)
        path = request.httprequest.path
        if path.startswith(API_PREFIX):
            return cls._vms_api_handle_error(exception)
        if (
            path.startswith(cls._vms_rpc_prefixes())
            and request.dispatcher.routing_type == "jsonrpc"
        ):
            answer = cls._vms_rpc_handle_error(exception)
            if answer is not None:
                return answer
        return super()._handle_error(exception)

    @classmethod
    def _vms_rpc_handle_error(cls, exception):
        """A JSON-RPC refusal for ``exception``, or None for Odoo's own answer
        (an expired session the client logs in again for, a user error it
        shows, an HTTP error)."""
        if isinstance(exception, BUSY):
            exception.loglevel = logging.INFO
            return cls._vms_rpc_refusal(
                "busy", "Another request on the same voucher is being processed; retry shortly."
            )
        if isinstance(exception, (ValidationError, psycopg2.IntegrityError)):
            exception.loglevel = logging.WARNING
            return cls._vms_rpc_refusal(
                "conflict", "The request conflicts with a record; nothing was changed."
            )
        if isinstance(exception, (HTTPException, SessionExpiredException, AccessDenied, UserError)):
            return None
        if not hasattr(request, "params"):
            # The dispatcher failed reading the body: the caller's error, not ours.
            exception.loglevel = logging.WARNING
            return cls._vms_rpc_refusal("invalid_request", "The request is malformed.")
        # A bug: Odoo logs it with its traceback; the caller gets none of it.
        return cls._vms_rpc_refusal("internal_error", "The server failed; nothing was changed.")

    @classmethod
    def _vms_rpc_refusal(cls, code, message):
        dispatcher = request.dispatcher
        request_id = dispatcher.request_id
        if not isinstance(request_id, (int, str)) or not str(request_id).isprintable():
            dispatcher.request_id = None  # echoed back: it must encode
        error = {"code": code, "message": message}
        return dispatcher._response(result={"ok": False, "error": error})

    @classmethod
    def _vms_api_handle_error(cls, exception):
        if isinstance(exception, BUSY):
            # Odoo retried the request and another one kept winning: answered,
            # not an error of the server (logged at info, not as a traceback).
            exception.loglevel = logging.INFO
            return cls._vms_api_error(
                409,
                "busy",
                "Another request on the same voucher is being processed; retry shortly.",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        if isinstance(exception, (ValidationError, psycopg2.IntegrityError)):
            # A database rule found at commit (Odoo's retry loop reports a unique
            # key as a ValidationError): a conflict that a retry does not solve.
            exception.loglevel = logging.WARNING
            return cls._vms_api_error(
                409, "conflict", "The request conflicts with a record; nothing was changed."
            )
        if isinstance(exception, HTTPException) and exception.code and exception.code < 500:
            return cls._vms_api_error(
                exception.code, "http_error", exception.description or exception.name
            )
        _logger.exception("VMS API: unexpected error on %s", request.httprequest.path)
        return cls._vms_api_error(500, "internal_error", "The server failed; nothing was changed.")

    @classmethod
    def _vms_api_error(cls, status, code, message, headers=None):
        response = request.make_json_response(
            {"error": {"code": code, "message": message}}, status=status, headers=headers
        )
        return response
