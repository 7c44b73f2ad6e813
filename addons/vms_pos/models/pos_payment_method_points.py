"""The Loyalty Points tender (seed 003's "Loyalty Redemption"): the voucher
tender's mechanics for club points.

The till's ``PaymentVmsPoints`` (static/src/app/utils/payment/) asks the
server through the tender's routes (``controllers/main.py``); this mixin of
``pos.payment.method`` answers them with the engine of ``vms_loyalty``:

- *points_info*: the member's balance and what it is worth, for the order's
  customer or scanned club card;
- *points_hold* (``sendPaymentRequest``): ``vms.redemption._vms_points_hold``
  reserves the points paying the line's amount (never more than the bill,
  never more than the points are worth); releasing, the OTP and the
  confirmation at the order's sync are the voucher tender's own code paths;
- *points_refund*: what a refund line gives back in points (the engine's
  ``_vms_refund_bill`` tried and rolled back; the refund's sync does it);
- *points_convert* (with its OTP): points turned into a voucher on the
  cashier's request, printed on the order's receipt.
"""

import math
import uuid

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.vms_loyalty.exceptions import VmsError, VmsInvalid

POINTS_TERMINAL = "vms_points"
POINTS_PURPOSE = "points_redemption"
MAX_POINTS = 10**9


def _positive(value, name, high=MAX_POINTS):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 < value <= high
    ):
        raise VmsInvalid(f"invalid_{name}", _("%(name)s is not a valid number.", name=name))
    return float(value)


