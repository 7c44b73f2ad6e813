import hashlib
import hmac
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..exceptions import VmsConflict, VmsError, VmsNotFound
from ..tools import rules
from ..tools.audit import refusals_audited

HOLD_STATES = [
    ("held", "Held"),
    ("confirmed", "Confirmed"),
    ("released", "Released"),
    ("expired", "Expired"),
]
CHANNEL_GROUP = "vms_loyalty.group_vms_channel"
REVERSE_GROUP = "vms_loyalty.group_vms_reverse"
EARN_GROUP = "vms_loyalty.group_vms_earn"
REDEEMER_GROUPS = ("vms_loyalty.group_vms_store_user", CHANNEL_GROUP)


class VmsRedemption(models.Model):
    """An amount of a balance reserved for one order (a hold), then spent once.

    The core of the redemption engine, the same for every kind of balance (a
    voucher here; club points plug in the same way) and every channel (tills,
    the redemption panel, vending machines, web shops): *hold* reserves the
    amount while the sale is open, so a second till sees the balance minus
    the holds at once; *confirm* spends it exactly once (the balance's
    chronology row and its new balance in one transaction); *release* or
    expiry frees it; *reverse* gives it back as a new chronology row.

    Every mutating step runs once per idempotency key (``vms.idempotency``):
    a retry gets the first answer, another request with the same key is
    refused. What is specific to a kind of balance is asked of the record
    :meth:`_vms_balance` returns (lock, spend, give back, holder).
    """

    _name = "vms.redemption"
    _inherit = ["vms.redemption.voucher", "vms.redemption.api", "vms.redemption.express"]
    _description = "Redemption"
    _order = "id desc"
    _rec_name = "order_ref"
    _check_company_auto = True

    kind = fields.Selection(
        [("voucher", "Voucher")], required=True, default="voucher", readonly=True
    )
    voucher_id = fields.Many2one(
        "vms.voucher", readonly=True, index="btree_not_null", ondelete="restrict"
    )
    code = fields.Char(related="voucher_id.code")
    partner_id = fields.Many2one("res.partner", string="Holder", compute="_compute_partner_id")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    store_id = fields.Many2one(
        "res.company",
        readonly=True,
        help="Where the hold was made. The balance may belong to a parent company (a "
        "chain's points, a voucher of the head office); the store's own users see the "
        "holds made there.",
    )
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

    _amount_positive = models.Constraint("CHECK(amount > 0)", "A hold reserves a positive amount.")
    _open_holds_idx = models.Index("(voucher_id, expires_at) WHERE state = 'held'")

    @api.depends("voucher_id.partner_id", "voucher_id.card_id.partner_id")
    def _compute_partner_id(self):
        for hold in self:
            # sudo: whoever reads the hold reads its holder, also where the balance
            # belongs to a parent company (a branch's till on the chain's voucher).
            hold.partner_id = hold.sudo()._vms_balance()._vms_holder()

    # ------------------------------------------------------------------
    # What a kind of balance provides
    # ------------------------------------------------------------------

    def _vms_balance(self):
        """The record whose balance this redemption spends (see ``vms.voucher``
        in ``vms_voucher_redemption.py`` for what it provides)."""
        self.ensure_one()
        return self.voucher_id

    def _vms_result(self):
        """What every channel gets back: the redemption and its balance after it."""
        self.ensure_one()
        hold = self.sudo()  # sudo: the caller was checked; a channel reads no records itself
        currency = hold.currency_id
        return {
            "id": hold.id,
            "state": hold.state,
            "amount": currency.round(hold.amount),
            "reversed_amount": currency.round(hold.reversed_amount),
            "currency": currency.name,
            "decimal_places": currency.decimal_places,
            "order_ref": hold.order_ref,
            "expires_at": fields.Datetime.to_string(hold.expires_at),
            **hold._vms_balance()._vms_result_for(hold),
        }

    # ------------------------------------------------------------------
    # Who may act
    # ------------------------------------------------------------------

    @api.model
    def _vms_check_redeemer(self):
        """Store users (the panel, the back office), channels (API) and the
        superuser (the till, which checks its own rights) redeem."""
        if self.env.su:
            return
        user = self.env.user
        if not any(user.has_group(group) for group in REDEEMER_GROUPS):
            raise AccessError(_("Only store users and VMS channels redeem vouchers."))

    @api.model
    def _vms_request_company(self):
        """The store of the request, as the caller's own environment says
        (``env.company``, checked against the user's companies unless sudo);
        sudo, to read its settings: a channel has no rights on companies."""
        return self.env["res.company"]._vms_current()

    @api.model
    def _vms_request_store(self):
        return self._vms_request_company()._vms_store()

    def _vms_check_owner(self, right="redeem"):
        """A redemption is acted on only in a store of its company, and a
        channel acts only on its own; reversal is a right of its own."""
        self.ensure_one()
        if self.env.su:
            return
        self._vms_check_redeemer()
        store = self._vms_request_store()
        # sudo: the owner fields are read to decide; nothing is returned.
        hold = self.sudo()
        channel = self.env.user.has_group(CHANNEL_GROUP)
        if hold.company_id.id not in store.company_ids or (
            channel and hold.user_id.id != self.env.uid
        ):
            raise VmsNotFound("redemption_not_found", _("No redemption %(id)s.", id=self.id))
        if right == "reverse":
            self._vms_check_right(
                REVERSE_GROUP,
                "reverse_not_allowed",
                _("This user may not reverse redemptions; ask the store's VMS manager."),
            )

    @api.model
    def _vms_check_right(self, group, code, message):
        """A right of its own (reversing, awarding points), granted to a
        channel only where the retailer wants it: 403 ``code`` without it."""
        if not self.env.user.has_group(group):
            raise VmsError(code, message, http_status=403)

    @api.model
    def _vms_get(self, hold_id, right="redeem"):
        """The redemption ``hold_id`` if the caller may act on it, else not found."""
        hold = self.sudo().browse(hold_id if isinstance(hold_id, int) else 0).exists()
        if not hold:
            raise VmsNotFound("redemption_not_found", _("No redemption %(id)s.", id=hold_id))
        hold = hold.with_env(self.env)
        hold._vms_check_owner(right)
        return hold

    # ------------------------------------------------------------------
    # Confirm, release, reverse, expire
    # ------------------------------------------------------------------

    @api.model
    def _vms_secret_digest(self, secret):
        """A PIN or an OTP code as it may enter a request's fingerprint."""
        if not secret:
            return None
        key = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        return hmac.new(key.encode(), str(secret).encode(), hashlib.sha256).hexdigest()

    @api.model
    def _vms_otp_inputs(self, otp_id, otp_code, verified_otp=None):
        """The OTP a request brings, for its idempotency fingerprint (the code
        only as a digest)."""
        return {
            "otp_id": otp_id or (verified_otp.id if verified_otp else None),
            "otp_code": self._vms_secret_digest(otp_code),
        }

    @api.model
    def _vms_once(self, operation, key, inputs, action):
        """Run ``action`` (which returns a redemption) once for this caller's
        ``key``; returns the answer: the first one for an exact retry, looked up
        before anything else (a retry is answered, never refused for time)."""
        return self._vms_once_digest(operation, key, inputs, lambda _digest: action())

    @api.model
    def _vms_once_digest(self, operation, key, inputs, action):
        """:meth:`_vms_once` for the one-call redemptions: ``action`` gets the
        request's digest, and returns a redemption or, where an express lane
        wrote the request with its answer in one statement, that answer."""
        Requests = self.env["vms.idempotency"].sudo()
        answer, digest = Requests._vms_replayed(key, operation, inputs)
        if answer is None:
            with refusals_audited(self.env):
                result = action(digest)
            if isinstance(result, dict):
                return result  # kept by the express lane's own statement
            answer = result._vms_result()
            Requests._vms_remember(key, operation, digest, answer, result.id)
        return answer

    @api.model
    def _vms_hold_and_confirm(self, make_hold, idempotency_key, **confirm):
        """The full engine's one call: the hold ``make_hold()`` returns, then
        its confirmation. A refused confirmation (a missing OTP ...) leaves no
        hold behind, even for a caller that goes on with its transaction (the
        till's sync)."""
        with self.env.cr.savepoint():
            hold = make_hold()
            hold._vms_confirm_now(idempotency_key, **confirm)
        return hold

    def _vms_confirm(self, idempotency_key, **options):
        """Spend the held amount, once. Returns the redemption (now confirmed)."""
        self._vms_confirm_answer(idempotency_key, **options)
        return self

    def _vms_confirm_answer(
        self,
        idempotency_key,
        *,
        otp_id=None,
        otp_code=None,
        verified_otp=None,
        bill_amount=None,
        cash_point_serial=None,
        zeroing_number=None,
    ):
        self.ensure_one()
        inputs = {
            "redemption": self.id,
            **self._vms_otp_inputs(otp_id, otp_code, verified_otp),
            "bill_amount": bill_amount,
            "cash_point_serial": cash_point_serial,
            "zeroing_number": zeroing_number,
        }

        def confirm():
            self._vms_check_owner()
            self._vms_check_core_settles()
            return self._vms_confirm_now(
                idempotency_key,
                otp_id=otp_id,
                otp_code=otp_code,
                verified_otp=verified_otp,
                bill_amount=bill_amount,
                cash_point_serial=cash_point_serial,
                zeroing_number=zeroing_number,
            )

        return self._vms_once("confirm", idempotency_key, inputs, confirm)

    def _vms_confirm_now(
        self, idempotency_key, *, otp_id=None, otp_code=None, verified_otp=None, **row_values
    ):
        """Confirm, the caller checked: lock, check the hold is open and its
        OTP, spend the balance. Returns the redemption (sudo)."""
        hold = self.sudo()
        hold._vms_lock_hold()
        if hold.state == "confirmed":
            return hold  # confirmed already (by another key): nothing more to do
        hold._vms_check_open()
        otp = hold._vms_check_otp(otp_id, otp_code, verified_otp)
        row, remainder = hold._vms_balance()._vms_spend_hold(hold, idempotency_key, **row_values)
        hold.write(
            {
                "state": "confirmed",
                "confirmed_at": fields.Datetime.now(),
                "use_transaction_id": row.id,
                "otp_id": otp.id if otp else False,
                "remainder_voucher_id": remainder.id,
            }
        )
        # Flushed now, so that the row is stamped by this operator (Odoo stamps
        # write_uid when it flushes, with whoever flushes).
        hold.flush_recordset()
        return hold

    def _vms_check_open(self):
        """A hold that is not held any more cannot be confirmed; an expired one
        is marked so and refused."""
        if self.state != "held":
            raise VmsConflict(
                f"hold_{self.state}",
                _("This hold was %(state)s; make a new one.", state=self._vms_state_label()),
            )
        if self.expires_at <= fields.Datetime.now():
            self._vms_expire()
            raise VmsConflict("hold_expired", _("This hold expired; make a new one."))

    def _vms_takes_balance(self):
        """Whether this redemption still takes some of what it was made on: a
        hold not expired (a sweep may not have marked it yet), or a
        confirmation not wholly reversed."""
        self.ensure_one()
        if self.state == "held":
            return self.expires_at > fields.Datetime.now()
        return self.state == "confirmed" and (
            self.currency_id.compare_amounts(self.reversed_amount, self.amount) < 0
        )

    def _vms_check_core_settles(self):
        """Refuses to confirm or release a hold that another flow settles
        (a kind of balance names its own, see ``vms_redemption_points.py``)."""

    def _vms_release(self):
        """Free the held amount (the sale was abandoned or paid otherwise).
        Releasing again changes nothing."""
        self.ensure_one()
        self._vms_check_owner()
        self._vms_check_core_settles()
        hold = self.sudo()
        hold._vms_lock_hold()
        if hold.state == "confirmed":
            raise VmsConflict(
                "hold_confirmed", _("This hold was already spent; reverse it instead.")
            )
        if hold.state == "held":
            hold.write({"state": "released"})
            hold.flush_recordset()
        return self

    def _vms_reverse(self, idempotency_key, **options):
        """Give a confirmed redemption back (a refund), all of it or a part, as
        a new chronology row."""
        self._vms_reverse_answer(idempotency_key, **options)
        return self

    def _vms_reverse_answer(self, idempotency_key, *, amount=None, reason=None):
        self.ensure_one()
        inputs = {"redemption": self.id, "amount": amount, "reason": reason}

        def reverse():
            self._vms_check_owner("reverse")
            if not reason or not isinstance(reason, str):
                raise VmsError("reason_required", _("Say why the redemption is reversed."))
            hold = self.sudo()
            hold._vms_lock_hold()
            if hold.state != "confirmed":
                raise VmsConflict(
                    "not_confirmed", _("Only a confirmed redemption can be reversed.")
                )
            money = hold.company_id._vms_store().money
            left = money.round(hold.amount - hold.reversed_amount)
            given = left if amount is None else rules.parse_amount(self.env, amount, money)
            if money.is_zero(left) or money.compare(given, left) > 0:
                raise VmsError(
                    "invalid_amount",
                    _(
                        "At most %(left)s of this redemption can still be reversed.",
                        left=money.text(left),
                    ),
                )
            hold._vms_balance()._vms_give_back(hold, given, reason, idempotency_key)
            hold.write({"reversed_amount": money.round(hold.reversed_amount + given)})
            hold.flush_recordset()
            return hold

        return self._vms_once("reverse", idempotency_key, inputs, reverse)

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
        store = self.company_id._vms_store()
        return rules.otp_required(store, self._vms_balance()._vms_holder().id, self.amount)

    def _vms_otp_purpose(self):
        return f"{self.kind}_redemption"

    def _vms_request_otp(self):
        """Send the balance's own holder a code approving this hold."""
        self.ensure_one()
        self._vms_check_owner()
        hold = self.sudo()
        if hold.state != "held":
            raise VmsConflict("hold_" + hold.state, _("This hold is no longer open."))
        holder = hold._vms_balance()._vms_holder()
        if not holder:
            raise VmsError(
                "otp_not_needed",
                _("This redemption belongs to no one: no code is sent for it."),
            )
        return self.env["vms.otp"]._vms_request(
            holder,
            hold.amount,
            hold.order_ref,
            hold._vms_otp_purpose(),
            currency=hold.currency_id,
            company=hold.company_id,
        )

    def _vms_check_otp(self, otp_id, otp_code, verified_otp=None):
        """The OTP approving this redemption, used up here; None when none is
        needed. ``verified_otp`` is one the till checked when the cashier typed
        the code (``vms.otp._vms_verify``), for this holder and order."""
        if not self._vms_otp_required():
            return None
        holder = self._vms_balance()._vms_holder()
        if not verified_otp and (not otp_id or not otp_code):
            store = self.company_id._vms_store()
            raise VmsError(
                "otp_required",
                _(
                    "Redemptions of %(minimum)s or more need the code sent to the customer's "
                    "mobile.",
                    minimum=store.money.text(store.otp_min_amount),
                ),
                http_status=403,
            )
        return self.env["vms.otp"]._vms_consume(
            verified_otp.id if verified_otp else otp_id,
            None if verified_otp else otp_code,
            partner=holder,
            amount=self.amount,
            reference=self.order_ref,
            purpose=self._vms_otp_purpose(),
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    @api.model
    def _vms_expiry(self, ttl_seconds):
        return fields.Datetime.now() + timedelta(seconds=ttl_seconds)

    def _vms_lock_hold(self):
        self.env.cr.execute(
            "SELECT id FROM vms_redemption WHERE id = %s FOR UPDATE",
            [self.id],
            log_exceptions=False,  # a serialization failure here is expected and retried
        )
        self.invalidate_recordset()

    def _vms_state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state].lower()
