import logging

import psycopg2.errors
from werkzeug.exceptions import HTTPException

from odoo import models
from odoo.exceptions import ConcurrencyError, ValidationError
from odoo.http import request

_logger = logging.getLogger(__name__)
API_PREFIX = "/vms/api/"
RETRY_AFTER_SECONDS = 1


class IrHttp(models.AbstractModel):
    """Errors that escape a route of the VMS API (Odoo's retry loop runs
    around the route, so an exhausted serialization retry or a unique-key
    race found at commit surfaces here) answered in JSON like every refusal
    of the API, never as an HTML page or a 500."""

    _inherit = "ir.http"

    @classmethod
    def _handle_error(cls, exception):
        if not request or not request.httprequest.path.startswith(API_PREFIX):
            return super()._handle_error(exception)
        if isinstance(
            exception,
            (
                ConcurrencyError,
                ValidationError,  # a unique-key race, as Odoo's retry loop reports it
                psycopg2.errors.SerializationFailure,
                psycopg2.errors.DeadlockDetected,
                psycopg2.errors.LockNotAvailable,
                psycopg2.errors.UniqueViolation,
            ),
        ):
            return cls._vms_api_error(
                409,
                "busy",
                "Another request on the same voucher is being processed; retry shortly.",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
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
