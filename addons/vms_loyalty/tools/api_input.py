"""What the VMS API accepts, declared once: the parser of request bodies and
the OpenAPI document are both made from these declarations, so the document
states every bound the server enforces.

Every input is bounded: the body's size and nesting, each string's length
and characters (no NUL, nothing unprintable), each number's magnitude and
scale. A body that breaks a bound is refused before anything else runs.
"""

import json
import re
from decimal import Decimal

MAX_BODY = 64 * 1024
MAX_DEPTH = 6  # {"lines": [{"qty": 1}]} is three deep
MAX_NUMBER_CHARS = 24
MAX_LINES = 200
INT32_MAX = 2**31 - 1
# A positive decimal with at most 9 digits before and 6 after the point; the
# currency's own decimals and rounding are the engine's to check.
AMOUNT_PATTERN = r"^[0-9]{1,9}(\.[0-9]{1,6})?$"
_AMOUNT_RE = re.compile(AMOUNT_PATTERN)
QTY_PATTERN = r"^[0-9]{1,7}(\.[0-9]{1,3})?$"
_QTY_RE = re.compile(QTY_PATTERN)
# Points: a positive number with at most 3 decimals; the programme's own
# precision is the engine's to check.
POINTS_PATTERN = r"^[0-9]{1,9}(\.[0-9]{1,3})?$"
_POINTS_RE = re.compile(POINTS_PATTERN)
MAX_PAYMENTS = 20


