"""JSON API for vending machines, apps and web shops (``/vms/api/v1``).

Authenticated by ``Authorization: Bearer <Odoo API key>`` of a user in the
"VMS Channel" group (or a VMS Manager). Every answer is JSON; every refusal is
``{"error": {"code": ..., "message": ...}}`` with a 4xx status, and changes
nothing: the request's transaction is rolled back before answering.
"""

import json
import re
from decimal import Decimal, InvalidOperation
from functools import wraps

from odoo import _, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from ..exceptions import VmsError, VmsNotFound
from ..models.vms_redemption_express import AMOUNT_RE
from .openapi import openapi_document

API = "/vms/api/v1"
MAX_BODY = 256 * 1024
# The fields of a /redeem body the engine's express lane can take.
EXPRESS_PAYLOAD = {"code", "amount", "order_ref", "idempotency_key"}
MONEY_KEYS = ("amount", "reversed_amount", "balance", "available")


class ApiError(VmsError):
    """A refusal of the API layer itself (authentication, payload shape)."""


def _error(status, code, message, **details):
    body = {"error": {"code": code, "message": message, **details}}
    response = request.make_json_response(body, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def api_route(path, methods=("POST",)):
    """A JSON route of the API: bearer authentication, JSON body, JSON errors."""

    def decorate(func):
        @http.route(
            path,
            type="http",
            # The API key is the authentication (see _authenticate); "public"
            # would first build a public user's environment for nothing.
            auth="none",
            methods=list(methods),
            csrf=False,
            save_session=False,
            readonly=False,
        )
        @wraps(func)
        def route(self, **kwargs):
            try:
                self._authenticate()
                payload = self._payload() if "POST" in methods else {}
                return request.make_json_response(func(self, payload, **kwargs))
            except (VmsError, AccessError, ValidationError, UserError) as error:
                # A refusal changes nothing (a savepoint would cost two round trips
                # on every successful call).
                request.env.cr.rollback()
                return _refusal(error)

        return route

    return decorate


def _refusal(error):
    if isinstance(error, VmsError):
        return _error(error.http_status, error.code, error.args[0], **error.details)
    if isinstance(error, AccessError):
        return _error(403, "forbidden", error.args[0])
    return _error(422, "refused", error.args[0])


class VmsApi(http.Controller):
    # ------------------------------------------------------------------
    # Routes
    # ------------------------------------------------------------------

    @api_route(f"{API}/vouchers/validate")
    def validate(self, payload):
        engine = request.env["vms.redemption"]
        voucher = engine._vms_find(self._text(payload, "code"), self._pin(payload))
        currency = self._currency(payload, voucher)
        amount = self._amount(payload, "amount", currency)
        lines = self._lines(payload)
        voucher, eligible = engine._vms_validate(
            None,
            amount,
            currency=currency,
            card=self._card(payload),
            lines=lines,
            voucher=voucher,
        )
        return {
            "code": voucher.code,
            "valid": True,
            "eligible_amount": self._money(eligible, voucher),
            "balance": self._money(voucher.balance, voucher),
            "available": self._money(voucher.balance - voucher._vms_held_amount(), voucher),
            "currency": voucher.currency_id.name,
        }

    @api_route(f"{API}/redemptions")
    def hold(self, payload):
        engine = request.env["vms.redemption"]
        voucher = engine._vms_find(self._text(payload, "code"), self._pin(payload))
        hold = engine._vms_hold(
            None,
            self._amount(payload, "amount", voucher.currency_id),
            order_ref=self._text(payload, "order_ref"),
            idempotency_key=self._text(payload, "idempotency_key"),
            channel="api",
            ttl_seconds=self._int(payload, "ttl_seconds", required=False),
            card=self._card(payload),
            currency=self._currency(payload, voucher),
            lines=self._lines(payload),
            voucher=voucher,
        )
        return self._redemption(hold)

    @api_route(f"{API}/redemptions/<int:hold_id>/confirm")
    def confirm(self, payload, hold_id):
        hold = self._hold(hold_id)
        hold = hold._vms_confirm(
            self._text(payload, "idempotency_key"),
            otp_id=self._int(payload, "otp_id", required=False),
            otp_code=self._text(payload, "otp_code", required=False),
        )
        return self._redemption(hold)

    @api_route(f"{API}/redemptions/<int:hold_id>/release")
    def release(self, payload, hold_id):
        return self._redemption(self._hold(hold_id)._vms_release())

    @api_route(f"{API}/redemptions/<int:hold_id>/reverse")
    def reverse(self, payload, hold_id):
        hold = self._hold(hold_id)
        amount = None
        if payload.get("amount") is not None:
            amount = self._amount(payload, "amount", hold.currency_id)
        hold = hold._vms_reverse(
            self._text(payload, "idempotency_key"),
            amount=amount,
            reason=self._text(payload, "reason"),
        )
        return self._redemption(hold)

    @api_route(f"{API}/redeem")
    def redeem(self, payload):
        engine = request.env["vms.redemption"]
        code = self._text(payload, "code")
        order_ref = self._text(payload, "order_ref")
        idempotency_key = self._text(payload, "idempotency_key")
        if EXPRESS_PAYLOAD.issuperset(payload):
            # A plain request: the engine's express lane, if the voucher is plain too.
            result = engine._vms_redeem_express(
                code,
                payload.get("amount"),
                order_ref=order_ref,
                idempotency_key=idempotency_key,
                channel="api",
            )
            if result is not None:
                places = result.pop("decimal_places")
                for name in MONEY_KEYS:
                    result[name] = f"{result[name]:.{places}f}"
                return result
        voucher = engine._vms_find(code, self._pin(payload))
        hold = engine._vms_redeem(
            None,
            self._amount(payload, "amount", voucher.currency_id),
            order_ref=order_ref,
            idempotency_key=idempotency_key,
            channel="api",
            otp_id=self._int(payload, "otp_id", required=False),
            otp_code=self._text(payload, "otp_code", required=False),
            card=self._card(payload),
            currency=self._currency(payload, voucher),
            voucher=voucher,
            express=False,
        )
        return self._redemption(hold)

    @api_route(f"{API}/otp")
    def request_otp(self, payload):
        holder, currency = self._otp_holder(payload)
        otp = request.env["vms.otp"]._vms_request(
            holder,
            self._amount(payload, "amount", currency),
            self._text(payload, "order_ref"),
            "voucher_redemption",
            currency=currency,
        )
        return {
            "otp_id": otp.id,
            "masked_phone": otp._vms_masked_phone(),
            "expires_at": otp.expires_at.isoformat() + "Z",
        }

    @api_route(f"{API}/vouchers/<string:code>", methods=("GET",))
    def voucher(self, payload, code):
        # A lookup spends nothing: any way of naming the voucher will do.
        voucher = request.env["vms.voucher"]._vms_find_by_code(code)
        return {
            "code": voucher.code,
            "state": voucher.state,
            "expired": voucher.is_expired,
            "balance": self._money(voucher.balance, voucher),
            "available": self._money(voucher.balance - voucher._vms_held_amount(), voucher),
            "currency": voucher.currency_id.name,
            "valid_from": voucher.valid_from and voucher.valid_from.isoformat(),
            "valid_to": voucher.valid_to and voucher.valid_to.isoformat(),
        }

    @http.route(f"{API}/openapi.json", type="http", auth="public", methods=["GET"], csrf=False)
    def openapi(self):
        return request.make_json_response(openapi_document(API))

    # ------------------------------------------------------------------
    # Authentication and payload
    # ------------------------------------------------------------------

    def _authenticate(self):
        header = request.httprequest.headers.get("Authorization", "")
        match = re.match(r"^bearer\s+(\S+)$", header, re.IGNORECASE)
        if not match:
            raise ApiError(
                "unauthorized",
                _("Send an Odoo API key as 'Authorization: Bearer <key>'."),
                http_status=401,
            )
        uid = request.env["res.users.apikeys"]._vms_api_user(match.group(1))
        if not uid:
            raise ApiError(
                "unauthorized", _("This API key is unknown or revoked."), http_status=401
            )
        request.update_env(user=uid)
        request.session.can_save = False
        user = request.env.user
        if not (
            user.has_group("vms_loyalty.group_vms_channel")
            or user.has_group("vms_loyalty.group_vms_manager")
        ):
            raise ApiError(
                "forbidden",
                _("%(user)s is not a VMS Channel user.", user=user.name),
                http_status=403,
            )

    def _payload(self):
        length = request.httprequest.content_length or 0
        if length > MAX_BODY:
            raise ApiError("payload_too_large", _("The body is too large."), http_status=413)
        raw = request.httprequest.get_data(as_text=True)
        try:
            payload = json.loads(raw or "{}", parse_float=Decimal)
        except ValueError:
            raise ApiError("invalid_json", _("The body is not JSON."), http_status=400) from None
        if not isinstance(payload, dict):
            raise ApiError("invalid_json", _("The body must be a JSON object."), http_status=400)
        return payload

    @staticmethod
    def _text(payload, name, required=True):
        value = payload.get(name)
        if value is None or value == "":
            if required:
                raise ApiError(f"{name}_required", _("%s is required.", name))
            return None
        if not isinstance(value, str) or len(value) > 256:
            raise ApiError("invalid_payload", _("%s must be a string.", name), field=name)
        return value

    @staticmethod
    def _int(payload, name, required=True):
        value = payload.get(name)
        if value is None:
            if required:
                raise ApiError(f"{name}_required", _("%s is required.", name))
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ApiError("invalid_payload", _("%s must be an integer.", name), field=name)
        return value

    @staticmethod
    def _amount(payload, name, currency):
        """A positive decimal string or number with at most the currency's decimals."""
        value = payload.get(name)
        if value is None:
            raise ApiError("amount_required", _("%s is required.", name))
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise ApiError("invalid_amount", _("%s must be a decimal number.", name), field=name)
        text = str(value).strip()
        if not AMOUNT_RE.match(text):
            raise ApiError(
                "invalid_amount",
                _(
                    "%(name)s must be a positive decimal number, not %(value)s.",
                    name=name,
                    value=text[:32],
                ),
                field=name,
            )
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ApiError("invalid_amount", _("%s is not a number.", name), field=name) from None
        decimals = -amount.as_tuple().exponent if "." in text else 0
        if decimals > currency.decimal_places:
            raise ApiError(
                "invalid_amount",
                _(
                    "%(name)s has more decimals than %(currency)s allows (%(places)s).",
                    name=name,
                    currency=currency.name,
                    places=currency.decimal_places,
                ),
                field=name,
            )
        if amount <= 0:
            raise ApiError("invalid_amount", _("%s must be positive.", name), field=name)
        return float(amount)

    def _pin(self, payload):
        pin = self._text(payload, "pin", required=False)
        if pin is not None and not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise ApiError("invalid_pin", _("A PIN is 4 to 8 digits."), field="pin")
        return pin

    def _currency(self, payload, voucher):
        name = self._text(payload, "currency", required=False)
        if not name:
            return voucher.currency_id
        currency = request.env["res.currency"].sudo().search([("name", "=", name.upper())])
        if not currency:
            raise ApiError("invalid_currency", _("Unknown currency %s.", name), field="currency")
        return currency

    def _card(self, payload):
        number = self._text(payload, "card", required=False)
        if not number:
            return None
        card = request.env["vms.card"].search([("number", "=", number)], limit=1)
        if not card:
            raise VmsNotFound("card_not_found", _("No club card %s.", number))
        return card

    def _lines(self, payload):
        lines = payload.get("lines")
        if lines is None:
            return None
        if not isinstance(lines, list) or len(lines) > 500:
            raise ApiError("invalid_payload", _("lines must be a list."), field="lines")
        Product = request.env["product.product"]
        result = []
        for index, line in enumerate(lines):
            if not isinstance(line, dict):
                raise ApiError("invalid_payload", _("Each line is an object."), field="lines")
            key = "barcode" if line.get("barcode") else "default_code"
            reference = self._text(line, key)
            product = Product.search([(key, "=", reference)], limit=1)
            if not product:
                raise VmsNotFound("item_not_found", _("No item %s.", reference), line=index)
            qty = line.get("qty")
            if isinstance(qty, bool) or not isinstance(qty, (int, Decimal)) or qty <= 0:
                raise ApiError("invalid_payload", _("qty must be positive."), line=index)
            currency = request.env.company.currency_id
            result.append(
                {
                    "product": product,
                    "qty": float(qty),
                    "price_unit": self._amount(line, "price_unit", currency),
                }
            )
        return result

    def _hold(self, hold_id):
        hold = request.env["vms.redemption"].search([("id", "=", hold_id)])
        if not hold:
            raise VmsNotFound("redemption_not_found", _("No redemption %s.", hold_id))
        return hold

    def _otp_holder(self, payload):
        if payload.get("code"):
            voucher = request.env["vms.voucher"]._vms_find_by_code(self._text(payload, "code"))
            holder = voucher.partner_id or voucher.card_id.partner_id
            currency = voucher.currency_id
        elif payload.get("card"):
            holder = self._card(payload).partner_id
            currency = request.env.company.currency_id
        elif payload.get("partner_ref"):
            ref = self._text(payload, "partner_ref")
            holder = request.env["res.partner"].search([("ref", "=", ref)], limit=1)
            currency = request.env.company.currency_id
        else:
            raise ApiError("holder_required", _("Give a voucher code, a card or a partner_ref."))
        if not holder:
            raise VmsNotFound("holder_not_found", _("No customer to send a code to."))
        return holder.sudo(), currency

    def _redemption(self, hold):
        result = hold._vms_result()
        for name in MONEY_KEYS:
            result[name] = self._money(result[name], hold)
        return result

    @staticmethod
    def _money(amount, voucher):
        currency = voucher.currency_id
        return f"{currency.round(amount):.{currency.decimal_places}f}"
