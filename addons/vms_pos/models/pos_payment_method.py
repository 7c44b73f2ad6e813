"""The Voucher tender: Odoo's payment-terminal pattern on the redemption engine.

The till's ``PaymentInterface`` (static/src/app/utils/payment/) asks the
server through the routes of ``controllers/main.py``, which call the methods
below on the tender's payment method:

- *hold* (``sendPaymentRequest``): the engine validates the voucher against
  the order (lines, bill, customer, card) and reserves the amount; the hold's
  id goes on the payment line's ``transaction_id``;
- *release* (``sendPaymentCancel``, a removed line, a deleted order);
- *OTP request / verify* (seed 003) for vouchers that belong to someone;
- *refund*: which redemption of the refunded order a refund line gives back.

The order's own sync then confirms the holds (``pos.order._vms_settle``).
"""

import hashlib
import json
import math

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.vms_loyalty.exceptions import VmsError, VmsInvalid

from .pos_payment_method_points import POINTS_TERMINAL

TERMINAL = "vms_voucher"
# The loyalty tenders: vouchers, and club points (pos_payment_method_points.py).
TERMINALS = (TERMINAL, POINTS_TERMINAL)
MAX_LINES = 500
MAX_AMOUNT = 10**9
PURPOSE = "voucher_redemption"


def _text(env, value, name, max_length, required=True):
    if value is not None and (not isinstance(value, str) or len(value) > max_length):
        raise VmsInvalid(
            f"invalid_{name}",
            env._(
                "%(name)s must be a text of at most %(max)s characters.", name=name, max=max_length
            ),
        )
    # Blank is missing: an empty uuid would name every hold without one.
    value = value.strip() if value else ""
    if not value:
        if required:
            raise VmsInvalid(f"{name}_required", env._("%(name)s is required.", name=name))
        return None
    return value


def _number(env, value, name, low=-MAX_AMOUNT, high=MAX_AMOUNT):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise VmsInvalid(f"invalid_{name}", env._("%(name)s is not a valid number.", name=name))
    return float(value)


def _record_id(env, value, name):
    if value in (None, False, 0):
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise VmsInvalid(f"invalid_{name}", env._("%(name)s is not a record id.", name=name))
    return value


def otp_scope(hold, holds):
    """The holds one OTP approves with ``hold``, among the holder's ``holds``
    on the order.

    The minimum is for all that one holder's vouchers pay on the order, so
    splitting a payment does not dodge it. A payment at or above the minimum
    needs a code of its own (the engine uses a code up with the redemption
    it approves); the holder's smaller payments are approved together, by
    one code for their total.
    """
    minimum = hold.company_id._vms_store().otp_min_amount
    currency = hold.currency_id
    if currency.compare_amounts(hold.amount, minimum) >= 0:
        return hold
    # A code is sent for vouchers or for points (its purpose): one approves
    # the holder's smaller payments of the same kind.
    return holds.filtered(
        lambda h: h.kind == hold.kind and currency.compare_amounts(h.amount, minimum) < 0
    )


def fingerprint(lines, bill_amount, partner, card, currency):
    """Digest of what a hold was checked against (lines, bill, customer, card)."""
    items = sorted(
        (line["product"].id, round(line["qty"], 3), currency.round(line["subtotal"]))
        for line in lines
    )
    payload = json.dumps([items, currency.round(bill_amount), partner.id or 0, card.id or 0])
    return hashlib.sha256(payload.encode()).hexdigest()


