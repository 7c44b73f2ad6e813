"""The OpenAPI 3.1 description of the voucher API (served as openapi.json).

Kept next to the routes and checked against Odoo's routing map by the tests,
so the document and the routes cannot drift apart. The request bodies come
from the declarations the server parses them with (``tools/api_input.py``).
"""

from ..tools import api_input

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
        "valid_from": {"type": ["string", "null"]},
        "valid_to": {"type": ["string", "null"]},
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

POINTS = {"type": "string", "pattern": r"^\d+(\.\d+)?$"}
MEMBER_POINTS = {
    "type": "object",
    "properties": {
        "card": {"type": "string"},
        "card_state": {"enum": ["new", "active", "blocked"]},
        "points_balance": POINTS,
        "points_available": POINTS,
        "points_held": POINTS,
        "points_debt": POINTS,
        "value": {**MONEY, "description": "What the available points pay, in the currency."},
        "point_value": MONEY,
        "currency": {"type": "string"},
        "next_expiry_date": {"type": ["string", "null"], "format": "date"},
        "next_expiry_points": POINTS,
        "points_decimals": {"type": "integer"},
    },
}
POINTS_REDEMPTION = {
    "type": "object",
    "properties": {
        **REDEMPTION["properties"],
        **{
            name: MEMBER_POINTS["properties"][name]
            for name in (
                "points_balance",
                "points_available",
                "points_debt",
                "next_expiry_date",
                "next_expiry_points",
                "points_decimals",
            )
        },
        "kind": {"const": "points"},
        "card": {"type": ["string", "null"]},
        "points": POINTS,
        "points_reversed": POINTS,
        "voucher_code": {
            "type": ["string", "null"],
            "description": "The voucher the points were turned into (convert, voucher rewards).",
        },
        "voucher_valid_to": {"type": ["string", "null"]},
        "reward_code": {
            "type": ["string", "null"],
            "description": "The claim's code, shown by the member as a QR.",
        },
        "reward_state": {"enum": ["claimed", "redeemed", "canceled", "expired", None]},
    },
}
EARNING = {
    "type": "object",
    "properties": {
        **MEMBER_POINTS["properties"],
        "order_ref": {"type": "string"},
        "points_earned": POINTS,
        "lots": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "points": POINTS,
                    "expires_on": {"type": ["string", "null"], "format": "date"},
                },
            },
        },
    },
}
CARD = {
    "name": "card",
    "in": "path",
    "required": True,
    "schema": api_input.FIELDS["card"].schema(),
}
REWARD_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "schema": api_input.REWARD_CODE.schema(),
}

# Statuses every route may answer besides 200: a malformed body (400), no or
# a wrong key (401), a refusal of rights or of the engine (403, 404, 409, 422),
# a body too large (413), a limit reached (429).
ERRORS = (400, 401, 403, 404, 405, 409, 413, 422, 429)


def _body(route):
    return {
        "required": True,
        "content": {"application/json": {"schema": api_input.body_schema(route)}},
    }


# What a redemption's answer leads to: its id is the path of the next steps.
REDEMPTION_LINKS = {
    name: {"operationId": name, "parameters": {"id": "$response.body#/id"}}
    for name in ("confirm", "release", "reverse")
}


def _operation(summary, answer, route=None, *, errors=ERRORS, operation_id=None, links=None):
    responses = {"200": {"description": "OK", "content": {"application/json": {"schema": answer}}}}
    if links:
        responses["200"]["links"] = links
    for status in errors:
        responses[str(status)] = {
            "description": "Refused; nothing was changed.",
            "content": {"application/json": {"schema": ERROR}},
        }
        if status in (409, 429):
            responses[str(status)]["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before retrying, where it helps.",
                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                }
            }
    operation = {
        "operationId": operation_id or route,
        "summary": summary,
        "responses": responses,
        "security": [{"apiKey": []}],
    }
    if route:
        operation["requestBody"] = _body(route)
    return operation


HOLD_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": api_input.INT32_MAX},
}


def openapi_document(prefix):
    paths = {
        "/vouchers/validate": {
            "post": _operation(
                "What a voucher may pay for an order, or why not.", VALIDATION, "validate"
            )
        },
        "/redemptions": {
            "post": _operation(
                "Hold an amount of a voucher for an order.",
                REDEMPTION,
                "hold",
                links=REDEMPTION_LINKS,
            )
        },
        "/redemptions/{id}/confirm": {
            "post": _operation("Spend a held amount, once.", REDEMPTION, "confirm"),
            "parameters": [HOLD_ID],
        },
        "/redemptions/{id}/release": {
            "post": _operation("Free a held amount.", REDEMPTION, "release"),
            "parameters": [HOLD_ID],
        },
        "/redemptions/{id}/reverse": {
            "post": _operation(
                "Give a confirmed redemption back (refund); needs the channel's reversal right.",
                REDEMPTION,
                "reverse",
            ),
            "parameters": [HOLD_ID],
        },
        "/redeem": {
            "post": _operation(
                "Hold and confirm in one call.",
                REDEMPTION,
                "redeem",
                links={"reverse": REDEMPTION_LINKS["reverse"]},
            )
        },
        "/otp": {
            "post": _operation(
                "Send a one-time code approving a redemption: to the voucher's holder "
                "(purpose voucher, code), or to the member behind a club card (purpose "
                "points, card).",
                OTP,
                "otp",
            )
        },
        "/vouchers/{code}": {
            "get": _operation(
                "State and balance of a voucher (an e-voucher's with its PIN in the "
                "X-Voucher-PIN header).",
                VOUCHER,
                errors=(401, 403, 404, 405, 409, 422, 429),
                operation_id="voucher",
            ),
            "parameters": [
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "schema": {**api_input.CODE.schema(), "pattern": "^[^/]+$"},
                },
                {
                    "name": "X-Voucher-PIN",
                    "in": "header",
                    "required": False,
                    "schema": api_input.FIELDS["pin"].schema(),
                },
            ],
        },
        "/members/{card}/points": {
            "get": _operation(
                "A member's points: balance, what they are worth, and the next expiry.",
                MEMBER_POINTS,
                errors=(401, 403, 404, 405, 422),
            ),
            "parameters": [CARD],
        },
        "/points/redeem": {
            "post": _operation(
                "Pay with points: a number of points, or an amount of money (converted to "
                "points rounded up); with the OTP where the rules ask for it.",
                POINTS_REDEMPTION,
                "points_redeem",
            )
        },
        "/points/convert": {
            "post": _operation(
                "Turn points into an active voucher worth their value (voucher_code).",
                POINTS_REDEMPTION,
                "points_convert",
            )
        },
        "/points/earn": {
            "post": _operation(
                "Earn the points of a bill paid on the channel, once per order of the caller "
                "in the store, whichever card (else 409 already_earned); only for a channel "
                "that may award points (else 403 earn_not_allowed).",
                EARNING,
                "points_earn",
            )
        },
        "/rewards/claim": {
            "post": _operation(
                "Claim a reward of the catalogue: its points are held, the member gets its "
                "reward_code.",
                POINTS_REDEMPTION,
                "reward_claim",
            )
        },
        "/rewards/{code}/redeem": {
            "post": _operation(
                "Hand a claimed reward over: its points are spent, once.",
                POINTS_REDEMPTION,
                "reward_redeem",
            ),
            "parameters": [REWARD_CODE],
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
            "title": "VMS voucher and points API",
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