def _number_text(value):
    """A JSON number as plain decimal text, or None for one far out of any
    bound (so that ``1e999999`` is never written out digit by digit)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite() or value.adjusted() > 12 or value.as_tuple().exponent < -12:
            return None
        return format(value, "f")
    return str(value)


class InputError(ValueError):
    """A request that breaks what the API accepts: ``code``, a message, the field."""

    def __init__(self, code, message, status=422, field=None):
        super().__init__(message)
        self.code = code
        self.status = status
        self.field = field


# ----------------------------------------------------------------------
# The body
# ----------------------------------------------------------------------


def _refuse_number(text):
    raise InputError("invalid_json", f"The number {text[:16]}... is too long.", status=400)


def _parse_int(text):
    if len(text) > MAX_NUMBER_CHARS:
        _refuse_number(text)
    return int(text)


def _parse_float(text):
    if len(text) > MAX_NUMBER_CHARS:
        _refuse_number(text)
    return Decimal(text)


def _parse_constant(text):
    raise InputError("invalid_json", f"{text} is not a number JSON allows.", status=400)


def _depth(text):
    """The deepest nesting of arrays and objects in a JSON text (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def check_strings(value, path="body", depth=0):
    """No NUL nor other control character (nor a lone surrogate, which cannot
    even be encoded) in any key or string, and no nesting deeper than
    :data:`MAX_DEPTH`. Also the rule of the panel's and the till's JSON-RPC
    routes, whose bodies Odoo parses itself."""
    if isinstance(value, str):
        if not value.isprintable():
            raise InputError("invalid_payload", f"{path} holds a control character.", field=path)
    elif isinstance(value, (dict, list)):
        if depth >= MAX_DEPTH:
            raise InputError("invalid_payload", f"{path} is nested too deeply.", field=path)
        if isinstance(value, dict):
            for key, item in value.items():
                check_strings(key, path, depth)
                check_strings(item, key, depth + 1)
        else:
            for item in value:
                check_strings(item, path, depth + 1)


def load_body(raw, max_bytes=MAX_BODY):
    """The JSON object of a request body, or an :class:`InputError`."""
    if raw is None:
        raw = b""
    if len(raw) > max_bytes:
        raise InputError("payload_too_large", "The body is too large.", status=413)
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise InputError("invalid_json", "The body is not UTF-8.", status=400) from None
    if not text.strip():
        return {}
    if _depth(text) > MAX_DEPTH:
        raise InputError("invalid_json", "The body is nested too deeply.", status=400)
    try:
        body = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except InputError:
        raise
    except (ValueError, RecursionError):
        raise InputError("invalid_json", "The body is not JSON.", status=400) from None
    if not isinstance(body, dict):
        raise InputError("invalid_json", "The body must be a JSON object.", status=400)
    check_strings(body)
    return body


# ----------------------------------------------------------------------
# Fields
# ----------------------------------------------------------------------


class Field:
    def parse(self, name, value):
        raise NotImplementedError

    def schema(self):
        raise NotImplementedError


class Text(Field):
    def __init__(self, max_length, min_length=1, pattern=None, description=None):
        self.max_length = max_length
        self.min_length = min_length
        self.pattern = pattern
        self.regex = re.compile(pattern) if pattern else None
        self.description = description

    def parse(self, name, value):
        if not isinstance(value, str):
            raise InputError("invalid_payload", f"{name} must be a string.", field=name)
        if not self.min_length <= len(value) <= self.max_length:
            raise InputError(
                "invalid_payload",
                f"{name} has {self.min_length} to {self.max_length} characters.",
                field=name,
            )
        if self.regex and not self.regex.match(value):
            raise InputError("invalid_payload", f"{name} is not well formed.", field=name)
        return value

    def schema(self):
        schema = {"type": "string", "minLength": self.min_length, "maxLength": self.max_length}
        if self.pattern:
            schema["pattern"] = self.pattern
        if self.description:
            schema["description"] = self.description
        return schema


class Amount(Field):
    """A positive decimal, as a string ("12.50") or a JSON number."""

    def parse(self, name, value):
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise InputError("invalid_amount", f"{name} must be a decimal number.", field=name)
        text = _number_text(value)
        if text is None or not _AMOUNT_RE.match(text):
            raise InputError(
                "invalid_amount",
                f"{name} must be a positive decimal such as 12.50 (at most 9 digits before "
                "the point and 6 after).",
                field=name,
            )
        amount = Decimal(text)
        if amount <= 0:
            raise InputError("invalid_amount", f"{name} must be above zero.", field=name)
        return amount

    def schema(self):
        return {
            "oneOf": [
                {"type": "string", "pattern": AMOUNT_PATTERN},
                {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 999999999,
                    "multipleOf": 0.000001,
                },
            ],
            "description": "Positive, with at most the currency's decimals and on its rounding "
            "grid (an amount the currency would round is refused).",
        }


class Integer(Field):
    def __init__(self, minimum=1, maximum=INT32_MAX):
        self.minimum = minimum
        self.maximum = maximum

    def parse(self, name, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError("invalid_payload", f"{name} must be an integer.", field=name)
        if not self.minimum <= value <= self.maximum:
            raise InputError(
                "invalid_payload",
                f"{name} is between {self.minimum} and {self.maximum}.",
                field=name,
            )
        return value

    def schema(self):
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


class Lines(Field):
    """The bill's lines: each an item (by barcode or internal reference), a
    quantity and a unit price."""

    ITEM = Text(64, pattern=r"^[\x21-\x7e]+$")
    PRICE = Amount()

    def parse(self, name, value):
        if not isinstance(value, list) or len(value) > MAX_LINES:
            raise InputError(
                "invalid_payload", f"{name} is a list of at most {MAX_LINES} lines.", field=name
            )
        lines = []
        for index, line in enumerate(value):
            where = f"{name}[{index}]"
            if not isinstance(line, dict) or set(line) - {
                "barcode",
                "default_code",
                "qty",
                "price_unit",
            }:
                raise InputError(
                    "invalid_payload",
                    f"{where} is an object of barcode or default_code, qty and price_unit.",
                    field=name,
                )
            keys = [key for key in ("barcode", "default_code") if key in line]
            if len(keys) != 1:
                raise InputError(
                    "invalid_payload",
                    f"{where} names its item by barcode or default_code.",
                    field=name,
                )
            qty = line.get("qty")
            qty_text = (
                None
                if isinstance(qty, bool) or not isinstance(qty, (int, Decimal, str))
                else _number_text(qty)
            )
            if qty_text is None or not _QTY_RE.match(qty_text) or Decimal(qty_text) <= 0:
                raise InputError(
                    "invalid_payload",
                    f"{where}.qty is a positive quantity (at most 3 decimals).",
                    field=name,
                )
            if "price_unit" not in line:
                raise InputError("invalid_payload", f"{where}.price_unit is required.", field=name)
            lines.append(
                {
                    "by": keys[0],
                    "item": self.ITEM.parse(f"{where}.{keys[0]}", line[keys[0]]),
                    "qty": Decimal(qty_text),
                    "price_unit": self.PRICE.parse(f"{where}.price_unit", line["price_unit"]),
                }
            )
        return lines

    def schema(self):
        item = self.ITEM.schema()
        qty = {
            "oneOf": [
                {"type": "string", "pattern": QTY_PATTERN},
                {"type": "number", "exclusiveMinimum": 0, "maximum": 9999999, "multipleOf": 0.001},
            ]
        }
        line = {
            "type": "object",
            "properties": {
                "barcode": item,
                "default_code": item,
                "qty": qty,
                "price_unit": self.PRICE.schema(),
            },
            "required": ["qty", "price_unit"],
            "oneOf": [{"required": ["barcode"]}, {"required": ["default_code"]}],
            "additionalProperties": False,
        }
        return {"type": "array", "maxItems": MAX_LINES, "items": line}


class Points(Field):
    """A positive number of points, as a string ("120") or a JSON number."""

    def parse(self, name, value):
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise InputError("invalid_points", f"{name} must be a number of points.", field=name)
        text = _number_text(value)
        if text is None or not _POINTS_RE.match(text) or Decimal(text) <= 0:
            raise InputError(
                "invalid_points",
                f"{name} must be a positive number such as 120 (at most 9 digits before the "
                "point and 3 after).",
                field=name,
            )
        return Decimal(text)

    def schema(self):
        return {
            "oneOf": [
                {"type": "string", "pattern": POINTS_PATTERN},
                {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 999999999,
                    "multipleOf": 0.001,
                },
            ],
            "description": "Positive, with at most the programme's decimals (integers by default).",
        }


class Choice(Field):
    def __init__(self, *values):
        self.values = values

    def parse(self, name, value):
        if value not in self.values:
            raise InputError(
                "invalid_payload", f"{name} is one of {', '.join(self.values)}.", field=name
            )
        return value

    def schema(self):
        return {"enum": list(self.values)}


class Payments(Field):
    """How a bill was paid: each part's kind (points, a voucher, otherwise) and
    amount, and a voucher's code; the parts paid with points, and by vouchers
    whose "bonus points accrue" is off, earn no points."""

    KIND = Choice("points", "voucher", "other")
    AMOUNT = Amount()
    VOUCHER = Text(128)

    def parse(self, name, value):
        if not isinstance(value, list) or len(value) > MAX_PAYMENTS:
            raise InputError(
                "invalid_payload",
                f"{name} is a list of at most {MAX_PAYMENTS} payments.",
                field=name,
            )
        payments = []
        for index, payment in enumerate(value):
            where = f"{name}[{index}]"
            if not isinstance(payment, dict) or set(payment) - {"kind", "amount", "code"}:
                raise InputError(
                    "invalid_payload", f"{where} is an object of kind, amount and code.", field=name
                )
            kind = self.KIND.parse(f"{where}.kind", payment.get("kind"))
            parsed = {
                "kind": kind,
                "amount": self.AMOUNT.parse(f"{where}.amount", payment.get("amount")),
            }
            if kind == "voucher":
                parsed["code"] = self.VOUCHER.parse(f"{where}.code", payment.get("code"))
            payments.append(parsed)
        return payments

    def schema(self):
        return {
            "type": "array",
            "maxItems": MAX_PAYMENTS,
            "items": {
                "type": "object",
                "properties": {
                    "kind": self.KIND.schema(),
                    "amount": self.AMOUNT.schema(),
                    "code": self.VOUCHER.schema(),
                },
                "required": ["kind", "amount"],
                "additionalProperties": False,
            },
        }


CODE = Text(128, description="The voucher's code, EAN-13 or a third party's QR payload.")
REWARD_CODE = Text(
    32, pattern=r"^[A-Za-z0-9-]{1,32}$", description="A reward code the member shows (its QR)."
)
FIELDS = {
    "code": CODE,
    "amount": Amount(),
    "bill_amount": Amount(),
    "order_ref": Text(128, pattern=r"^\S(.*\S)?$"),
    "idempotency_key": Text(128, min_length=8),
    "card": Text(19, min_length=8, pattern=r"^[0-9]{8,19}$", description="Club card number."),
    "currency": Text(3, min_length=3, pattern=r"^[A-Z]{3}$"),
    "pin": Text(8, min_length=4, pattern=r"^[0-9]{4,8}$", description="PIN of an e-voucher."),
    "lines": Lines(),
    "ttl_seconds": Integer(1, 86400),
    "otp_id": Integer(),
    "otp_code": Text(6, min_length=6, pattern=r"^[0-9]{6}$"),
    "reason": Text(256),
    "points": Points(),
    "purpose": Choice("voucher", "points"),
    "reward": Text(
        32, pattern=r"^[A-Za-z0-9-]{1,32}$", description="The reward's code in the catalogue."
    ),
    "reward_code": REWARD_CODE,
    "payments": Payments(),
}
SALE = ("currency", "card", "lines", "bill_amount", "pin")
# Per route: (required fields, optional fields).
BODIES = {
    "validate": (("code", "amount"), (*SALE, "order_ref")),
    "hold": (("code", "amount", "order_ref", "idempotency_key"), (*SALE, "ttl_seconds")),
    "confirm": (("idempotency_key",), ("otp_id", "otp_code", "bill_amount")),
    "release": ((), ("idempotency_key",)),
    "reverse": (("idempotency_key", "reason"), ("amount",)),
    "redeem": (("code", "amount", "order_ref", "idempotency_key"), (*SALE, "otp_id", "otp_code")),
    # A voucher's OTP names the voucher (code); a points OTP the member's card.
    "otp": (("amount", "order_ref"), ("purpose", "code", "card", "pin")),
    "points_redeem": (
        ("card", "order_ref", "idempotency_key"),
        ("points", "amount", "otp_id", "otp_code", "bill_amount"),
    ),
    "points_convert": (("card", "points", "idempotency_key"), ("order_ref", "otp_id", "otp_code")),
    "points_earn": (("card", "lines", "order_ref", "idempotency_key"), ("payments",)),
    "reward_claim": (("card", "reward", "idempotency_key"), ("order_ref", "otp_id", "otp_code")),
    "reward_redeem": (("idempotency_key",), ()),
}


def parse_body(route, body):
    """The fields of ``body`` for ``route``, checked, as plain values (absent
    optional fields are left out)."""
    required, optional = BODIES[route]
    unknown = set(body) - set(required) - set(optional)
    if unknown:
        name = sorted(unknown)[0]
        raise InputError(
            "unknown_field", f"{name[:40]} is not a field of this request.", field=name[:40]
        )
    values = {}
    for name in (*required, *optional):
        value = body.get(name)
        if value is None:
            if name in required:
                raise InputError(f"{name}_required", f"{name} is required.", field=name)
            continue
        values[name] = FIELDS[name].parse(name, value)
    return values


def body_schema(route):
    required, optional = BODIES[route]
    return {
        "type": "object",
        "properties": {name: FIELDS[name].schema() for name in (*required, *optional)},
        "required": list(required),
        "additionalProperties": False,
    }
