"""JSON API for vending machines, apps and web shops (``/vms/api/v1``).

Authenticated by ``Authorization: Bearer <key>`` with a key made for a VMS
channel (Vouchers > Configuration > Channels), of the VMS API scope. Each
route authenticates, parses its body once (``tools/api_input.py``), calls
one entry point of the engine (``vms.redemption._vms_api_*``) and maps its
refusal to a status. Every answer is JSON; every refusal is
``{"error": {"code": ..., "message": ...}}`` with a 4xx status, and changes
nothing: the request's transaction is rolled back before answering.
"""

import re
from functools import wraps

from odoo import _, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from ..exceptions import VmsError
from ..tools import api_input
from .openapi import openapi_document

API = "/vms/api/v1"
INT32_MAX = 2**31 - 1


def json_error(status, code, message, headers=None, **details):
    """A refusal as every route of the API answers it."""
    body = {"error": {"code": code, "message": message, **details}}
    response = request.make_json_response(body, status=status, headers=headers)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _refusal(error):
    if isinstance(error, api_input.InputError):
        details = {"field": error.field} if error.field else {}
        return json_error(error.status, error.code, error.args[0], **details)
    if isinstance(error, VmsError):
        headers = {}
        if error.details.get("retry_after"):
            headers["Retry-After"] = str(error.details["retry_after"])
        return json_error(error.http_status, error.code, error.args[0], headers, **error.details)
    if isinstance(error, AccessError):
        return json_error(403, "forbidden", error.args[0])
    return json_error(422, "refused", error.args[0])


def readonly_unless_pin(controller, rule, args):
    """Reads may go to a replica (``db_replica_host``), except those that
    carry a PIN: a PIN's attempts are counted on the primary."""
    httprequest = request.httprequest
    if httprequest.headers.get("X-Voucher-PIN"):
        return False
    return b'"pin"' not in (httprequest.get_data(cache=True) or b"")


def api_route(path, methods=("POST",), readonly=False):
    """A route of the API: any method reaches it (another than ``methods`` is
    answered 405 in JSON), bearer authentication, JSON errors.

    ``readonly`` routes change nothing, so Odoo may serve them from a
    PostgreSQL replica (``db_replica_host``); it may be a function of the
    request (see :func:`readonly_unless_pin`).
    """

    def decorate(func):
        @http.route(
            path,
            type="http",
            # The API key is the authentication (see _authenticate); "public"
            # would first build a public user's environment for nothing.
            auth="none",
            methods=None,
            csrf=False,
            save_session=False,
            readonly=readonly,
        )
        @wraps(func)
        def route(self, **kwargs):
            if request.httprequest.method not in methods:
                return json_error(
                    405,
                    "method_not_allowed",
                    _("Use %(methods)s here.", methods=", ".join(methods)),
                    headers={"Allow": ", ".join(methods)},
                )
            try:
                self._authenticate()
                return request.make_json_response(func(self, **kwargs))
            except (
                api_input.InputError,
                VmsError,
                AccessError,
                ValidationError,
                UserError,
            ) as error:
                # A refusal changes nothing (a savepoint would cost two round trips
                # on every successful call).
                request.env.cr.rollback()
                return _refusal(error)

        return route

    return decorate


def body(route):
    """The request's body, parsed and checked for ``route``."""
    raw = request.httprequest.get_data(cache=False)
    return api_input.parse_body(route, api_input.load_body(raw))


def checked_hold_id(value):
    if not 0 < value <= INT32_MAX:
        raise api_input.InputError("redemption_not_found", "No such redemption.", status=404)
    return value


class VmsApi(http.Controller):
    @api_route(f"{API}/vouchers/validate", readonly=readonly_unless_pin)
    def validate(self):
        return request.env["vms.redemption"]._vms_api_validate(body("validate"))

    @api_route(f"{API}/redemptions")
    def hold(self):
        return request.env["vms.redemption"]._vms_api_hold(body("hold"))

    @api_route(f"{API}/redemptions/<int:hold_id>/confirm")
    def confirm(self, hold_id):
        return request.env["vms.redemption"]._vms_api_confirm(
            checked_hold_id(hold_id), body("confirm")
        )

    @api_route(f"{API}/redemptions/<int:hold_id>/release")
    def release(self, hold_id):
        return request.env["vms.redemption"]._vms_api_release(
            checked_hold_id(hold_id), body("release")
        )

    @api_route(f"{API}/redemptions/<int:hold_id>/reverse")
    def reverse(self, hold_id):
        return request.env["vms.redemption"]._vms_api_reverse(
            checked_hold_id(hold_id), body("reverse")
        )

    @api_route(f"{API}/redeem")
    def redeem(self):
        return request.env["vms.redemption"]._vms_api_redeem(body("redeem"))

    @api_route(f"{API}/otp")
    def request_otp(self):
        return request.env["vms.redemption"]._vms_api_otp(body("otp"))

    @api_route(f"{API}/vouchers/<string:code>", methods=("GET",), readonly=readonly_unless_pin)
    def voucher(self, code):
        # An e-voucher's PIN comes in a header: Odoo logs URLs, never headers.
        pin = request.httprequest.headers.get("X-Voucher-PIN")
        if pin is not None:
            pin = api_input.FIELDS["pin"].parse("X-Voucher-PIN", pin)
        code = api_input.FIELDS["code"].parse("code", code)
        return request.env["vms.redemption"]._vms_api_voucher(code, pin)

    @http.route(
        f"{API}/openapi.json",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def openapi(self):
        return request.make_json_response(openapi_document(API))

    @http.route(
        "/vms/api/<path:rest>",
        type="http",
        auth="none",
        methods=None,
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def not_found(self, rest):
        """Whatever else is under the API answers in JSON too."""
        return json_error(404, "not_found", _("No such route in the VMS API."))

    # ------------------------------------------------------------------
    # Authentication
    # ------------------------------------------------------------------

    def _authenticate(self):
        header = request.httprequest.headers.get("Authorization", "")
        match = re.match(r"^bearer\s+(\S{1,200})$", header, re.IGNORECASE)
        if not match:
            raise VmsError(
                "unauthorized",
                _("Send the channel's API key as 'Authorization: Bearer <key>'."),
                http_status=401,
            )
        uid = request.env["res.users.apikeys"]._vms_api_user(match.group(1))
        if not uid:
            raise VmsError(
                "unauthorized",
                _("This key is unknown, revoked, expired, or not a VMS channel key."),
                http_status=401,
            )
        request.update_env(user=uid)
        request.session.can_save = False
        if not request.env.user.has_group("vms_loyalty.group_vms_channel"):
            raise VmsError(
                "forbidden", _("This key does not belong to a VMS channel."), http_status=403
            )