class PosPaymentMethod(models.Model):
    _name = "pos.payment.method"
    _inherit = ["pos.payment.method", "vms.pos.points.tender"]

    def _get_payment_terminal_selection(self):
        return [
            *super()._get_payment_terminal_selection(),
            (TERMINAL, _("Vouchers (VMS)")),
            (POINTS_TERMINAL, _("Club Points (VMS)")),
        ]

    # ------------------------------------------------------------------
    # What the till sends
    # ------------------------------------------------------------------

    def _vms_pos_in_store(self, session_id):
        """This tender in the store of the till it is used at.

        The engine takes the store from ``env.company``; the till's routes
        carry no company of their own, so that was the cashier's default
        company, not the till's (a cashier of one branch working at another's
        till). The session is checked again by each action."""
        session = (
            self.env["pos.session"].browse(_record_id(self.env, session_id, "session")).exists()
        )
        if not session:
            return self
        return self.with_company(session.config_id.company_id)

    def _vms_pos_voucher_session(self, session_id):
        session = self._vms_pos_session(session_id)
        if self.use_payment_terminal != TERMINAL:
            raise VmsError("not_a_voucher_tender", _("This payment method does not take vouchers."))
        return session

    def _vms_pos_session(self, session_id):
        """The open session the request comes from, using this tender."""
        self.ensure_one()
        if self.use_payment_terminal not in TERMINALS:
            raise VmsError("not_a_voucher_tender", _("This payment method does not take vouchers."))
        if not self.env.user.has_group("point_of_sale.group_pos_user"):
            raise AccessError(_("Only point of sale users take vouchers at the till."))
        session = (
            self.env["pos.session"].browse(_record_id(self.env, session_id, "session")).exists()
        )
        if not session or session.state != "opened":
            raise VmsError(
                "session_closed", _("The session of this till is not open; reload the till.")
            )
        session.check_access("read")
        if self not in session.payment_method_ids:
            raise VmsError(
                "not_a_voucher_tender", _("This till does not take vouchers with this tender.")
            )
        return session

    @api.model
    def _vms_pos_sale(self, session, order):
        """The order's proof for the engine: lines, bill, customer and card."""
        if not isinstance(order, dict):
            raise VmsInvalid("invalid_order", _("The order is missing from the request."))
        currency = session.currency_id
        lines_in = order.get("lines") or []
        if not isinstance(lines_in, list) or len(lines_in) > MAX_LINES:
            raise VmsInvalid("invalid_lines", _("An order has at most %s lines.", MAX_LINES))
        product_ids = []
        for line in lines_in:
            if not isinstance(line, dict):
                raise VmsInvalid("invalid_lines", _("An order line is not readable."))
            product_ids.append(_record_id(self.env, line.get("product_id"), "product"))
        products = self.env["product.product"].browse(set(product_ids)).exists()
        by_id = {product.id: product for product in products}
        lines = []
        for line, product_id in zip(lines_in, product_ids, strict=True):
            qty = _number(self.env, line.get("qty"), "quantity", -(10**6), 10**6)
            subtotal = _number(self.env, line.get("price_subtotal_incl"), "line amount")
            if not qty or product_id not in by_id:
                continue
            lines.append({"product": by_id[product_id], "qty": qty, "subtotal": subtotal})
        partner = self.env["res.partner"].browse(
            _record_id(self.env, order.get("partner_id"), "customer")
        )
        partner = partner.exists()
        card = (
            self.env["vms.card"].browse(_record_id(self.env, order.get("card_id"), "card")).exists()
        )
        if card and card.state == "blocked":
            raise VmsError(
                "card_blocked", _("Club card %(number)s is blocked.", number=card.number)
            )
        bill_amount = _number(self.env, order.get("amount_total"), "bill amount")
        return self._vms_pos_proof(lines, bill_amount, partner, card, currency)

    @api.model
    def _vms_pos_proof(self, lines, bill_amount, partner, card, currency):
        return {
            "proof": {
                "currency": currency,
                "partner": partner or None,
                "card": card or None,
                "bill_amount": currency.round(bill_amount),
                "lines": [
                    {
                        "product": line["product"],
                        "qty": line["qty"],
                        "price_unit": line["subtotal"] / line["qty"],
                    }
                    for line in lines
                ],
            },
            "fingerprint": fingerprint(lines, bill_amount, partner, card, currency),
        }

    @api.model
    def _vms_pos_keys(self, params):
        order = params.get("order") or {}
        payment = params.get("payment") or {}
        if not isinstance(order, dict) or not isinstance(payment, dict):
            raise VmsInvalid("invalid_request", _("The order or payment is missing."))
        order_uuid = _text(self.env, order.get("uuid"), "order", 64)
        payment_uuid = _text(self.env, payment.get("uuid"), "payment", 64)
        return order, payment, order_uuid, payment_uuid

    # ------------------------------------------------------------------
    # Hold, release
    # ------------------------------------------------------------------

    def _vms_pos_hold(self, params):
        """Hold what the voucher may pay of the line's amount for this order.

        The line is capped at what the voucher has free and may pay for these
        lines; any refusal comes in the engine's words. A retry of the same
        request (same payment attempt) returns the first hold.
        """
        session = self._vms_pos_voucher_session(params.get("session_id"))
        order, payment, order_uuid, payment_uuid = self._vms_pos_keys(params)
        # A scanned QR carries the signed payload: online, its code is enough.
        code = self.env["vms.signing.key"]._vms_code_of(params.get("code"))
        code = _text(self.env, code, "code", 128)
        pin = _text(self.env, params.get("pin"), "pin", 12, required=False)
        attempt = int(_number(self.env, payment.get("attempt", 0), "attempt", 0, 1000))
        currency = session.currency_id
        requested = currency.round(_number(self.env, payment.get("amount"), "amount"))
        if currency.compare_amounts(requested, 0) <= 0:
            raise VmsInvalid("invalid_amount", _("A voucher pays a positive amount."))
        reference = (
            _text(self.env, order.get("reference"), "reference", 64, required=False) or order_uuid
        )
        sale = self._vms_pos_sale(session, order)
        proof = sale["proof"]
        key = f"pos:{order_uuid}:{payment_uuid}:{attempt}"
        Redemption = self.env["vms.redemption"]
        # A voucher pays for goods, never change: at most the bill.
        if currency.compare_amounts(proof["bill_amount"], 0) > 0:
            requested = min(requested, proof["bill_amount"])
        amount = requested
        if not Redemption.search_count([("pos_hold_key", "=", key)]):
            # Who the voucher is and what it has free, then hold at most that:
            # the engine re-checks everything under the voucher's row lock.
            voucher, _eligible = Redemption._vms_validate(code, currency.rounding, pin=pin, **proof)
            # sudo: the engine took the voucher for this store; it may be the
            # head office's, which a branch's till does not read itself.
            voucher = voucher.sudo()
            if voucher.value_type == "nominal":
                available = currency.round(voucher.balance - self._vms_pos_held(voucher))
                if currency.compare_amounts(available, 0) > 0:
                    amount = min(requested, available)
        hold = Redemption._vms_hold(
            code,
            amount,
            order_ref=reference,
            idempotency_key=key,
            channel="pos",
            pin=pin,
            **proof,
        )
        if not hold.pos_payment_uuid:
            # sudo: the till's bookkeeping on the hold it just made.
            hold.sudo().write(
                {
                    "pos_hold_key": key,
                    "pos_session_id": session.id,
                    "pos_order_uuid": order_uuid,
                    "pos_payment_uuid": payment_uuid,
                    "pos_fingerprint": sale["fingerprint"],
                }
            )
        return self._vms_pos_line_info(hold, requested=requested)

    @api.model
    def _vms_pos_held(self, voucher):
        """What open holds of every channel reserve of the voucher now."""
        # sudo: holds of other companies' channels (a web shop) count too; only a sum is read.
        holds = (
            self.env["vms.redemption"]
            .sudo()
            .search(
                [
                    ("voucher_id", "=", voucher.id),
                    ("state", "=", "held"),
                    ("expires_at", ">", fields.Datetime.now()),
                ]
            )
        )
        return sum(holds.mapped("amount"))

    @api.model
    def _vms_pos_line_info(self, hold, requested=None):
        """What the payment line shows and keeps of a hold."""
        result = hold._vms_result()
        # sudo: the till's own hold may be on a voucher of the head office (a
        # branch's till works in the branch alone); its validity and holder only.
        voucher = hold.sudo().voucher_id
        holder = hold.sudo().partner_id
        store = hold.company_id._vms_store()  # the voucher's OTP settings, as the engine reads them
        otp = hold.sudo().pos_otp_id  # sudo: the OTP's state and amount only
        verified = bool(otp) and otp.state == "verified"
        return {
            "transaction_id": str(hold.id),
            "amount": result["amount"],
            "requested": requested if requested is not None else result["amount"],
            "code": result["code"],
            "balance": result["balance"],
            "available": result["available"],
            "valid_to": fields.Date.to_string(voucher.valid_to) if voucher.valid_to else False,
            "holder_key": holder.id or 0,
            "otp": {
                "mandatory": bool(store.otp_mandatory and holder),
                "min_amount": store.otp_min_amount,
                "verified": verified,
            },
        }

    def _vms_pos_release(self, params):
        """Free the holds of one payment line (or of a whole order)."""
        session = self._vms_pos_session(params.get("session_id"))
        order_uuid = _text(self.env, params.get("order_uuid"), "order", 64)
        payment_uuid = _text(self.env, params.get("payment_uuid"), "payment", 64, required=False)
        domain = [*session.config_id._vms_till_holds_domain(order_uuid), ("state", "=", "held")]
        if payment_uuid:
            domain.append(("pos_payment_uuid", "=", payment_uuid))
        holds = self.env["vms.redemption"].search(domain)
        for hold in holds:
            hold._vms_release()
        return {"released": len(holds)}

    # ------------------------------------------------------------------
    # OTP at the tender (seed 003)
    # ------------------------------------------------------------------

    def _vms_pos_holder_holds(self, params):
        session = self._vms_pos_session(params.get("session_id"))
        order_uuid = _text(self.env, params.get("order_uuid"), "order", 64)
        payment_uuid = _text(self.env, params.get("payment_uuid"), "payment", 64)
        Redemption = self.env["vms.redemption"]
        till_holds = session.config_id._vms_till_holds_domain(order_uuid)
        hold = Redemption.search(
            [*till_holds, ("pos_payment_uuid", "=", payment_uuid), ("state", "=", "held")],
            limit=1,
        )
        if not hold:
            raise VmsError(
                "hold_not_found",
                _("This voucher payment is no longer held; take the voucher again."),
            )
        holder = hold.partner_id
        if not holder:
            raise VmsError(
                "otp_not_needed",
                _("Voucher %(code)s belongs to nobody: no code is needed.", code=hold.code),
            )
        holds = Redemption.search([*till_holds, ("state", "=", "held")]).filtered(
            lambda h: h.partner_id == holder
        )
        return session, hold, holder, otp_scope(hold, holds)

    def _vms_pos_otp_request(self, params):
        _session, hold, holder, holds = self._vms_pos_holder_holds(params)
        total = hold.currency_id.round(sum(holds.mapped("amount")))
        otp = self.env["vms.otp"]._vms_request(
            holder,
            total,
            hold.order_ref,
            hold._vms_otp_purpose(),
            currency=hold.currency_id,
            company=hold.company_id,
        )
        ttl = int((otp.expires_at - fields.Datetime.now()).total_seconds())
        return {
            "otp_id": otp.id,
            "phone": otp._vms_masked_phone(),
            "amount": total,
            "expires_in": max(ttl, 0),
            "resend_in": 30,
        }

    def _vms_pos_otp_verify(self, params):
        _session, hold, holder, holds = self._vms_pos_holder_holds(params)
        otp_id = _record_id(self.env, params.get("otp_id"), "otp")
        code = _text(self.env, params.get("otp_code"), "otp_code", 12)
        total = hold.currency_id.round(sum(holds.mapped("amount")))
        otp = self.env["vms.otp"]._vms_verify(
            otp_id,
            code,
            partner=holder,
            amount=total,
            reference=hold.order_ref,
            purpose=hold._vms_otp_purpose(),
        )
        # sudo: the approval is kept on the holds until the order's sync confirms them.
        holds.sudo().write({"pos_otp_id": otp.id})
        return {
            "verified": True,
            "holder_key": holder.id,
            "amount": otp.amount,
            "payment_uuids": [h.pos_payment_uuid for h in holds],
        }

    # ------------------------------------------------------------------
    # Refunds
    # ------------------------------------------------------------------

    def _vms_pos_refund(self, params):
        """Which voucher payment of the refunded order a refund line gives back.

        Any till of the shop may refund, by any user with the right to refund
        at the till: the redemption belongs to the company, not to the cashier
        who took it. The reversal itself happens at the refund order's sync.
        """
        session = self._vms_pos_voucher_session(params.get("session_id"))
        order, payment, _order_uuid, _payment_uuid = self._vms_pos_keys(params)
        currency = session.currency_id
        requested = currency.round(-_number(self.env, payment.get("amount"), "amount"))
        if currency.compare_amounts(requested, 0) <= 0:
            raise VmsInvalid("invalid_amount", _("A refund gives a positive amount back."))
        line_ids = order.get("refunded_line_ids") or []
        if not isinstance(line_ids, list) or len(line_ids) > MAX_LINES:
            raise VmsInvalid("invalid_lines", _("The refunded lines are not readable."))
        refunded = (
            self.env["pos.order.line"]
            .browse([_record_id(self.env, i, "line") for i in line_ids])
            .exists()
            .order_id
        )
        if not refunded:
            raise VmsError(
                "not_a_refund", _("Refund to a voucher only what was paid by voucher on an order.")
            )
        taken = {}
        for item in params.get("taken") or []:
            if isinstance(item, dict):
                tid = _text(
                    self.env, str(item.get("transaction_id") or ""), "transaction", 20, False
                )
                if tid and tid.isdigit():
                    taken[int(tid)] = taken.get(int(tid), 0.0) + abs(
                        _number(self.env, item.get("amount", 0), "amount")
                    )
        # The voucher payments of the refunded order (its points payments are
        # the Loyalty Points tender's to give back).
        holds = self.env["vms.redemption"].search(
            [
                ("channel", "=", "pos"),
                ("kind", "=", "voucher"),
                ("pos_order_uuid", "in", refunded.mapped("uuid")),
                ("state", "=", "confirmed"),
            ],
            order="id",
        )
        for hold in holds:
            left = currency.round(hold.amount - hold.reversed_amount - taken.get(hold.id, 0.0))
            if currency.compare_amounts(left, 0) > 0:
                amount = min(requested, left)
                result = hold._vms_result()
                return {
                    "transaction_id": str(hold.id),
                    "amount": -amount,
                    "code": result["code"],
                    "balance": result["balance"],
                    "refundable": left,
                }
        raise VmsError(
            "nothing_to_refund",
            _("Nothing paid by voucher on this order is left to refund to a voucher."),
        )
