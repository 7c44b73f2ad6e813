"""The engine's decision on a voucher request: the facts checked against the
rules, once, for validate, hold and redeem alike."""

from dataclasses import dataclass

from odoo import _, api, fields, models

from ..exceptions import VmsError
from ..tools import rules


@dataclass(frozen=True, slots=True)
class Decision:
    """What the engine decided for a voucher request: the facts it read and
    the amount the voucher may pay."""

    store: rules.Store  # where the request is made
    voucher_store: rules.Store  # the voucher's company: its money and its OTP policy
    money: rules.Money
    voucher: rules.Voucher
    campaign: rules.Campaign
    sale: rules.Sale
    eligible: float
    needs_pin: bool


class VmsRedemptionVoucher(models.AbstractModel):
    """The redemption engine's decision on a voucher, and its validate, hold
    and redeem: the facts of a request read once and checked against the
    rules once, for every lane (see ``tools/rules.py``)."""

    _name = "vms.redemption.voucher"
    _description = "Voucher Redemption Decision"

    # The decision ------------------------------------------------------------

    @api.model
    def _vms_sale(
        self,
        money,
        amount,
        *,
        currency=None,
        card=None,
        partner=None,
        lines=None,
        bill_amount=None,
        method="code",
        pin=None,
    ):
        """The sale a till, the panel or a channel describes, as plain facts.

        ``card`` is a ``vms.card`` or already a ``rules.Card``; each of
        ``lines`` a dict of ``product`` (a ``product.product``), ``qty`` and
        ``price_unit``, or already a ``rules.Line``.
        """
        if lines is not None:
            lines = tuple(self._vms_line_facts(line) for line in lines)
        if card and not isinstance(card, rules.Card):
            card = rules.Card(card.id, card.sudo().state, card.sudo().partner_id.id)
        if bill_amount is not None:
            bill_amount = rules.parse_amount(self.env, bill_amount, money, _("bill amount"))
        return rules.Sale(
            amount=amount,
            currency_id=currency.id if currency else 0,
            bill_amount=bill_amount,
            lines=lines,
            partner_id=partner.id if partner else 0,
            card=card or None,
            method=method,
            pin_given=pin is not None,
        )

    @api.model
    def _vms_line_facts(self, line):
        if isinstance(line, rules.Line):
            return line
        product = line["product"].sudo()  # sudo: its item group decides a voucher's scope
        return rules.Line(
            product.id,
            product.categ_id.parent_path or "",
            float(line["qty"]),
            float(line["price_unit"]),
        )

    @api.model
    def _vms_decide(self, code, amount, *, lock, exclude=None, pin=None, **sale):
        """Read the voucher behind ``code`` and check a request for ``amount``
        against every rule, in their order; returns the :class:`Decision` or
        raises the refusal. ``lock`` takes the voucher's row for the rest of
        the transaction (hold and redeem; not validate, which may run on a
        read-only replica).

        Every voucher request of the till, the panel, the API and its express
        lane is decided here."""
        return self._vms_decide_now(code, amount, lock=lock, exclude=exclude, pin=pin, **sale)

    @api.model
    def _vms_decide_now(self, code, amount, *, lock, exclude=None, pin=None, **sale):
        store, facts, method = self._vms_find_facts(code, pin=pin, lock=lock, exclude=exclude)
        campaign = self.env["vms.campaign"]._vms_campaign_terms(facts.campaign_id)
        now = store.local_now(fields.Datetime.now())
        voucher_store = self.env["res.company"].browse(facts.company_id)._vms_store()
        money = voucher_store.money
        needs_pin = self._vms_check_access(facts, campaign, store, method=method, pin=pin, now=now)
        sale = self._vms_sale(
            money, rules.parse_amount(self.env, amount, money), method=method, pin=pin, **sale
        )
        Voucher = self.env["vms.voucher"].sudo()
        eligible = rules.check_spend(
            self.env,
            facts,
            money,
            sale,
            today=now.date(),
            state_label=Voucher._vms_state_label(facts.state),
        )
        return Decision(store, voucher_store, money, facts, campaign, sale, eligible, needs_pin)

    @api.model
    def _vms_find_facts(self, code, *, pin=None, lock=False, exclude=None):
        """The voucher a request names, for the caller's store: ``(store,
        facts, method)``, or the refusal (``invalid_code``,
        ``voucher_not_found``, ``too_many_unknown_codes``); whatever the
        caller's own rights, the store is checked by the rules."""
        self._vms_check_redeemer()
        if pin is not None and not (isinstance(pin, str) and pin.isdigit() and 4 <= len(pin) <= 8):
            raise VmsError("invalid_pin", _("A PIN is 4 to 8 digits."))
        company = self._vms_request_company()
        store = company._vms_store()
        Voucher = self.env["vms.voucher"].sudo()  # sudo: the store is checked by the rules
        method, value = Voucher._vms_presentation(code, company)
        facts = Voucher._vms_facts_presented(method, value, code, lock=lock, exclude=exclude)
        rules.check_found(self.env, facts, store)
        return store, facts, method

    @api.model
    def _vms_check_access(self, facts, campaign, store, *, method, pin, now):
        """Where, when and how the voucher is presented, and its PIN (tried and
        counted); returns whether a PIN was needed."""
        presented = rules.Sale(0.0, method=method, pin_given=pin is not None)
        needs_pin = rules.check_access(self.env, facts, campaign, store, presented, local_now=now)
        if needs_pin:
            voucher = self.env["vms.voucher"].sudo().browse(facts.id)
            self.env["vms.voucher.pin.failure"].sudo()._vms_try(voucher, pin)
        return needs_pin

    @api.model
    def _vms_sale_inputs(self, code, amount, pin=None, **sale):
        """A voucher request's inputs for its idempotency fingerprint."""
        lines = sale.get("lines")
        card, currency, partner = sale.get("card"), sale.get("currency"), sale.get("partner")
        return {
            "code": code,
            "amount": rules.amount_key(amount),
            "pin": self._vms_secret_digest(pin),
            "currency": currency.id if currency else None,
            "card": card.id if card else None,
            "partner": partner.id if partner else None,
            "bill_amount": rules.amount_key(sale.get("bill_amount")),
            "lines": None
            if lines is None
            else [
                (fact.product_id, rules.amount_key(fact.qty), rules.amount_key(fact.price_unit))
                for fact in map(self._vms_line_facts, lines)
            ],
        }

    # Validate, hold, redeem --------------------------------------------------

    @api.model
    def _vms_validate(self, code, amount, **sale):
        """How much of ``amount`` this voucher may pay now, or a refusal;
        changes nothing. Returns ``(voucher, eligible amount)``."""
        decision = self._vms_decide(code, amount, lock=False, **sale)
        return self.env["vms.voucher"].browse(decision.voucher.id), decision.eligible

    @api.model
    def _vms_validate_answer(self, code, amount, **sale):
        decision = self._vms_decide(code, amount, lock=False, **sale)
        voucher, money = decision.voucher, decision.money
        return {
            "code": voucher.code,
            "valid": True,
            "eligible_amount": decision.eligible,
            "balance": money.round(voucher.balance),
            "available": money.round(voucher.balance - voucher.held),
            "currency": money.name,
            "decimal_places": money.decimal_places,
        }

    @api.model
    def _vms_hold(self, code, amount, **request):
        """Reserve ``amount`` of a voucher for an order; returns the hold."""
        return self.browse(self._vms_hold_answer(code, amount, **request)["id"])

    @api.model
    def _vms_hold_answer(
        self,
        code,
        amount,
        *,
        order_ref,
        idempotency_key,
        channel,
        ttl_seconds=None,
        request_inputs=None,
        sale_from=None,
        **sale,
    ):
        """``request_inputs`` and ``sale_from`` (a function returning ``sale``)
        let a caller be recognised as a retry from its request as it came,
        before what it names is looked up (the API)."""
        inputs = request_inputs or {
            **self._vms_sale_inputs(code, amount, **sale),
            "order_ref": order_ref,
            "channel": channel,
            "ttl_seconds": ttl_seconds,
        }

        def hold():
            self._vms_check_order(order_ref, channel)
            decision = self._vms_decide(
                code, amount, lock=True, **(sale_from() if sale_from else sale)
            )
            ttl = rules.hold_ttl(self.env, decision.store, ttl_seconds)
            return self._vms_create_hold(decision, order_ref, channel, ttl)

        return self._vms_once("hold", idempotency_key, inputs, hold)

    @api.model
    def _vms_redeem(self, code, amount, **request):
        """Hold and confirm in one call (vending machines, web shops)."""
        return self.browse(self._vms_redeem_answer(code, amount, **request)["id"])

    @api.model
    def _vms_redeem_answer(
        self,
        code,
        amount,
        *,
        order_ref,
        idempotency_key,
        channel,
        otp_id=None,
        otp_code=None,
        express=True,
        request_inputs=None,
        sale_from=None,
        **sale,
    ):
        """Redeem in one call. A plain redemption (no PIN, no OTP, no remainder
        to pay out) is written by the express lane with SQL; any other by the
        full engine (a hold, then its confirmation). Both take the same
        decision, so the same requests are accepted and refused the same way."""
        inputs = request_inputs or {
            **self._vms_sale_inputs(code, amount, **sale),
            "order_ref": order_ref,
            "channel": channel,
            **self._vms_otp_inputs(otp_id, otp_code),
        }

        def redeem(digest):
            self._vms_check_order(order_ref, channel)
            decision = self._vms_decide(
                code, amount, lock=True, **(sale_from() if sale_from else sale)
            )
            ttl = rules.hold_ttl(self.env, decision.store)
            voucher = decision.voucher
            plain = not (
                decision.needs_pin
                or voucher.value_type != "nominal"
                or rules.otp_required(decision.voucher_store, voucher.holder_id, decision.eligible)
                or rules.pays_out_remainder(
                    decision.campaign, voucher, decision.money, voucher.spent + decision.eligible
                )
            )
            if express and plain:
                return self._vms_redeem_express(
                    decision,
                    order_ref=order_ref,
                    channel=channel,
                    ttl=ttl,
                    idempotency_key=idempotency_key,
                    digest=digest,
                )
            return self._vms_hold_and_confirm(
                lambda: self._vms_create_hold(decision, order_ref, channel, ttl),
                idempotency_key,
                otp_id=otp_id,
                otp_code=otp_code,
            )

        return self._vms_once_digest("redeem", idempotency_key, inputs, redeem)

    @api.model
    def _vms_check_order(self, order_ref, channel):
        if not isinstance(order_ref, str) or not order_ref.strip():
            raise VmsError("order_ref_required", _("A redemption is made for an order reference."))
        if len(order_ref) > 128 or not order_ref.isprintable():
            raise VmsError("invalid_order_ref", _("An order reference is at most 128 characters."))
        channels = self.env["vms.voucher.transaction"]._fields["channel"].get_values(self.env)
        if channel not in channels:
            raise VmsError("invalid_channel", _("Unknown channel %(channel)r.", channel=channel))

    @api.model
    def _vms_create_hold(self, decision, order_ref, channel, ttl):
        """The hold of the full engine (ORM), on a voucher locked by the decision."""
        voucher = self.env["vms.voucher"].sudo().browse(decision.voucher.id)
        voucher._vms_touch()
        card = decision.sale.card
        # sudo: the decision checked the caller and the store; the hold keeps the operator.
        return (
            self.sudo()
            .create(
                {
                    "kind": "voucher",
                    "voucher_id": voucher.id,
                    "company_id": decision.voucher.company_id,
                    "store_id": decision.store.id,
                    "currency_id": decision.money.currency_id,
                    "amount": decision.eligible,
                    "order_ref": order_ref,
                    "channel": channel,
                    "expires_at": self._vms_expiry(ttl),
                    "user_id": self.env.uid,
                    "card_id": card.id if card else False,
                }
            )
            .with_env(self.env)
        )
