"""Signed voucher payloads: vouchers a till can trust without the server.

The QR code of a voucher carries ``CODE.PAYLOAD.SIGNATURE``:

- ``CODE`` is the voucher code itself (so the scanner's voucher rule and
  the check character work as for a plain code);
- ``PAYLOAD`` is base64url JSON: code, nominal and balance at signing,
  validity, card binding, holder / PIN / scope flags, company, key id;
- ``SIGNATURE`` is an ECDSA P-256 / SHA-256 signature of ``CODE.PAYLOAD``
  in the IEEE P1363 form (``r || s``, 64 bytes, base64url) that WebCrypto's
  ``crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, ...)`` checks.

One key pair per database, generated on first use; the private key never
leaves the server: it is a column of the table but no field of the model
(as Odoo keeps its API keys), so no user, not even an administrator, reads
or exports it through the model API; only :meth:`VmsSigningKey._vms_private_pem`
reads it, in SQL, to sign. Rotating makes a
new key current and keeps the old ones verifying until they are retired.
The public keys travel to the till with the POS data.
"""

import base64
import json
import secrets

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from odoo import _, api, fields, models
from odoo.tools import SQL, sql

from ..exceptions import VmsInvalid

PAYLOAD_VERSION = 1
MAX_QR = 2048


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def split_signed(text):
    """``(code, payload_b64, signature_b64)`` of a signed QR text, or None."""
    if not isinstance(text, str) or len(text) > MAX_QR:
        return None
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(parts):
        return None
    return tuple(parts)


