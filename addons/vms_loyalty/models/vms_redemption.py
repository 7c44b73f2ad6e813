from datetime import timedelta

import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import ConcurrencyError

from ..exceptions import VmsConflict, VmsError, VmsNotFound

HOLD_STATES = [
    ("held", "Held"),
    ("confirmed", "Confirmed"),
    ("released", "Released"),
    ("expired", "Expired"),
]


class VmsRedemption(models.Model):
    """An amount of a voucher reserved for one order (a hold), then spent once.

    Every channel (tills, the redemption panel, vending machines, web shops)
    goes through the same steps: *hold* reserves the amount while the sale is
    open, so a second till sees the balance minus the holds at once; *confirm*
    spends it exactly once (the "using" chronology row and the spent amount in
    one transaction); *release* or expiry frees it; *reverse* gives it back
    as a new chronology row. Each mutating step takes an idempotency key: the
    same key returns the first result and changes nothing.
    """

    _name = "vms.redemption"
    _description = "Voucher Redemption"
    _order = "id desc"
    _rec_name = "order_ref"
    _check_company_auto = True

    voucher_id = fields.Many2one(
        "vms.voucher", required=True, readonly=True, index=True, ondelete="restrict"
    )
    code = fields.Char(related="voucher_id.code")
    partner_id = fields.Many2one(related="voucher_id.partner_id", string="Holder")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(required=True, readonly=True, currency_field="currency_id")
    reversed_amount = fields.Monetary(readonly=True, currency_field="currency_id")
    order_ref = fields.Char(string="Order Reference", required=True, readonly=True)
    channel = fields.Selection(
        selection=lambda self: self.env["vms.voucher.transaction"]._fields["channel"].selection,
        required=True,
        readonly=True,
    )
    state = fields.Selection(HOLD_STATES, required=True, default="held", readonly=True, index=True)
    expires_at = fields.Datetime(string="Held Until", required=True, readonly=True)
    hold_key = fields.Char(string="Hold Idempotency Key", required=True, readonly=True)
    confirm_key = fields.Char(string="Confirm Idempotency Key", readonly=True)
    confirmed_at = fields.Datetime(readonly=True)
    otp_id = fields.Many2one("vms.otp", string="OTP", readonly=True)
    user_id = fields.Many2one("res.users", string="Operator", required=True, readonly=True)
    card_id = fields.Many2one("vms.card", string="Club Card", readonly=True)
    use_transaction_id = fields.Many2one(
        "vms.voucher.transaction", string="Using Row", readonly=True
    )
    remainder_voucher_id = fields.Many2one(
        "vms.voucher",
        readonly=True,
        help="The new voucher what was left was paid out as (campaign option).",
    )

    _hold_key_unique = models.Constraint(
        "UNIQUE(hold_key)", "This idempotency key was already used for another hold."
    )
    _confirm_key_unique = models.Constraint(
        "UNIQUE(confirm_key)", "This idempotency key was already used for another confirmation."
    )
    _amount_positive = models.Constraint("CHECK(amount > 0)", "A hold reserves a positive amount.")
    _open_holds_idx = models.Index("(voucher_id, expires_at) WHERE state = 'held'")

    # ------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------

    def _vms_result(self):
        """What every channel gets back: the hold and the voucher after it."""
        self.ensure_one()
        voucher = self.voucher_id
        currency = self.currency_id
        return {
            "id": self.id,
            "state": self.state,
            "code": voucher.code,
            "amount": currency.round(self.amount),
            "reversed_amount": currency.round(self.reversed_amount),
            "currency": currency.name,
            "order_ref": self.order_ref,
            "expires_at": fields.Datetime.to_string(self.expires_at),
            "voucher_state": voucher.state,
            "balance": currency.round(voucher.balance),
            "available": currency.round(voucher.balance - voucher._vms_held_amount()),
            "remainder_code": self.remainder_voucher_id.code or None,
        }

    # ------------------------------------------------------------------
    # Validate
    # ------------------------------------------------------------------

    @api.model
    def _vms_validate(
        self,
        code,
        amount,
        *,
        currency=None,
        card=None,
        partner=None,
        lines=None,
        bill_amount=None,
        store=None,
        voucher=None,
        pin=None,
    ):
        """How much of ``amount`` this voucher may pay now, or a refusal.

        Raises :class:`VmsError` with a machine-readable code; changes nothing.
        """
        voucher = voucher or self._vms_find(code, pin)
        self._vms_check_context(voucher, currency=currency, store=store)
        eligible = voucher._vms_eligible_amount(amount, lines)
        if bill_amount is None and lines:
            bill_amount = sum(line["qty"] * line["price_unit"] for line in lines)
        voucher._vms_check_spendable(
            eligible, bill_amount=bill_amount, card=card or None, partner=partner or None
        )
        available = voucher.balance - voucher._vms_held_amount()
        if (
            voucher.value_type == "nominal"
            and voucher.currency_id.compare_amounts(eligible, available) > 0
        ):
            raise VmsConflict(
                "voucher_held",
                _(
                    "Voucher %(code)s has %(available)s free: the rest is held by another "
                    "sale in progress.",
                    code=voucher.code,
                    available=voucher.currency_id.format(max(available, 0.0)),
                ),
            )
        return voucher, eligible

    @api.model
    def _vms_find(self, code, pin=None):
        """The voucher behind a code, barcode or external QR payload, and its
        PIN for an e-voucher; refusals (``invalid_code``, ``voucher_not_found``,
        ``method_not_allowed``, ``pin_required``, ``wrong_pin`` ...) before any
        change."""
        if not isinstance(code, str) or not code.strip():
            raise VmsError("code_required", _("A voucher code is required."))
        if pin is not None and not isinstance(pin, str):
            raise VmsError("invalid_pin", _("A PIN is given as a string of digits."))
        voucher, method = self.env["vms.voucher"]._vms_find_presented(code)
        # The store's own checks first: a channel that may not take this
        # voucher learns nothing of its PIN, and cannot spend its attempts.
        self._vms_check_context(voucher)
        voucher._vms_check_presentation(method, pin)
        return voucher

    @api.model
    def _vms_check_context(self, voucher, currency=None, store=None):
        store = store or self.env.company
        if voucher.company_id not in (store | store.parent_ids):
            raise VmsNotFound(
                "voucher_not_found", _("No voucher with code %(code)s.", code=voucher.code)
            )
        voucher._vms_check_currency(currency)
        campaign = voucher.campaign_id
        if campaign.store_ids and store not in campaign.store_ids:
            raise VmsError(
                "wrong_store",
                _(
                    "Voucher %(code)s is not accepted at %(store)s.",
                    code=voucher.code,
                    store=store.name,
                ),
            )
        if not campaign._vms_is_open():
            raise VmsError(
                "campaign_closed",
                _(
                    "Campaign %(campaign)s does not accept vouchers at this day or hour.",
                    campaign=campaign.name,
                ),
            )

    # ------------------------------------------------------------------
    # Hold, confirm, release, expire, reverse
    # ------------------------------------------------------------------

    @api.model
    def _vms_hold(
        self,
        code,
        amount,
        *,
        order_ref,
        idempotency_key,
        channel,
        ttl_seconds=None,
        voucher=None,
        **sale,
    ):
        """Reserve ``amount`` of a voucher for ``order_ref``; returns the hold.

        ``sale`` is what :meth:`_vms_validate` checks the voucher against
        (currency, card, partner, lines, bill_amount)."""
        self._vms_require_key(idempotency_key)
        if not order_ref:
            raise VmsError("order_ref_required", _("A hold is made for an order reference."))
        previous = self._vms_by_key("hold_key", idempotency_key)
        if previous:
            return previous._vms_same_request(code, order_ref)
        pin = sale.pop("pin", None)
        voucher = voucher or self._vms_find(code, pin)
        # Lock the voucher and touch it: a concurrent hold that read the holds
        # before this one commits then fails to lock and is retried with fresh data.
        voucher._vms_lock()
        voucher._vms_touch()
        voucher, eligible = self._vms_validate(code, amount, voucher=voucher, **sale)
        ttl = ttl_seconds or voucher.company_id.vms_hold_ttl_seconds
        if not 1 <= ttl <= 86400:
            raise VmsError("invalid_ttl", _("A hold lasts between 1 second and one day."))
        values = {
            "voucher_id": voucher.id,
            "company_id": voucher.company_id.id,
            "currency_id": voucher.currency_id.id,
            "amount": eligible,
            "order_ref": order_ref,
            "channel": channel,
            "expires_at": fields.Datetime.now() + timedelta(seconds=ttl),
            "hold_key": idempotency_key,
            "user_id": self.env.uid,
            "card_id": sale["card"].id if sale.get("card") else False,
        }
        return self._vms_insert_once(values)

    def _vms_confirm(
        self,
        idempotency_key,
        *,
        otp_id=None,
        otp_code=None,
        bill_amount=None,
        cash_point_serial=None,
        zeroing_number=None,
    ):
        """Spend the held amount, once. Returns the hold (now confirmed)."""
        self.ensure_one()
        self._vms_require_key(idempotency_key)
        self._vms_lock_hold()
        if self.state == "confirmed":
            return self
        if self.state != "held":
            raise VmsConflict(
                f"hold_{self.state}",
                _("This hold was %(state)s; make a new one.", state=self._vms_state_label()),
            )
        if self.expires_at <= fields.Datetime.now():
            self._vms_expire()
            raise VmsConflict("hold_expired", _("This hold expired; make a new one."))
        voucher = self.voucher_id
        otp = self._vms_check_otp(otp_id, otp_code)
        # The chronology row is the record of a use; no chatter message per sale.
        row = voucher.with_context(tracking_disable=True)._vms_spend(
            self.amount,
            idempotency_key=idempotency_key,
            bill_ref=self.order_ref,
            bill_amount=bill_amount,
            cash_point_serial=cash_point_serial,
            zeroing_number=zeroing_number,
            channel=self.channel,
            card=self.card_id,
        )
        remainder = self.env["vms.voucher"]
        if (
            voucher.campaign_id.remainder_as_voucher
            and voucher.value_type == "nominal"
            and voucher.currency_id.compare_amounts(voucher.balance, 0) > 0
        ):
            remainder = voucher._vms_pay_out_remainder(
                f"{idempotency_key}:remainder", bill_ref=self.order_ref, channel=self.channel
            )
        self.sudo().write(
            {
                "state": "confirmed",
                "confirm_key": idempotency_key,
                "confirmed_at": fields.Datetime.now(),
                "use_transaction_id": row.id,
                "otp_id": otp.id if otp else False,
                "remainder_voucher_id": remainder.id,
            }
        )
        return self

    def _vms_release(self):
        """Free the held amount (the sale was abandoned or paid otherwise)."""
        self.ensure_one()
        self._vms_lock_hold()
        if self.state in ("released", "expired"):
            return self
        if self.state == "confirmed":
            raise VmsConflict(
                "hold_confirmed", _("This hold was already spent; reverse it instead.")
            )
        self.sudo().write({"state": "released"})
        return self

    def _vms_reverse(self, idempotency_key, *, amount=None, reason=None):
        """Give a confirmed redemption back (a refund), as a new chronology row."""
        self.ensure_one()
        self._vms_require_key(idempotency_key)
        if not reason:
            raise VmsError("reason_required", _("Say why the redemption is reversed."))
        done = (
            self.env["vms.voucher.transaction"]
            .sudo()
            .search([("idempotency_key", "=", idempotency_key)], limit=1)
        )
        if done:
            if done.type != "reverse" or done.origin_id != self.use_transaction_id:
                raise VmsError(
                    "idempotency_key_reused",
                    _(
                        "Idempotency key %(key)s was used for another operation.",
                        key=idempotency_key,
                    ),
                )
            return self
        self._vms_lock_hold()
        if self.state != "confirmed":
            raise VmsConflict("not_confirmed", _("Only a confirmed redemption can be reversed."))
        currency = self.currency_id
        left = self.amount - self.reversed_amount
        amount = left if amount is None else amount
        if currency.compare_amounts(amount, 0) <= 0 or currency.compare_amounts(amount, left) > 0:
            raise VmsError(
                "invalid_amount",
                _(
                    "Between %(min)s and %(max)s of this redemption can still be reversed.",
                    min=currency.format(currency.rounding),
                    max=currency.format(left),
                ),
            )
        self.voucher_id._vms_reverse(
            self.use_transaction_id,
            reason=reason,
            amount=amount,
            idempotency_key=idempotency_key,
            bill_ref=self.order_ref,
            channel=self.channel,
        )
        self.sudo().write({"reversed_amount": currency.round(self.reversed_amount + amount)})
        return self

    @api.model
    def _vms_redeem(
        self,
        code,
        amount,
        *,
        order_ref,
        idempotency_key,
        channel,
        otp_id=None,
        otp_code=None,
        **context,
    ):
        """Hold and confirm in one call (vending machines, web shops)."""
        hold = self._vms_hold(
            code,
            amount,
            order_ref=order_ref,
            idempotency_key=idempotency_key,
            channel=channel,
            **context,
        )
        return hold._vms_confirm(f"{idempotency_key}:confirm", otp_id=otp_id, otp_code=otp_code)

    def _vms_expire(self):
        self.sudo().write({"state": "expired"})

    @api.model
    def _cron_expire_holds(self):
        """Free the holds of sales that never came back (a till that crashed ...)."""
        expired = self.sudo().search(
            [("state", "=", "held"), ("expires_at", "<=", fields.Datetime.now())]
        )
        expired._vms_expire()
        return len(expired)

    # ------------------------------------------------------------------
    # OTP (seed 003)
    # ------------------------------------------------------------------

    def _vms_otp_required(self):
        company = self.company_id
        return company.vms_otp_mandatory and (
            self.currency_id.compare_amounts(self.amount, company.vms_otp_min_amount) >= 0
        )

    def _vms_otp_holder(self):
        return self.voucher_id.partner_id or self.card_id.partner_id

    def _vms_request_otp(self):
        """Send the holder a code approving this hold."""
        self.ensure_one()
        if self.state != "held":
            raise VmsConflict("hold_" + self.state, _("This hold is no longer open."))
        holder = self._vms_otp_holder()
        if not holder:
            raise VmsError(
                "otp_holder_unknown",
                _(
                    "Voucher %(code)s has no holder to send a code to; give the club card.",
                    code=self.voucher_id.code,
                ),
            )
        return self.env["vms.otp"]._vms_request(
            holder,
            self.amount,
            self._vms_otp_reference(),
            "voucher_redemption",
            currency=self.currency_id,
            company=self.company_id,
        )

    def _vms_otp_reference(self):
        # The order, not the hold: a till or a web shop may ask for the code
        # before it makes the hold.
        return self.order_ref

    def _vms_check_otp(self, otp_id, otp_code):
        if not self._vms_otp_required():
            return None
        if not otp_id or not otp_code:
            raise VmsError(
                "otp_required",
                _(
                    "Redemptions of %(minimum)s or more need the code sent to the customer's "
                    "mobile.",
                    minimum=self.currency_id.format(self.company_id.vms_otp_min_amount),
                ),
                http_status=403,
            )
        return self.env["vms.otp"]._vms_consume(
            otp_id,
            otp_code,
            partner=self._vms_otp_holder(),
            amount=self.amount,
            reference=self._vms_otp_reference(),
            purpose="voucher_redemption",
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    @api.model
    def _vms_require_key(self, key):
        if not isinstance(key, str) or not 8 <= len(key) <= 200:
            raise VmsError(
                "idempotency_key_required",
                _("Every change needs an idempotency key of 8 to 128 characters."),
            )

    @api.model
    def _vms_by_key(self, field, key):
        return self.sudo().search([(field, "=", key)], limit=1)

    def _vms_same_request(self, code, order_ref):
        """A retry must repeat the first request; anything else is a client bug."""
        voucher = self.voucher_id
        if order_ref != self.order_ref or (
            code and voucher != self.env["vms.voucher"]._vms_find_by_code(code)
        ):
            raise VmsError(
                "idempotency_key_reused",
                _("This idempotency key was used for another request."),
            )
        return self.with_env(self.env)

    def _vms_insert_once(self, values):
        """Insert a hold; a concurrent request with the same key makes this
        transaction retry (Odoo's request retry), then find the first hold."""
        try:
            with self.env.cr.savepoint():
                return self.sudo().create(values).with_env(self.env)
        except psycopg2.errors.UniqueViolation:
            raise ConcurrencyError(
                "an identical request committed first; retried to return its result"
            ) from None

    def _vms_lock_hold(self):
        self.env.cr.execute(
            "SELECT id FROM vms_redemption WHERE id = %s FOR UPDATE",
            [self.id],
            log_exceptions=False,  # a serialization failure here is expected and retried
        )
        self.invalidate_recordset()

    def _vms_state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state].lower()
