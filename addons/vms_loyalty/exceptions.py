"""Refusals of the voucher, points and OTP services.

Every refusal carries a machine-readable ``code`` (``voucher_blocked``,
``otp_invalid`` ...) for tills, vending machines and web shops, a message for
people, and the HTTP status the JSON API answers with. They are ``UserError``s,
so the back office shows the message as any other Odoo error.
"""

from odoo.exceptions import UserError, ValidationError


class VmsError(UserError):
    """A refused request: nothing was changed."""

    http_status = 422

    def __init__(self, code, message, http_status=None, **details):
        super().__init__(message)
        self.code = code
        if http_status:
            self.http_status = http_status
        self.details = details

    def to_dict(self):
        error = {"code": self.code, "message": self.args[0]}
        error.update(self.details)
        return error


class VmsConflict(VmsError):
    """The balance is held or spent elsewhere (another till, the web shop ...)."""

    http_status = 409


class VmsInvalid(VmsError, ValidationError):
    """Malformed input (a mistyped code, an amount that is not one ...)."""


class VmsNotFound(VmsError, ValidationError):
    http_status = 404


class VmsTooManyRequests(VmsError):
    """OTP attempts used up, or OTPs asked for too often."""

    http_status = 429
