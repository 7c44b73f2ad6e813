import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from uuid import uuid4

import phonenumbers

from odoo import _, api, fields, models

from ..exceptions import VmsError, VmsNotFound, VmsTooManyRequests
from ..tools.counting import counting_cursor

_LOCK_SPACE = 0x564D534F  # pg_advisory_xact_lock(space, OTP id)

_logger = logging.getLogger(__name__)

OTP_DIGITS = 6
RESEND_AFTER = timedelta(seconds=30)
MAX_PER_HOUR = 3
PURPOSES = [
    ("voucher_redemption", "Voucher redemption"),
    ("points_redemption", "Points redemption"),
]


class VmsOtp(models.Model):
    """A one-time password that lets a holder approve one redemption.

    The challenge is bound to a holder, a purpose, an order reference and an
    amount: it approves that redemption up to that amount and nothing else.
    The code itself is never stored (only a salted HMAC keyed with the
    database secret), never logged, never returned: it only leaves the
    server in the SMS to the holder's mobile.
    """

    _name = "vms.otp"
    _description = "Redemption OTP"
    _order = "id desc"

    partner_id = fields.Many2one("res.partner", string="Holder", required=True, index=True)
    phone = fields.Char(string="Mobile (E.164)", required=True)
    purpose = fields.Selection(PURPOSES, required=True)
    reference = fields.Char(string="Order Reference", required=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", required=True)
    company_id = fields.Many2one("res.company", required=True)
    code_hash = fields.Char(required=True, groups="base.group_system")
    salt = fields.Char(required=True, groups="base.group_system")
    expires_at = fields.Datetime(required=True)
    max_attempts = fields.Integer(required=True, readonly=True)
    attempts_left = fields.Integer(compute="_compute_attempts_left")
    state = fields.Selection(
        [
            ("pending", "Waiting for the code"),
            ("verified", "Code checked, not used yet"),
            ("used", "Used"),
            ("canceled", "Replaced by a newer code"),
        ],
        default="pending",
        required=True,
    )
    used_at = fields.Datetime()

    _amount_positive = models.Constraint("CHECK (amount > 0)", "An OTP approves a positive amount.")

    # ------------------------------------------------------------------
    # Requesting a code
    # ------------------------------------------------------------------

    @api.model
    def _vms_request(self, partner, amount, reference, purpose, *, currency=None, company=None):
        """Send a new code to ``partner``'s mobile for this redemption.

        Returns the ``vms.otp`` record (sudo); its id is what the till or the
        API client sends back with the code.
        """
        # sudo: the OTP settings of the balance's company, which may be the head
        # office of a branch whose till asks (the caller chose the company).
        company = (company or self.env.company).sudo()
        currency = currency or company.currency_id
        if not partner:
            raise VmsError("holder_required", _("An OTP needs a customer to send it to."))
        if not reference:
            raise VmsError("order_ref_required", _("An OTP is bound to an order reference."))
        if amount is None or currency.compare_amounts(amount, 0) <= 0:
            raise VmsError("invalid_amount", _("An OTP approves a positive amount."))
        phone = self._vms_mobile_e164(partner, company)
        now = fields.Datetime.now()
        self._vms_check_throttle(partner, now)
        otp_sudo = self.sudo()  # sudo: the hash is for no user's eyes, the service guards it
        otp_sudo.search(
            [
                ("partner_id", "=", partner.id),
                ("purpose", "=", purpose),
                ("reference", "=", reference),
                ("state", "=", "pending"),
            ]
        ).write({"state": "canceled"})
        code = f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"
        salt = secrets.token_hex(16)
        otp = otp_sudo.create(
            {
                "partner_id": partner.id,
                "phone": phone,
                "purpose": purpose,
                "reference": reference,
                "amount": currency.round(amount),
                "currency_id": currency.id,
                "company_id": company.id,
                "salt": salt,
                "code_hash": self._vms_hash(salt, code),
                "expires_at": now + timedelta(seconds=company.vms_otp_ttl_seconds),
                "max_attempts": company.vms_otp_max_attempts,
            }
        )
        self._vms_send_sms(otp, code)
        return otp

    @api.model
    def _vms_mobile_e164(self, partner, company):
        """The holder's mobile from the customer master, in E.164."""
        number = (partner.phone or "").strip()
        country = partner.country_id or company.country_id
        try:
            parsed = phonenumbers.parse(number, country.code or None)
        except phonenumbers.NumberParseException:
            parsed = None
        mobile_types = (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
        if (
            not parsed
            or not phonenumbers.is_valid_number(parsed)
            or phonenumbers.number_type(parsed) not in mobile_types
        ):
            # No name and no number in the message: it goes back to channels.
            raise VmsError(
                "no_valid_mobile",
                _(
                    "The customer has no valid mobile number in the customer master, so no "
                    "OTP can be sent; update the customer's mobile first."
                ),
            )
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    @api.model
    def _vms_check_throttle(self, partner, now):
        """Take one send of the holder's allowance, or refuse. Counted on a
        connection of its own under a lock per holder (see tools/counting.py),
        so two tills asking at once cannot both pass the limit, and a request
        that fails later keeps the send counted."""
        with counting_cursor(self.env) as counter:
            counter.execute("SELECT pg_advisory_xact_lock(hashtext('vms.otp'), %s)", [partner.id])
            counter.execute(
                "SELECT date FROM vms_otp_send WHERE partner_id = %s AND date > %s "
                "ORDER BY date DESC",
                [partner.id, now - timedelta(hours=1)],
            )
            recent = [row[0] for row in counter.fetchall()]
            if recent and recent[0] > now - RESEND_AFTER:
                wait = int((recent[0] + RESEND_AFTER - now).total_seconds()) + 1
                raise VmsTooManyRequests(
                    "otp_throttled",
                    _("A code was just sent to this customer; ask again in %s seconds.", wait),
                    retry_after=wait,
                )
            if len(recent) >= MAX_PER_HOUR:
                raise VmsTooManyRequests(
                    "otp_throttled",
                    _("At most %s codes per hour are sent to one customer.", MAX_PER_HOUR),
                    retry_after=int((recent[-1] + timedelta(hours=1) - now).total_seconds()) + 1,
                )
            counter.execute(
                "INSERT INTO vms_otp_send (partner_id, date) VALUES (%s, %s)", [partner.id, now]
            )

    def _vms_send_sms(self, otp, code):
        """Send the code through the company's SMS provider (Odoo's IAP, or Twilio
        with ``sms_twilio`` ...), straight to its API: the message is not queued
        as an ``sms.sms`` row, so the code is never written to the database (nor
        to the SQL debug log)."""
        body = _(
            "%(code)s is your code to approve %(amount)s at %(company)s. It expires in "
            "%(minutes)s minutes. Never share it.",
            code=code,
            amount=otp.currency_id.format(otp.amount),
            company=otp.company_id.name,
            minutes=max(1, otp.company_id.vms_otp_ttl_seconds // 60),
        )
        # sudo: the engine decided this OTP; the provider's account (IAP, Twilio)
        # is configuration no channel or cashier may read itself.
        sms_api = otp.company_id.sudo()._get_sms_api_class()(self.sudo().env)
        sms_api._set_company(otp.company_id)
        message = {"content": body, "numbers": [{"number": otp.phone, "uuid": uuid4().hex}]}
        try:
            results = sms_api._send_sms_batch([message])
        except Exception as error:  # noqa: BLE001 - any provider failure is one answer
            _logger.warning("OTP %s: the SMS provider failed (%s)", otp.id, type(error).__name__)
            state = "server_error"
        else:
            state = results[0].get("state") if results else "server_error"
        if state not in self.env["sms.sms"].IAP_TO_SMS_STATE_SUCCESS:
            _logger.warning("OTP %s: the SMS provider answered %s", otp.id, state)
            raise VmsError(
                "sms_failed",
                _(
                    "The code could not be sent to the customer's mobile (%(reason)s).",
                    reason=state,
                ),
                http_status=502,
            )
        _logger.info("OTP %s sent to %s", otp.id, otp._vms_masked_phone())

    def _vms_masked_phone(self):
        self.ensure_one()
        return f"{self.phone[:3]}{'*' * max(0, len(self.phone) - 5)}{self.phone[-2:]}"

    def _vms_hash(self, salt, code):
        # Keyed with the database secret: a copy of the table alone does not
        # let anyone try the million codes offline.
        key = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        return hmac.new(key.encode(), f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()

    # ------------------------------------------------------------------
    # Checking a code
    # ------------------------------------------------------------------

    @api.model
    def _vms_check_bound(self, otp_id, *, partner, amount, reference, purpose):
        """The OTP ``otp_id`` if it may still approve this redemption (its
        holder, purpose, order and at most its amount), else a refusal."""
        otp = self.sudo().browse(otp_id if isinstance(otp_id, int) else 0).exists()
        if not otp:
            raise VmsNotFound("otp_not_found", _("No such OTP."))
        if otp.state not in ("pending", "verified"):
            raise VmsError(
                "otp_used", _("This code was already used or replaced; ask for a new one.")
            )
        if otp.expires_at <= fields.Datetime.now():
            raise VmsError("otp_expired", _("This code has expired; ask for a new one."))
        if (
            otp.partner_id != partner
            or otp.purpose != purpose
            or otp.reference != (reference or "")
        ):
            raise VmsError(
                "otp_mismatch", _("This code was sent for another customer or another order.")
            )
        if otp.currency_id.compare_amounts(amount, otp.amount) > 0:
            raise VmsError(
                "otp_amount_changed",
                _("The amount went up since the code was sent; ask for a new code."),
            )
        return otp

    @api.model
    def _vms_verify(self, otp_id, code, *, partner, amount, reference, purpose):
        """Check ``code`` at once (the till's popup); the OTP is then verified,
        to be used up by the redemptions of this holder on this order. Every
        try costs an attempt, taken before the comparison."""
        otp = self._vms_check_bound(
            otp_id, partner=partner, amount=amount, reference=reference, purpose=purpose
        )
        if otp.state == "pending":
            otp._vms_try_code(code)
            otp.write({"state": "verified"})
        return otp

    @api.model
    def _vms_consume(self, otp_id, code, *, partner, amount, reference, purpose):
        """Use the OTP up for this redemption: a verified one as it is, a
        pending one with its right ``code``.

        Call it inside the transaction that confirms the redemption: if that
        transaction rolls back, the OTP stays usable. A wrong code costs an
        attempt even then (see :meth:`_vms_try_code`).
        """
        otp = self._vms_check_bound(
            otp_id, partner=partner, amount=amount, reference=reference, purpose=purpose
        )
        if otp.state == "pending":
            otp._vms_try_code(code)
        # Conditional update: of two tills racing with the right code, one wins.
        otp.flush_recordset()
        self.env.cr.execute(
            "UPDATE vms_otp SET state = 'used', used_at = now() at time zone 'UTC' "
            "WHERE id = %s AND state IN ('pending', 'verified')",
            [otp.id],
            log_exceptions=False,  # a concurrent confirmation: retried by Odoo
        )
        if not self.env.cr.rowcount:
            raise VmsError("otp_used", _("This code was already used; ask for a new one."))
        otp.invalidate_recordset(["state", "used_at"])
        return otp

    def _compute_attempts_left(self):
        # sudo: counts of codes typed, no code in them.
        counts = dict(
            self.env["vms.otp.attempt"]
            .sudo()
            ._read_group([("otp_id", "in", self.ids)], ["otp_id"], ["__count"])
        )
        for otp in self:
            otp.attempts_left = max(otp.max_attempts - counts.get(otp.id, 0), 0)

    def _vms_try_code(self, code):
        """Take an attempt, then compare: parallel tries cannot each get the
        last attempt, and a refused request's rollback gives none back."""
        self.ensure_one()
        with counting_cursor(self.env) as counter:
            counter.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, self.id])
            counter.execute("SELECT count(*) FROM vms_otp_attempt WHERE otp_id = %s", [self.id])
            used = counter.fetchone()[0]
            if used < self.max_attempts:
                counter.execute(
                    "INSERT INTO vms_otp_attempt (otp_id, date) VALUES (%s, %s)",
                    [self.id, fields.Datetime.now()],
                )
        self.invalidate_recordset(["attempts_left"])
        if used >= self.max_attempts:
            raise VmsTooManyRequests(
                "otp_attempts_exhausted", _("Too many wrong codes; ask for a new one.")
            )
        left = self.max_attempts - used - 1
        expected = self._vms_hash(self.salt, str(code or "").strip())
        if hmac.compare_digest(expected, self.code_hash):
            return
        if left <= 0:
            raise VmsTooManyRequests(
                "otp_attempts_exhausted", _("Too many wrong codes; ask for a new one.")
            )
        raise VmsError(
            "otp_invalid", _("Wrong code; %s attempt(s) left.", left), attempts_left=left
        )

    @api.autovacuum
    def _gc_old_otps(self):
        """OTPs are only evidence for a short while; keep a week of them."""
        self.sudo().search(
            [("create_date", "<", fields.Datetime.now() - timedelta(days=7))]
        ).unlink()