class VmsSigningKey(models.Model):
    _name = "vms.signing.key"
    _description = "Voucher Signing Key"
    _order = "id desc"
    _rec_name = "kid"

    kid = fields.Char(string="Key ID", required=True, readonly=True, copy=False)
    state = fields.Selection(
        [("current", "Signing"), ("verify", "Verifies Only"), ("retired", "Retired")],
        default="current",
        required=True,
        readonly=True,
        help="Signing: signs new payloads. Verifies Only: an older key whose payloads are "
        "still accepted. Retired: its payloads are refused.",
    )
    public_x = fields.Char(string="Public Key X", readonly=True, required=True)
    public_y = fields.Char(string="Public Key Y", readonly=True, required=True)
    retired_at = fields.Datetime(readonly=True)

    _kid_unique = models.Constraint("UNIQUE(kid)", "A key id is unique.")

    def init(self):
        # The private key: a column the ORM does not know (see the module's doc).
        self.env.cr.execute(
            SQL(
                "ALTER TABLE %s ADD COLUMN IF NOT EXISTS private_key varchar",
                SQL.identifier(self._table),
            )
        )
        if sql.column_exists(self.env.cr, self._table, "private_pem"):
            # Keys made when the private key was a field: that field's column is
            # dropped at the end of the upgrade, so its keys are moved first.
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET private_key = private_pem "
                    "WHERE private_key IS NULL AND private_pem IS NOT NULL",
                    SQL.identifier(self._table),
                )
            )

    def _vms_private_pem(self):
        """The PEM of this key's private part, for the server to sign with;
        read once per transaction (a list or a print batch signs many
        vouchers with it; a key's private part never changes)."""
        self.ensure_one()
        known = self.env.cr.cache.setdefault("vms_signing_private_pem", {})
        if self.id not in known:
            self.env.cr.execute(
                SQL(
                    "SELECT private_key FROM %s WHERE id = %s",
                    SQL.identifier(self._table),
                    self.id,
                )
            )
            row = self.env.cr.fetchone()
            if not row or not row[0]:
                return None
            known[self.id] = row[0]
        return known[self.id]

    # Keys ---------------------------------------------------------------------

    @api.model
    def _vms_generate(self):
        private = ec.generate_private_key(ec.SECP256R1())
        numbers = private.public_key().public_numbers()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        # sudo: keys are the database's, created by the server for any signer.
        key = self.sudo().create(
            {
                "kid": secrets.token_hex(4),
                "public_x": b64url(numbers.x.to_bytes(32, "big")),
                "public_y": b64url(numbers.y.to_bytes(32, "big")),
            }
        )
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET private_key = %s WHERE id = %s",
                SQL.identifier(self._table),
                pem,
                key.id,
            )
        )
        return key.with_env(self.env)

    @api.model
    def _vms_current(self, create=True):
        """The signing key, generated on first use (None in a read-only
        transaction that has no key yet)."""
        # sudo: the current key is looked up for whoever signs; only the
        # server reads its private part.
        key = self.sudo().search([("state", "=", "current")], limit=1)
        if not key and create and not self.env.cr.readonly:
            key = self._vms_generate().sudo()
        return key or None

    def action_rotate(self):
        """A new signing key; the previous one keeps verifying until retired."""
        # Odoo's model API calls a public method for anyone who may read keys
        # (every store and till user): changing them is the managers' right.
        self.check_access("write")
        # sudo: the current key, whichever the caller named; the new key is
        # made by the server (no user creates keys), its private part stays here.
        self.sudo().search([("state", "=", "current")]).write({"state": "verify"})
        self._vms_generate()
        return True

    def action_retire(self):
        """Payloads signed by these keys are refused from now on."""
        if any(key.state == "current" for key in self):
            self.action_rotate()
        self.write({"state": "retired", "retired_at": fields.Datetime.now()})
        return True

    def _vms_public_jwk(self):
        self.ensure_one()
        return {"kty": "EC", "crv": "P-256", "x": self.public_x, "y": self.public_y}

    # Signing ------------------------------------------------------------------

    @api.model
    def _vms_voucher_claims(self, voucher):
        """What a till may rely on offline, as the voucher is now."""
        scope = voucher.discount_scope or "bill"
        claims = {
            "v": PAYLOAD_VERSION,
            "c": voucher.code,
            "vt": voucher.value_type,
            "n": voucher.nominal_amount,
            "b": voucher.balance,
            "cur": voucher.currency_id.name,
            "f": fields.Date.to_string(voucher.valid_from) if voucher.valid_from else None,
            "t": fields.Date.to_string(voucher.valid_to) if voucher.valid_to else None,
            "card": voucher.card_id.number or None,
            "cb": bool(voucher.card_bound),
            "h": bool(voucher.partner_id),
            "pin": bool(voucher.redeem_pin),
            "sc": scope,
            "mb": voucher.min_payment_amount or 0.0,
            "co": voucher.company_id.id,
            "iat": fields.Datetime.to_string(fields.Datetime.now()),
        }
        if scope == "item" and voucher.discount_product_id:
            claims["sp"] = [voucher.discount_product_id.id]
        return claims

    @api.model
    def _vms_sign_claims(self, claims, key=None):
        """``CODE.PAYLOAD.SIGNATURE`` for these claims, or None without a key."""
        key = key or self._vms_current()
        if not key:
            return None
        # sudo: the key id; the private key is read here, on the server, to
        # sign, and never returned.
        key = key.sudo()
        claims = {**claims, "kid": key.kid}
        payload = b64url(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        signed = f"{claims['c']}.{payload}"
        private = serialization.load_pem_private_key(key._vms_private_pem().encode(), password=None)
        der = private.sign(signed.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signed}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    @api.model
    def _vms_sign_voucher(self, voucher, key=None):
        """The signed QR text of ``voucher`` (by ``key``, default the current one)."""
        return self._vms_sign_claims(self._vms_voucher_claims(voucher), key=key)

    # Verifying ----------------------------------------------------------------

    @api.model
    def _vms_verify(self, text, today=None):
        """The claims of a signed QR text, or a refusal: malformed, unknown or
        retired key, signature that does not verify (tampered), expired."""
        parts = split_signed(text)
        if not parts:
            raise VmsInvalid("payload_malformed", _("This is not a signed voucher payload."))
        code, payload, signature = parts
        try:
            claims = json.loads(unb64url(payload))
            raw = unb64url(signature)
        except ValueError:
            raise VmsInvalid(
                "payload_malformed", _("The signed voucher payload is not readable.")
            ) from None
        if not isinstance(claims, dict) or not isinstance(claims.get("kid"), str):
            raise VmsInvalid("payload_malformed", _("The signed voucher payload has no key id."))
        # sudo: public keys only, to check a signature.
        key = self.sudo().search([("kid", "=", claims["kid"])], limit=1)
        if not key:
            raise VmsInvalid(
                "payload_unknown_key",
                _("The voucher payload is signed with an unknown key: it is not ours."),
            )
        if key.state == "retired":
            raise VmsInvalid(
                "payload_key_retired",
                _("The voucher payload is signed with a retired key: reprint the voucher."),
            )
        public = ec.EllipticCurvePublicNumbers(
            int.from_bytes(unb64url(key.public_x), "big"),
            int.from_bytes(unb64url(key.public_y), "big"),
            ec.SECP256R1(),
        ).public_key()
        valid = len(raw) == 64 and claims.get("c") == code
        if valid:
            der = encode_dss_signature(
                int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
            )
            try:
                public.verify(der, f"{code}.{payload}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
            except Exception:  # noqa: BLE001 - cryptography's InvalidSignature and bad points
                valid = False
        if not valid:
            raise VmsInvalid(
                "payload_signature_invalid",
                _("The voucher payload's signature does not verify: it was altered."),
            )
        today = fields.Date.to_string(today or self.env["res.company"]._vms_current()._vms_today())
        if claims.get("t") and claims["t"] < today:
            raise VmsInvalid(
                "payload_expired",
                _("Voucher %(code)s expired on %(date)s.", code=code, date=claims["t"]),
            )
        return claims

    @api.model
    def _vms_code_of(self, presented):
        """The voucher code a scanned string names: a signed QR's code part,
        or the string itself. Online the server reads the voucher itself, so
        the signature only matters to a till that cannot ask."""
        parts = split_signed(presented)
        return parts[0] if parts else presented
