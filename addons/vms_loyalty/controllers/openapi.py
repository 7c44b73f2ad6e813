"""The OpenAPI 3.1 description of the voucher API (served as openapi.json).

Kept next to the routes and checked against Odoo's routing map by the tests,
so the document and the routes cannot drift apart.
"""

AMOUNT = {
    "oneOf": [
        {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
        {"type": "number", "exclusiveMinimum": 0},
    ],
    "description": "Positive, with at most the currency's decimals.",
}
KEY = {"type": "string", "minLength": 8, "maxLength": 128}
TEXT = {"type": "string", "maxLength": 256}
LINE = {
    "type": "object",
    "properties": {
        "barcode": TEXT,
        "default_code": TEXT,
        "qty": {"type": "number", "exclusiveMinimum": 0},
        "price_unit": AMOUNT,
    },
    "required": ["qty", "price_unit"],
}
ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
MONEY = {"type": "string", "pattern": r"^\d+(\.\d+)?$"}
REDEMPTION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "state": {"enum": ["held", "confirmed", "released", "expired"]},
        "code": {"type": "string"},
        "amount": MONEY,
        "reversed_amount": MONEY,
        "currency": {"type": "string"},
        "order_ref": {"type": "string"},
        "expires_at": {"type": "string"},
        "voucher_state": {"type": "string"},
        "balance": MONEY,
        "available": MONEY,
        "remainder_code": {
            "type": ["string", "null"],
            "description": "The new voucher what was left was paid out as (campaign option).",
        },
    },
}
VOUCHER = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "state": {"enum": ["generated", "handed_over", "active", "blocked", "used"]},
        "expired": {"type": "boolean"},
        "balance": MONEY,
        "available": MONEY,
        "currency": {"type": "string"},
        "valid_from": {"type": ["string", "boolean"]},
        "valid_to": {"type": ["string", "boolean"]},
    },
}
VALIDATION = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "valid": {"type": "boolean"},
        "eligible_amount": MONEY,
        "balance": MONEY,
        "available": MONEY,
        "currency": {"type": "string"},
    },
}
OTP = {
    "type": "object",
    "properties": {
        "otp_id": {"type": "integer"},
        "masked_phone": {"type": "string"},
        "expires_at": {"type": "string"},
    },
}


def _body(properties, required):
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": properties, "required": required}
            }
        },
    }


def _operation(summary, answer, body=None, errors=(400, 401, 403, 404, 409, 422)):
    responses = {"200": {"description": "OK", "content": {"application/json": {"schema": answer}}}}
    for status in errors:
        responses[str(status)] = {
            "description": "Refused; nothing was changed.",
            "content": {"application/json": {"schema": ERROR}},
        }
    operation = {"summary": summary, "responses": responses, "security": [{"apiKey": []}]}
    if body:
        operation["requestBody"] = body
    return operation


HOLD_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def openapi_document(prefix):
    otp_fields = {"otp_id": {"type": "integer"}, "otp_code": {"type": "string"}}
    # The PIN of an e-voucher, given with its code.
    pin = {"pin": {"type": "string", "pattern": "^[0-9]{4,8}$"}}
    paths = {
        "/vouchers/validate": {
            "post": _operation(
                "What a voucher may pay for an order, or why not.",
                VALIDATION,
                _body(
                    {
                        "code": TEXT,
                        "amount": AMOUNT,
                        "currency": TEXT,
                        "order_ref": TEXT,
                        "card": TEXT,
                        "lines": {"type": "array", "items": LINE},
                        **pin,
                    },
                    ["code", "amount"],
                ),
            )
        },
        "/redemptions": {
            "post": _operation(
                "Hold an amount of a voucher for an order.",
                REDEMPTION,
                _body(
                    {
                        "code": TEXT,
                        "amount": AMOUNT,
                        "order_ref": TEXT,
                        "idempotency_key": KEY,
                        "ttl_seconds": {"type": "integer", "minimum": 1},
                        "card": TEXT,
                        "currency": TEXT,
                        "lines": {"type": "array", "items": LINE},
                        **otp_fields,
                        **pin,
                    },
                    ["code", "amount", "order_ref", "idempotency_key"],
                ),
            )
        },
        "/redemptions/{id}/confirm": {
            "post": _operation(
                "Spend a held amount, once.",
                REDEMPTION,
                _body({"idempotency_key": KEY, **otp_fields}, ["idempotency_key"]),
                errors=(400, 401, 403, 404, 409, 422, 429),
            ),
            "parameters": [HOLD_ID],
        },
        "/redemptions/{id}/release": {
            "post": _operation("Free a held amount.", REDEMPTION),
            "parameters": [HOLD_ID],
        },
        "/redemptions/{id}/reverse": {
            "post": _operation(
                "Give a confirmed redemption back (refund).",
                REDEMPTION,
                _body(
                    {"idempotency_key": KEY, "amount": AMOUNT, "reason": TEXT},
                    ["idempotency_key", "reason"],
                ),
            ),
            "parameters": [HOLD_ID],
        },
        "/redeem": {
            "post": _operation(
                "Hold and confirm in one call.",
                REDEMPTION,
                _body(
                    {
                        "code": TEXT,
                        "amount": AMOUNT,
                        "order_ref": TEXT,
                        "idempotency_key": KEY,
                        "card": TEXT,
                        "currency": TEXT,
                        **otp_fields,
                        **pin,
                    },
                    ["code", "amount", "order_ref", "idempotency_key"],
                ),
                errors=(400, 401, 403, 404, 409, 422, 429),
            )
        },
        "/otp": {
            "post": _operation(
                "Send the holder a one-time code approving a redemption.",
                OTP,
                _body(
                    {
                        "code": TEXT,
                        "card": TEXT,
                        "partner_ref": TEXT,
                        "amount": AMOUNT,
                        "order_ref": TEXT,
                    },
                    ["amount", "order_ref"],
                ),
                errors=(400, 401, 403, 404, 422, 429),
            )
        },
        "/vouchers/{code}": {
            "get": _operation("State and balance of a voucher.", VOUCHER, errors=(401, 403, 404)),
            "parameters": [
                {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
        },
        "/openapi.json": {
            "get": {
                "summary": "This document.",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1 document"}},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "VMS voucher API",
            "version": "1.0.0",
            "description": "Validate, hold, confirm, release, reverse and redeem vouchers, "
            "and send OTPs, for vending machines, apps and web shops. Every mutating call "
            "takes an idempotency key: a retry returns the first answer and changes nothing.",
        },
        "servers": [{"url": prefix}],
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An Odoo API key of a VMS Channel user.",
                }
            }
        },
        "paths": paths,
    }
