"""JSON API for vending machines, apps and web shops (``/vms/api/v1``).

Authenticated by ``Authorization: Bearer <key>`` with a key made for a VMS
channel (Vouchers > Configuration > Channels), of the VMS API scope. Each
route authenticates, parses its body once (``tools/api_input.py``), calls
one entry point of the engine (``vms.redemption._vms_api_*``) and maps its
refusal to a status. Every answer is JSON; every refusal is
``{"error": {"code": ..., "message": ...}}`` with a 4xx status, and changes
nothing: the request's transaction is rolled back before answering.
"""

import json
import logging
import re
from functools import wraps

from odoo import _, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from ..exceptions import VmsError
from ..tools import api_input
from .openapi import openapi_document

_logger = logging.getLogger(__name__)
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
    # Odoo's own errors may name people and records (a constraint's message):
    # the channel gets their kind, the log the rest.
    _logger.info("VMS API: refused with %s: %s", type(error).__name__, error)
    if isinstance(error, AccessError):
        return json_error(403, "forbidden", _("This channel may not do this."))
    return json_error(
        422, "refused", _("A rule of the store refused the request; nothing changed.")
    )


def readonly_unless_counted(controller, rule, args):
    """Reads may go to a replica (``db_replica_host``), except those that
    count something on the primary: a PIN's attempts, or an unknown barcode
    or third-party payload (counted per caller, see
    ``vms.voucher.lookup.failure``). Only a voucher's own code, which has a
    check character and is not guessed, is read on the replica for sure."""
    httprequest = request.httprequest
    if httprequest.headers.get("X-Voucher-PIN"):
        return False
    code = args.get("code")
    if code is None:
        if (httprequest.content_length or 0) > api_input.MAX_BODY:
            return True  # refused unread by the route
        raw = httprequest.get_data(cache=True) or b""
        if b'"pin"' in raw:
            return False
        try:
            code = json.loads(raw).get("code")
        except (ValueError, AttributeError, RecursionError):
            return True  # refused by the route
    match = re.match(r"^bearer\s+(\S{1,200})$", httprequest.headers.get("Authorization", ""), re.I)
    if not isinstance(code, str) or not match:
        return True
    env = request.env
    uid = env["res.users.apikeys"]._vms_api_user(match.group(1))
    if not uid:
        return True  # refused by the route
    company = env["res.company"].sudo().browse(env["res.company"]._vms_user_company_id(uid))
    try:
        method, _value = env["vms.voucher"].sudo()._vms_presentation(code, company)
    except VmsError:
        return True  # refused by the route, as it is
    return method == "code"


def api_route(path, methods=("POST",), readonly=False):
    """A route of the API: any method reaches it (another than ``methods`` is
    answered 405 in JSON), bearer authentication, JSON errors.

    ``readonly`` routes change nothing, so Odoo may serve them from a
    PostgreSQL replica (``db_replica_host``); it may be a function of the
    request (see :func:`readonly_unless_counted`).
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
    """The request's body, parsed and checked for ``route``. Kept read: Odoo
    runs a request again after a serialization failure, with the same body."""
    httprequest = request.httprequest
    if (httprequest.content_length or 0) > api_input.MAX_BODY:
        raise api_input.InputError("payload_too_large", "The body is too large.", status=413)
    return api_input.parse_body(route, api_input.load_body(httprequest.get_data(cache=True)))


def checked_hold_id(value):
    if not 0 < value <= INT32_MAX:
        raise api_input.InputError("redemption_not_found", "No such redemption.", status=404)
    return value


class VmsApi(http.Controller):
    @api_route(f"{API}/vouchers/validate", readonly=readonly_unless_counted)
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

    @api_route(f"{API}/vouchers/<string:code>", methods=("GET",), readonly=readonly_unless_counted)
    def voucher(self, code):
        # An e-voucher's PIN comes in a header: Odoo logs URLs, never headers.
        pin = request.httprequest.headers.get("X-Voucher-PIN")
        if pin is not None:
            pin = api_input.FIELDS["pin"].parse("X-Voucher-PIN", pin)
        code = api_input.FIELDS["code"].parse("code", code)
        return request.env["vms.redemption"]._vms_api_voucher(code, pin)

    # Club points --------------------------------------------------------------

    @api_route(f"{API}/members/<string:card>/points", methods=("GET",), readonly=True)
    def member_points(self, card):
        card = api_input.FIELDS["card"].parse("card", card)
        return request.env["vms.redemption"]._vms_api_member_points(card)

    @api_route(f"{API}/points/redeem")
    def points_redeem(self):
        return request.env["vms.redemption"]._vms_api_points_redeem(body("points_redeem"))

    @api_route(f"{API}/points/convert")
    def points_convert(self):
        return request.env["vms.redemption"]._vms_api_points_convert(body("points_convert"))

    @api_route(f"{API}/points/earn")
    def points_earn(self):
        return request.env["vms.redemption"]._vms_api_points_earn(body("points_earn"))

    @api_route(f"{API}/rewards/claim")
    def reward_claim(self):
        return request.env["vms.redemption"]._vms_api_reward_claim(body("reward_claim"))

    @api_route(f"{API}/rewards/<string:code>/redeem")
    def reward_redeem(self, code):
        code = api_input.FIELDS["reward_code"].parse("code", code)
        return request.env["vms.redemption"]._vms_api_reward_redeem(code, body("reward_redeem"))

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
        ["/vms/api", "/vms/api/<path:rest>"],
        type="http",
        auth="none",
        methods=None,
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def not_found(self, rest=None):
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
