import base64
import hashlib
import hmac
import secrets

from odoo import _, fields, models
from odoo.exceptions import ValidationError

PIN_ITERATIONS = 100_000


class VmsVoucherPin(models.AbstractModel):
    """The PIN of an e-voucher: kept as a salted PBKDF2 hash only, readable by
    system administrators alone, checked through ``vms.voucher.pin.failure``
    so that wrong PINs are counted before the comparison."""

    _name = "vms.voucher.pin"
    _description = "E-voucher PIN"

    pin_hash = fields.Char(copy=False, groups="base.group_system")
    has_pin = fields.Boolean(compute="_compute_has_pin", string="PIN Set")

    def _compute_has_pin(self):
        # sudo: only whether a hash exists is shown, never the hash.
        hashes = {v.id: bool(v.pin_hash) for v in self.sudo()}
        for voucher in self:
            voucher.has_pin = hashes.get(voucher.id, False)

    @staticmethod
    def _vms_hash_pin(pin, salt=None, iterations=PIN_ITERATIONS):
        salt = salt or secrets.token_bytes(16)
        digest = hashlib.pbkdf2_hmac("sha256", str(pin).encode(), salt, iterations)
        return salt, digest

    def _vms_set_pin(self, pin):
        """Store a salted PBKDF2 hash of an e-voucher PIN; the PIN itself is not kept."""
        self.ensure_one()
        if not pin or not str(pin).isdigit() or not 4 <= len(str(pin)) <= 8:
            raise ValidationError(_("A voucher PIN is 4 to 8 digits."))
        salt, digest = self._vms_hash_pin(pin)
        salt_text = base64.b64encode(salt).decode()
        digest_text = base64.b64encode(digest).decode()
        value = f"pbkdf2_sha256${PIN_ITERATIONS}${salt_text}${digest_text}"
        # sudo: pin_hash is readable by system administrators only; the caller
        # already holds write access to the voucher.
        self.check_access("write")
        self.sudo().write({"pin_hash": value, "redeem_pin": True})
        self.env["vms.voucher.pin.failure"].sudo()._vms_forget(self)

    def _vms_check_pin(self, pin):
        """Whether ``pin`` is this voucher's PIN (no counting: see
        ``vms.voucher.pin.failure._vms_try``)."""
        self.ensure_one()
        # sudo: compares against the hash without ever returning it.
        stored = self.sudo().pin_hash
        if not stored or not pin:
            return False
        _algo, iterations, salt, digest = stored.split("$")
        _salt, candidate = self._vms_hash_pin(pin, base64.b64decode(salt), int(iterations))
        return hmac.compare_digest(candidate, base64.b64decode(digest))