class PosPaymentMethodPoints(models.AbstractModel):
    """Mixed into ``pos.payment.method`` (see ``pos_payment_method.py``)."""

    _name = "vms.pos.points.tender"
    _description = "Loyalty Points Tender"

    # ------------------------------------------------------------------
    # Who pays
    # ------------------------------------------------------------------

    def _vms_pos_points_session(self, params):
        session = self._vms_pos_session(params.get("session_id"))
        if self.use_payment_terminal != POINTS_TERMINAL:
            raise VmsError("not_a_points_tender", _("This payment method does not take points."))
        return session

    @api.model
    def _vms_pos_points_member(self, session, order):
        """The member whose points the order spends: its club card, else its
        customer; and the order's proof (for its bill amount)."""
        sale = self._vms_pos_sale(session, order)
        proof = sale["proof"]
        holder = proof["card"] or proof["partner"]
        if not holder:
            raise VmsError(
                "member_required",
                _("Points belong to a member: set the customer or scan the club card first."),
            )
        return holder, sale

    @api.model
    def _vms_pos_points_account(self, holder, session, spend=False):
        """``(account, card, program)``; the account may be empty (no points yet)."""
        Account = self.env["vms.points.account"]
        program = self.env["vms.points.program"]._vms_for_company(session.company_id)
        account, card = Account._vms_account_for(holder, company=session.company_id, spend=spend)
        return account, card, program

    def _vms_pos_points_info(self, params):
        """The member's balance and its value, as the tender's popup shows it."""
        session = self._vms_pos_points_session(params)
        holder, _sale = self._vms_pos_points_member(session, params.get("order"))
        account, card, program = self._vms_pos_points_account(holder, session)
        summary = account._vms_summary()
        free = account._vms_free_points() if account else 0.0
        partner = account.partner_id if account else (card.partner_id or holder)
        return {
            **summary,
            "points_free": free,
            "value_free": program.to_money(free) if free > 0 else 0.0,
            "card": card.number or False,
            "member": partner.name or "",
            "holder_key": partner.id or 0,
        }

    # ------------------------------------------------------------------
    # Hold
    # ------------------------------------------------------------------

    def _vms_pos_points_hold(self, params):
        """Hold the points paying the line's amount for this order.

        The line is capped at the bill (points give no change) and at what the
        member's free points are worth. A retry of the same request (same
        payment attempt) returns the first hold.
        """
        session = self._vms_pos_points_session(params)
        order, payment, order_uuid, payment_uuid = self._vms_pos_keys(params)
        attempt = payment.get("attempt", 0)
        if isinstance(attempt, bool) or not isinstance(attempt, int) or not 0 <= attempt <= 1000:
            raise VmsInvalid("invalid_attempt", _("attempt is not a valid number."))
        currency = session.currency_id
        requested = currency.round(_positive(payment.get("amount"), "amount", 10**9))
        reference = order.get("reference") or order_uuid
        if not isinstance(reference, str) or len(reference) > 64:
            raise VmsInvalid("invalid_reference", _("The order reference is not readable."))
        holder, sale = self._vms_pos_points_member(session, order)
        key = f"pos:{order_uuid}:{payment_uuid}:{attempt}"
        Redemption = self.env["vms.redemption"]
        # sudo: the till's own hold for this request, looked up by its key.
        done = Redemption.sudo().search([("pos_hold_key", "=", key)], limit=1)
        if done:
            return self._vms_pos_points_line_info(done.with_env(self.env), requested)
        bill = sale["proof"]["bill_amount"]
        if currency.compare_amounts(bill, 0) > 0:
            requested = min(requested, bill)
        account, _card, program = self._vms_pos_points_account(holder, session, spend=True)
        free = account._vms_free_points() if account else 0.0
        value = program.to_money(free) if free > 0 else 0.0
        if currency.compare_amounts(value, 0) <= 0:
            raise VmsError(
                "insufficient_points",
                _("The member has no points free to pay with."),
                http_status=409,
            )
        hold = Redemption._vms_points_hold(
            holder,
            amount=min(requested, value),
            order_ref=reference,
            idempotency_key=key,
            channel="pos",
        )
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
        return self._vms_pos_points_line_info(hold, requested)

    @api.model
    def _vms_pos_points_line_info(self, hold, requested=None):
        """What the points payment line shows and keeps of a hold."""
        result = hold._vms_result()
        company = hold.company_id  # the points' (the chain's root, for a branch's till)
        store = company._vms_store()  # its OTP settings, read as the engine reads them
        holder = hold.partner_id
        program = self.env["vms.points.program"]._vms_for_company(company)
        otp = hold.sudo().pos_otp_id  # sudo: the OTP's state only
        return {
            "kind": "points",
            "transaction_id": str(hold.id),
            "amount": result["amount"],
            "requested": requested if requested is not None else result["amount"],
            "points": result["points"],
            "points_available": result["points_available"],
            "value_left": program.to_money(max(result["points_available"], 0.0)),
            "next_expiry_date": result["next_expiry_date"],
            "card": result["card"] or False,
            "holder_key": holder.id or 0,
            "otp": {
                "mandatory": bool(store.otp_mandatory and holder),
                "min_amount": store.otp_min_amount,
                "verified": bool(otp) and otp.state == "verified",
            },
        }

    # ------------------------------------------------------------------
    # Refund
    # ------------------------------------------------------------------

    def _vms_pos_points_refund(self, params):
        """What a refund line to the points tender gives back: the share of
        the points the refunded order was paid with, as the engine re-credits
        it at the refund's sync (tried here and rolled back)."""
        session = self._vms_pos_points_session(params)
        order, _payment, order_uuid, _payment_uuid = self._vms_pos_keys(params)
        lines_in = order.get("lines") or []
        if not isinstance(lines_in, list) or len(lines_in) > 500:
            raise VmsInvalid("invalid_lines", _("The refunded lines are not readable."))
        refund_lines = []
        for line in lines_in:
            refunded_id = line.get("refunded_line_id") if isinstance(line, dict) else None
            if isinstance(refunded_id, bool) or not isinstance(refunded_id, int):
                continue
            refund_lines.append((refunded_id, line))
        refunded_lines = (
            self.env["pos.order.line"].browse([i for i, _line in refund_lines]).exists()
        )
        refunded_lines.check_access("read")
        by_id = {line.id: line for line in refunded_lines}
        lines_by_order = {}
        for refunded_id, line in refund_lines:
            original = by_id.get(refunded_id)
            qty = line.get("qty")
            subtotal = line.get("price_subtotal_incl")
            if not original or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in (qty, subtotal)
            ):
                continue
            if not qty or abs(qty) > 10**6 or abs(subtotal) > 10**9:
                continue
            lines_by_order.setdefault(original.order_id, []).append(
                {"product": original.product_id, "qty": qty, "price_unit": subtotal / qty}
            )
        given = self.env["pos.order"]._vms_points_refund_money(
            lines_by_order,
            f"pos:{order_uuid}:try",
            order.get("reference") or order_uuid,
            dry_run=True,
        )
        if session.currency_id.compare_amounts(given, 0) <= 0:
            raise VmsError(
                "nothing_to_refund",
                _("Nothing paid with points on this order is left to give back in points."),
            )
        return {"kind": "points", "amount": -given, "refund": True, "transaction_id": False}

    # ------------------------------------------------------------------
    # Points to voucher, on the cashier's request
    # ------------------------------------------------------------------

    def _vms_pos_points_convert_terms(self, params):
        session = self._vms_pos_points_session(params)
        order = params.get("order")
        holder, _sale = self._vms_pos_points_member(session, order)
        account, _card, program = self._vms_pos_points_account(holder, session, spend=True)
        if not account:
            raise VmsError(
                "insufficient_points", _("The member has no points yet."), http_status=409
            )
        points = _positive(params.get("points"), "points")
        order_uuid = order.get("uuid") if isinstance(order, dict) else None
        if not isinstance(order_uuid, str) or not 0 < len(order_uuid) <= 64:
            raise VmsInvalid("order_required", _("order is required."))
        reference = order.get("reference") or order_uuid
        if not isinstance(reference, str) or len(reference) > 64:
            raise VmsInvalid("invalid_reference", _("The order reference is not readable."))
        return session, holder, account, program, points, order_uuid, reference

    def _vms_pos_points_convert_otp(self, params):
        """Send the member a code approving a conversion of ``points``."""
        _session, _holder, account, program, points, _uuid, reference = (
            self._vms_pos_points_convert_terms(params)
        )
        otp = self.env["vms.otp"]._vms_request(
            account.partner_id,
            program.to_money(points),
            reference,
            POINTS_PURPOSE,
            currency=account.company_id.currency_id,
            company=account.company_id,
        )
        ttl = int((otp.expires_at - fields.Datetime.now()).total_seconds())
        return {
            "otp_id": otp.id,
            "phone": otp._vms_masked_phone(),
            "amount": otp.amount,
            "expires_in": max(ttl, 0),
            "resend_in": 30,
        }

    def _vms_pos_points_convert_verify(self, params):
        _session, _holder, account, program, points, _uuid, reference = (
            self._vms_pos_points_convert_terms(params)
        )
        otp_id = params.get("otp_id")
        code = params.get("otp_code")
        if not isinstance(code, str) or not 0 < len(code) <= 12:
            raise VmsInvalid("invalid_otp_code", _("otp_code is not readable."))
        otp = self.env["vms.otp"]._vms_verify(
            otp_id if isinstance(otp_id, int) else 0,
            code.strip(),
            partner=account.partner_id,
            amount=program.to_money(points),
            reference=reference,
            purpose=POINTS_PURPOSE,
        )
        return {"verified": True, "otp_id": otp.id, "amount": otp.amount, "payment_uuids": []}

    def _vms_pos_points_convert(self, params):
        """Turn ``points`` of the order's member into an active voucher, in one
        transaction; the voucher is printed on the order's receipt. The OTP
        (``otp_id`` of a code the popup verified) where the rules ask for it.
        ``request`` (a uuid of the till's) keys the request: a retry converts
        once."""
        session, holder, _account, program, points, order_uuid, reference = (
            self._vms_pos_points_convert_terms(params)
        )
        request_key = params.get("request")
        try:
            request_key = str(uuid.UUID(str(request_key)))
        except ValueError as error:
            raise VmsInvalid("invalid_request", _("request is not a uuid.")) from error
        otp = self.env["vms.otp"]
        otp_id = params.get("otp_id")
        if otp_id:
            if isinstance(otp_id, bool) or not isinstance(otp_id, int):
                raise VmsInvalid("invalid_otp", _("otp_id is not a record id."))
            # sudo: the OTP is checked by the engine against this member and order.
            otp = self.env["vms.otp"].sudo().browse(otp_id).exists()
            if not otp:
                raise VmsError("otp_not_found", _("No such OTP."), http_status=404)
        hold = self.env["vms.redemption"]._vms_points_convert(
            holder,
            points,
            idempotency_key=f"pos:{order_uuid}:convert:{request_key}",
            channel="pos",
            order_ref=reference,
            verified_otp=otp or None,
        )
        # sudo: the till's bookkeeping: the voucher goes on this order's receipt.
        hold.sudo().write({"pos_session_id": session.id, "pos_order_uuid": order_uuid})
        voucher = hold.sudo().points_voucher_id
        result = hold._vms_result()
        return {
            "voucher_code": voucher.code,
            "voucher_amount": voucher.nominal_amount,
            "voucher_valid_to": fields.Date.to_string(voucher.valid_to) or False,
            "points": result["points"],
            "points_available": result["points_available"],
            "value_free": program.to_money(max(result["points_available"], 0.0)),
        }

    # ------------------------------------------------------------------
    # Set-up
    # ------------------------------------------------------------------

    @api.model
    def _vms_pos_setup_points_tender(self, company):
        """The company's Loyalty Points payment method (kept if it exists),
        with its journal and a liability account for points paid at the till."""
        if not company.chart_template:
            return self.env["pos.payment.method"]
        if not self.env.user.has_group("point_of_sale.group_pos_manager") and not self.env.su:
            raise AccessError(_("Only point of sale managers set tenders up."))
        # sudo: accounting set-up of one company, by a point of sale manager or the install.
        Method = self.env["pos.payment.method"].sudo().with_company(company)
        method = Method.search(
            [("company_id", "=", company.id), ("use_payment_terminal", "=", POINTS_TERMINAL)],
            limit=1,
        )
        if method:
            return method
        account = company._vms_new_tender_account(_("Club Points Outstanding"), "2196")
        journal = company._vms_new_tender_journal(_("Club Points"), "PTS")
        return Method.create(
            {
                "name": _("Loyalty Points"),
                "company_id": company.id,
                "journal_id": journal.id,
                "outstanding_account_id": account.id,
                "payment_method_type": "terminal",
                "use_payment_terminal": POINTS_TERMINAL,
            }
        )

    @api.model
    def _vms_pos_demo_points_tender(self):
        """The demo shop takes club points as the Loyalty Points tender."""
        company = self.env.ref("base.main_company")
        method = self._vms_pos_setup_points_tender(company)
        config = self.env.ref("point_of_sale.pos_config_main", raise_if_not_found=False)
        if config and method and not config.current_session_id:
            config.payment_method_ids = [fields.Command.link(method.id)]
        holder = self.env.ref("vms_pos.vms_pos_demo_holder", raise_if_not_found=False)
        Program = self.env["vms.points.program"]
        if holder and Program._vms_for_company(company, required=False):
            account, _card = self.env["vms.points.account"]._vms_account_for(
                holder, company=company, create=True
            )
            if not account.points_balance:
                account._vms_adjust(5000, _("Welcome points"))
        return method
