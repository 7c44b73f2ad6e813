"""Club points in the redemption engine: a hold of points is a ``vms.redemption``
of the kind "points", held, confirmed, released, reversed and approved by OTP
by the same core as a voucher's; only the balance it spends differs
(``vms.points.balance``)."""

from datetime import datetime, time, timedelta

import pytz

from odoo import _, api, fields, models

from ..exceptions import VmsConflict, VmsError, VmsInvalid
from ..tools import codes, rules
from ..tools import points as points_rules
from .vms_redemption import CHANNEL_GROUP

POINTS_PURPOSES = [
    ("redeem", "Paying with Points"),
    ("convert", "Points to Voucher"),
    ("reward", "Reward Claim"),
]


class VmsRedemption(models.Model):
    """Holds of club points, and the engine's points operations that the till,
    the API and the back office call:

    - :meth:`_vms_points_hold` (then the core's ``_vms_confirm``,
      ``_vms_release``, ``_vms_request_otp``, ``_vms_reverse``): the points
      tender of the till, hold on request, confirm in the order's sync;
    - :meth:`_vms_points_redeem`: hold and confirm in one call (API);
    - :meth:`_vms_points_convert`: points to an active voucher, in one
      transaction;
    - :meth:`_vms_reward_claim` and :meth:`_vms_reward_redeem`: a reward of
      the catalogue claimed (its points held) and handed over (spent).
    """

    _name = "vms.redemption"
    _inherit = ["vms.redemption", "vms.redemption.points.api", "vms.redemption.points.express"]

    kind = fields.Selection(selection_add=[("points", "Points")], ondelete={"points": "cascade"})
    points_account_id = fields.Many2one(
        "vms.points.account",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
    )
    points = fields.Float(digits=(16, 3), readonly=True)
    points_reversed = fields.Float(digits=(16, 3), readonly=True)
    points_purpose = fields.Selection(POINTS_PURPOSES, readonly=True)
    points_move_id = fields.Many2one("vms.points.move", readonly=True)
    points_voucher_id = fields.Many2one(
        "vms.voucher", string="Voucher Bought", readonly=True, index="btree_not_null"
    )
    reward_claim_id = fields.Many2one("vms.reward.claim", readonly=True, index="btree_not_null")

    _open_points_holds_idx = models.Index(
        "(points_account_id, expires_at) WHERE state = 'held' AND points_account_id IS NOT NULL"
    )
    _points_positive = models.Constraint(
        "CHECK(kind <> 'points' OR (points_account_id IS NOT NULL AND points > 0))",
        "A hold of points reserves a positive number of points of an account.",
    )

    # ------------------------------------------------------------------
    # What the core asks
    # ------------------------------------------------------------------

    def _vms_balance(self):
        self.ensure_one()
        if self.kind == "points":
            return self.points_account_id
        return super()._vms_balance()

    def _vms_check_otp(self, otp_id, otp_code, verified_otp=None):
        """A reward's points were approved when it was claimed (the member had
        the OTP then); handing the reward over later asks for none."""
        if self.kind == "points" and self.reward_claim_id:
            return self.otp_id or None
        return super()._vms_check_otp(otp_id, otp_code, verified_otp)

    @api.model
    def _vms_api_money(self, answer):
        """The core routes (confirm, release, reverse ...) answer for points
        holds too: their points as decimal strings as well."""
        if answer.get("kind") == "points":
            answer = self._vms_api_points_text(answer)
        return super()._vms_api_money(answer)

    def _vms_points_reason(self):
        self.ensure_one()
        if self.points_purpose == "reward":
            return _("reward %s", self.reward_claim_id.reward_id.name or "")
        if self.points_purpose == "convert":
            return _("points to voucher")
        return None

    # ------------------------------------------------------------------
    # Paying with points (the till's tender, the API)
    # ------------------------------------------------------------------

    @api.model
    def _vms_points_inputs(self, holder, **values):
        """A points request's inputs for its idempotency fingerprint."""
        inputs = {
            key: rules.amount_key(value) if key in ("points", "amount", "bill_amount") else value
            for key, value in values.items()
        }
        if isinstance(holder, str):
            inputs["card_number"] = holder
        else:
            inputs[holder._name if holder else "holder"] = holder.id if holder else None
        return inputs

    @api.model
    def _vms_points_hold(self, holder, **request):
        """Reserve points of ``holder`` (a ``vms.card`` or a ``res.partner``)
        for an order: ``points=`` or ``amount=`` (money, converted to points
        rounded up), ``order_ref=``, ``idempotency_key=``, ``channel=``,
        ``ttl_seconds=``. Returns the hold; the core confirms, releases and
        reverses it and asks its OTP."""
        return self.browse(self._vms_points_hold_answer(holder, **request)["id"])

    @api.model
    def _vms_points_hold_answer(
        self,
        holder,
        *,
        order_ref,
        idempotency_key,
        channel,
        points=None,
        amount=None,
        ttl_seconds=None,
    ):
        inputs = self._vms_points_inputs(
            holder,
            points=points,
            amount=amount,
            order_ref=order_ref,
            channel=channel,
            ttl_seconds=ttl_seconds,
        )

        def hold():
            self._vms_check_points_request(order_ref, channel, points, amount)
            account, card = self._vms_points_account(holder)
            store = self._vms_request_store()
            ttl = rules.hold_ttl(self.env, store, ttl_seconds)
            return self._vms_create_points_hold(
                account,
                card,
                points=points,
                amount=amount,
                order_ref=order_ref,
                channel=channel,
                expires_at=self._vms_expiry(ttl),
                purpose="redeem",
            )

        return self._vms_once("points_hold", idempotency_key, inputs, hold)

    @api.model
    def _vms_points_redeem(self, holder, **request):
        """Hold and confirm points in one call; the OTP (``otp_id`` and
        ``otp_code``, or ``verified_otp``) where the rules ask for it.
        ``holder``: a ``vms.card``, a ``res.partner``, or a club card's number
        (as channels send it)."""
        return self.browse(self._vms_points_redeem_answer(holder, **request)["id"])

    @api.model
    def _vms_points_redeem_answer(
        self,
        holder,
        *,
        order_ref,
        idempotency_key,
        channel,
        points=None,
        amount=None,
        otp_id=None,
        otp_code=None,
        verified_otp=None,
        bill_amount=None,
        express=True,
    ):
        """Redeem in one call. A plain redemption of a card's points (no OTP
        given nor needed, no debt, no lot to expire first) is written by the
        express lane with SQL; any other by the full engine (a hold, then its
        confirmation). Both take the same decision of the rules."""
        inputs = self._vms_points_inputs(
            holder,
            points=points,
            amount=amount,
            order_ref=order_ref,
            channel=channel,
            **self._vms_otp_inputs(otp_id, otp_code, verified_otp),
            bill_amount=bill_amount,
        )

        def redeem(digest):
            self._vms_check_points_request(order_ref, channel, points, amount)
            is_card = isinstance(holder, str) or (holder and holder._name == "vms.card")
            if express and is_card and not (otp_id or otp_code or verified_otp):
                answer = self._vms_points_redeem_express(
                    holder,
                    points=points,
                    amount=amount,
                    order_ref=order_ref,
                    channel=channel,
                    bill_amount=bill_amount,
                    idempotency_key=idempotency_key,
                    digest=digest,
                )
                if answer is not None:
                    return answer
            account, card = self._vms_points_account(holder)
            store = self._vms_request_store()
            return self._vms_hold_and_confirm(
                lambda: self._vms_create_points_hold(
                    account,
                    card,
                    points=points,
                    amount=amount,
                    order_ref=order_ref,
                    channel=channel,
                    expires_at=self._vms_expiry(rules.hold_ttl(self.env, store)),
                    purpose="redeem",
                ),
                idempotency_key,
                otp_id=otp_id,
                otp_code=otp_code,
                verified_otp=verified_otp,
                bill_amount=bill_amount,
            )

        return self._vms_once_digest("points_redeem", idempotency_key, inputs, redeem)

    # ------------------------------------------------------------------
    # Points to voucher
    # ------------------------------------------------------------------

    @api.model
    def _vms_points_convert(self, holder, points, **request):
        """Turn ``points`` of ``holder`` into an active voucher of the
        programme's points-to-voucher campaign ("versus bonus points"), worth
        their value, in one transaction: the hold, the voucher with its
        chronology, the "convert" move. Anything refused or failing leaves the
        points untouched. Returns the hold (``points_voucher_id``: the voucher)."""
        return self.browse(self._vms_points_convert_answer(holder, points, **request)["id"])

    @api.model
    def _vms_points_convert_answer(
        self,
        holder,
        points,
        *,
        idempotency_key,
        channel,
        order_ref=None,
        otp_id=None,
        otp_code=None,
        verified_otp=None,
    ):
        # The OTP of a conversion is asked for its order reference, or for the
        # idempotency key when there is none.
        order_ref = order_ref or idempotency_key
        inputs = self._vms_points_inputs(
            holder,
            points=points,
            order_ref=order_ref,
            channel=channel,
            **self._vms_otp_inputs(otp_id, otp_code, verified_otp),
        )

        def convert():
            self._vms_check_points_request(order_ref, channel, points, None)
            account, card = self._vms_points_account(holder)
            program_record = self.env["vms.points.program"].sudo().browse(account._vms_program().id)
            campaign = program_record.campaign_id
            if not campaign or campaign.state != "running":
                raise VmsError(
                    "conversion_closed",
                    _("Points are not turned into vouchers at this retailer right now."),
                )
            store = self._vms_request_store()

            def hold_with_voucher():
                hold = self._vms_create_points_hold(
                    account,
                    card,
                    points=points,
                    amount=None,
                    order_ref=order_ref,
                    channel=channel,
                    expires_at=self._vms_expiry(rules.hold_ttl(self.env, store)),
                    purpose="convert",
                )
                voucher = self._vms_issue_points_voucher(
                    campaign, hold.amount, account, card, program_record.voucher_validity_days
                )
                # sudo: the engine links the voucher it just issued to its hold.
                hold.sudo().write({"points_voucher_id": voucher.id})
                return hold

            return self._vms_hold_and_confirm(
                hold_with_voucher,
                idempotency_key,
                otp_id=otp_id,
                otp_code=otp_code,
                verified_otp=verified_otp,
            )

        return self._vms_once("points_convert", idempotency_key, inputs, convert)

    @api.model
    def _vms_issue_points_voucher(self, campaign, nominal, account, card, validity_days):
        """An active voucher of ``campaign`` worth ``nominal``, for the member
        (sudo: the engine decided; its generate and activate rows keep the
        operator)."""
        today = account.company_id._vms_today()
        return (
            self.env["vms.voucher"]
            .sudo()
            .with_context(tracking_disable=True)
            .create(
                {
                    "campaign_id": campaign.id,
                    "company_id": campaign.company_id.id,
                    "voucher_type": "points",
                    "value_type": "nominal",
                    "nominal_amount": nominal,
                    "partner_id": account.partner_id.id,
                    "card_id": card.id
                    if card and card.company_id == campaign.company_id
                    else False,
                    "valid_from": today,
                    "valid_to": today + timedelta(days=validity_days) if validity_days else False,
                    "bonus_points_accrue": False,
                    "state": "active",
                }
            )
        )

    # ------------------------------------------------------------------
    # Rewards
    # ------------------------------------------------------------------

    @api.model
    def _vms_reward_claim(self, holder, reward, **request):
        """Claim ``reward`` (a ``vms.reward``) for ``holder``: its points are
        held until the reward is handed over or the claim lapses, and the
        member gets a reward code. Returns the hold (``reward_claim_id``)."""
        return self.browse(self._vms_reward_claim_answer(holder, reward, **request)["id"])

    @api.model
    def _vms_reward_claim_answer(
        self,
        holder,
        reward,
        *,
        idempotency_key,
        channel,
        order_ref=None,
        otp_id=None,
        otp_code=None,
        verified_otp=None,
    ):
        order_ref = order_ref or idempotency_key
        inputs = self._vms_points_inputs(
            holder,
            reward=reward.id,
            order_ref=order_ref,
            channel=channel,
            **self._vms_otp_inputs(otp_id, otp_code, verified_otp),
        )

        def claim():
            self._vms_check_points_request(order_ref, channel, None, None)
            account, card = self._vms_points_account(holder)
            reward_sudo = reward.sudo()  # sudo: a channel reads no catalogue itself
            if (
                not reward_sudo.exists()
                or not reward_sudo.active
                or reward_sudo.company_id != account.company_id
            ):
                raise VmsError("reward_not_found", _("No such reward."), http_status=404)
            account._vms_lock()
            program = account._vms_program()
            expires_at = self._vms_claim_expiry(account, program, reward_sudo)
            hold = self._vms_create_points_hold(
                account,
                card,
                points=reward_sudo.points_cost,
                amount=None,
                order_ref=order_ref,
                channel=channel,
                expires_at=expires_at,
                purpose="reward",
            )
            otp = hold.sudo()._vms_check_otp(otp_id, otp_code, verified_otp)
            claim = self.env["vms.reward.claim"]._vms_create_for(
                hold, reward_sudo, account, card, expires_at
            )
            hold.sudo().write({"reward_claim_id": claim.id, "otp_id": otp.id if otp else False})
            return hold

        return self._vms_once("reward_claim", idempotency_key, inputs, claim)

    @api.model
    def _vms_claim_expiry(self, account, program, reward):
        """When a claim lapses: after the reward's (or the programme's) claim
        lifetime, and no later than the last day its points are still there."""
        days = (
            reward.claim_days or self.env["vms.points.program"].sudo().browse(program.id).claim_days
        )
        expires_at = fields.Datetime.now() + timedelta(days=days)
        today = account._vms_today()
        held = account._vms_held_points_by_account().get(account.id, 0.0)
        last_day = points_rules.lapse_date(
            account._vms_lots(), today, reward.points_cost + held + account._vms_debt()
        )
        if last_day:
            zone = pytz.timezone(program.tz or "UTC")
            end = zone.localize(datetime.combine(last_day + timedelta(days=1), time.min))
            expires_at = min(expires_at, end.astimezone(pytz.utc).replace(tzinfo=None))
        return expires_at

    def _vms_check_core_settles(self):
        """A reward claim's hold is settled by handing the reward over, or by
        canceling or lapsing the claim; confirming or releasing it otherwise
        would spend or free its points apart from the reward."""
        claim = self.sudo().reward_claim_id
        if claim.state == "claimed":
            raise VmsConflict(
                "reward_claim_open",
                _(
                    "This hold belongs to reward code %(code)s: hand the reward over or "
                    "cancel the claim.",
                    code=claim.code,
                ),
            )
        return super()._vms_check_core_settles()

    def _vms_check_owner(self, right="redeem"):
        """A reward handed over is given back where it was handed over (or
        by that store's parents), and by the channel that handed it over:
        not by the channel that claimed it, once another store gave it."""
        super()._vms_check_owner(right)
        claim = self.sudo().reward_claim_id
        if right != "reverse" or self.env.su or claim.state != "redeemed":
            return
        handed = claim.redeemed_store_id._vms_store()
        store = self._vms_request_store()
        by_channel = self.env.user.has_group(CHANNEL_GROUP)
        if store.id not in handed.company_ids or (
            by_channel and claim.redeemed_user_id.id != self.env.uid
        ):
            raise VmsConflict(
                "reward_handed_over_elsewhere",
                _(
                    "Reward code %(code)s was handed over at %(store)s: it is given back there.",
                    code=claim.code,
                    store=handed.name,
                ),
            )

    @api.model
    def _vms_reward_redeem(self, code, **request):
        """Hand over the reward of claim ``code``: its held points are spent
        (a voucher reward issues its voucher), the claim is redeemed, by this
        operator at this store, once. Returns the hold."""
        return self.browse(self._vms_reward_redeem_answer(code, **request)["id"])

    @api.model
    def _vms_reward_redeem_answer(self, code, *, idempotency_key, channel):
        # A scanner may add blanks or dashes: the code as it is looked up.
        inputs = {
            "reward_code": codes.normalize(code) if isinstance(code, str) else code,
            "channel": channel,
        }

        def redeem():
            self._vms_check_redeemer()
            self._vms_check_channel(channel)
            claim = self.env["vms.reward.claim"]._vms_find(code, self._vms_request_company())
            claim._vms_lock()
            claim._vms_check_redeemable()
            hold = claim.redemption_id
            hold._vms_check_open()  # its points still held for the reward
            reward = claim.reward_id
            account = claim.account_id
            with self.env.cr.savepoint():
                if reward.reward_type == "voucher":
                    program = (
                        self.env["vms.points.program"].sudo().browse(account._vms_program().id)
                    )
                    voucher = self._vms_issue_points_voucher(
                        reward.voucher_campaign_id or program.campaign_id,
                        reward.voucher_amount,
                        account,
                        claim.card_id,
                        program.voucher_validity_days,
                    )
                    hold.write({"points_voucher_id": voucher.id})
                hold._vms_confirm_now(idempotency_key)
                claim._vms_mark_redeemed(channel, hold.points_voucher_id)
            return hold

        return self._vms_once("reward_redeem", idempotency_key, inputs, redeem)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    @api.model
    def _vms_check_points_request(self, order_ref, channel, points, amount):
        self._vms_check_redeemer()
        self._vms_check_order(order_ref, channel)
        if points is not None and amount is not None:
            raise VmsInvalid(
                "points_or_amount", _("Ask for points or for an amount of money, not both.")
            )

    @api.model
    def _vms_check_channel(self, channel):
        channels = self.env["vms.voucher.transaction"]._fields["channel"].get_values(self.env)
        if channel not in channels:
            raise VmsError("invalid_channel", _("Unknown channel %(channel)r.", channel=channel))

    @api.model
    def _vms_points_account(self, holder):
        """The account a request spends, within the request's retailer;
        ``holder`` is a ``vms.card``, a ``res.partner`` or a club card number."""
        Account = self.env["vms.points.account"]
        if isinstance(holder, str):
            holder = Account._vms_card_by_number(holder, self._vms_request_company())
        account, card = Account._vms_account_for(
            holder, company=self._vms_request_company(), spend=True
        )
        if not account:
            raise VmsError(
                "insufficient_points", _("The member has no points yet."), http_status=409
            )
        return account, card

    @api.model
    def _vms_points_wanted(self, program, points, amount):
        """``(points, amount)`` of a request for points or for an amount of
        money: an amount takes the points rounded up, points are worth the
        money rounded down (and must be worth some)."""
        if points is None and amount is None:
            raise VmsInvalid("points_required", _("Say how many points, or which amount."))
        if points is None:
            amount = rules.parse_amount(self.env, amount, program.money)
            return program.to_points(amount), amount
        points = points_rules.parse_points(self.env, points, program)
        amount = program.to_money(points)
        if program.money.is_zero(amount):
            raise VmsInvalid(
                "points_worth_nothing",
                _(
                    "%(points)s points are worth less than %(step)s.",
                    points=program.text(points),
                    step=program.money.text(program.money.rounding),
                ),
            )
        return points, amount

    @api.model
    def _vms_create_points_hold(
        self, account, card, *, points, amount, order_ref, channel, expires_at, purpose
    ):
        """A hold of points of a locked account, checked against what is free."""
        account._vms_lock()
        program = account._vms_program()
        points, amount = self._vms_points_wanted(program, points, amount)
        points_rules.check_available(self.env, program, points, account._vms_free_points())
        # sudo: the caller and the account were checked; the hold keeps the operator.
        return (
            self.sudo()
            .create(
                {
                    "kind": "points",
                    "points_account_id": account.id,
                    "points": points,
                    "points_purpose": purpose,
                    "company_id": account.company_id.id,
                    "store_id": self._vms_request_company().id,
                    "currency_id": program.money.currency_id,
                    "amount": amount,
                    "order_ref": order_ref,
                    "channel": channel,
                    "expires_at": expires_at,
                    "user_id": self.env.uid,
                    "card_id": card.id if card else False,
                }
            )
            .with_env(self.env)
        )
