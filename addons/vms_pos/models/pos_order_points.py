"""Club points in the order's sync: the points tender confirmed, the points
the bill earns, a refund's points, and what the receipt prints of them.

An AbstractModel mixed into ``pos.order`` (``pos_order.py`` calls it from
``_vms_settle``), all in the sync's own transaction and keyed by the order's
and payment lines' uuids: a retried sync changes nothing twice.
"""

from markupsafe import Markup

from odoo import _, fields, models

from odoo.addons.vms_loyalty.exceptions import VmsError


class _DryRun(Exception):
    """Rolls a tried refund back (the tender asks what it would give back)."""


class PosOrderPoints(models.AbstractModel):
    _name = "vms.pos.order.points"
    _description = "Club Points of a POS Order"

    vms_points_receipt = fields.Json(
        string="Points on the Receipt",
        readonly=True,
        copy=False,
        help="What the sync answered about the member's points (earned, given back, balance, "
        "next expiry), as the receipt prints it.",
    )

    # ------------------------------------------------------------------
    # The points tender
    # ------------------------------------------------------------------

    def _vms_named_holds(self, payments):
        """payment -> the hold its transaction id names (empty when there is
        none): one query for all the payment lines, not one a line."""
        Redemption = self.env["vms.redemption"]
        wanted = {}
        for payment in payments:
            tid = payment.transaction_id or ""
            wanted[payment] = int(tid) if tid.isdigit() else 0
        found = {hold.id: hold for hold in Redemption.browse(set(wanted.values()) - {0}).exists()}
        return {payment: found.get(hold_id, Redemption) for payment, hold_id in wanted.items()}

    def _vms_payment_holds(self, payments):
        """:meth:`_vms_named_holds`, keeping a hold only where this order's
        till took it for that payment line (``pos.config._vms_till_holds_domain``)."""
        named = self._vms_named_holds(payments)
        Redemption = self.env["vms.redemption"]
        tills = Redemption.union(*named.values()).filtered_domain(
            self.config_id._vms_till_holds_domain(self.uuid)
        )
        return {
            payment: hold
            if hold in tills and payment.uuid and payment.uuid == hold.pos_payment_uuid
            else Redemption
            for payment, hold in named.items()
        }

    def _vms_payment_hold(self, payment, holds=None):
        """The hold of a loyalty payment line of this order, or a refusal;
        ``holds``: what ``_vms_payment_holds`` found for the lines at hand."""
        hold = (self._vms_payment_holds(payment) if holds is None else holds)[payment]
        if not hold:
            raise VmsError(
                "hold_not_found",
                _(
                    "The payment of %(amount)s with %(method)s has no hold at the server; "
                    "remove it and take it again.",
                    amount=self.currency_id.format(payment.amount),
                    method=payment.payment_method_id.name,
                ),
            )
        return hold

    def _vms_other_loyalty_holds(self, holds):
        """The order's other loyalty holds (vouchers and points): the OTP
        minimum is for all that one holder's loyalty tenders pay on it."""
        uuids = [p.uuid for p in self.payment_ids if p._vms_is_loyalty() and p.amount > 0]
        if not uuids:
            return self.env["vms.redemption"]
        return self.env["vms.redemption"].search(
            [
                ("pos_order_uuid", "=", self.uuid),
                ("pos_payment_uuid", "in", uuids),
                ("state", "in", ("held", "confirmed")),
                ("id", "not in", [h.id for h in holds]),
            ]
        )

    def _vms_confirm_points(self, payments):
        """Confirm the points payments of a paid order (as vouchers are)."""
        loyalty = self.payment_ids.filtered(lambda p: p._vms_is_loyalty() and p.amount > 0)
        if self.currency_id.compare_amounts(sum(loyalty.mapped("amount")), self.amount_total) > 0:
            raise VmsError(
                "points_change",
                _(
                    "Points and vouchers pay at most the bill (%(total)s): no change is given "
                    "on them. Lower the points payment.",
                    total=self.currency_id.format(self.amount_total),
                ),
            )
        holds, found = {}, self._vms_payment_holds(payments)
        for payment in payments:
            hold = self._vms_payment_hold(payment, found)
            if hold.kind != "points" or (
                self.currency_id.compare_amounts(hold.amount, payment.amount) != 0
            ):
                raise VmsError(
                    "amount_changed",
                    _(
                        "The points payment line says %(amount)s, the server holds %(held)s: "
                        "remove the line and take the points again.",
                        amount=self.currency_id.format(payment.amount),
                        held=self.currency_id.format(hold.amount),
                    ),
                )
            holds[payment] = hold

        # The order's store spends the points (its spend move says so, and a
        # refund there finds it), although the hold belongs to the root.
        def confirm(payment, hold, key, otp):
            hold.with_company(self.company_id)._vms_confirm(
                f"{key}:confirm", verified_otp=otp, **self._vms_till_row()
            )

        def retake(payment, hold, key, otp):
            return self._vms_retake_points(hold, key, payment, otp)

        return self._vms_confirm_holds(holds, confirm, retake)

    def _vms_retake_points(self, hold, key, payment, otp):
        """The hold expired before the sync: redeem the points again if they are
        still there, else save the order and report the conflict."""
        holder = hold.card_id or hold.partner_id
        try:
            with self.env.cr.savepoint():
                new = (
                    self.env["vms.redemption"]
                    .with_company(self.company_id)
                    ._vms_points_redeem(
                        holder,
                        amount=hold.amount,
                        order_ref=hold.order_ref,
                        idempotency_key=f"{key}:retake",
                        channel="pos",
                        verified_otp=otp,
                        bill_amount=self.amount_total,
                        express=False,
                    )
                )
                self._vms_adopt(new, hold, self._vms_sale_proof(), payment)
            return None
        except VmsError as error:
            self.env.invalidate_all()
            payment.sudo().vms_conflict = True  # sudo: the sync flags its own payment line
            note = _(
                "Points: the hold of %(amount)s expired before the order was saved and could "
                "not be taken again (%(reason)s). The order is saved with this payment; a VMS "
                "Manager settles the difference.",
                amount=hold.currency_id.format(hold.amount),
                reason=error.args[0],
            )
            self.message_post(body=Markup("<p>%s</p>") % note)
            return note

    # ------------------------------------------------------------------
    # Points earned by the bill
    # ------------------------------------------------------------------

    def _vms_earn_points(self):
        """The member earns the bill's points: nothing on the part paid with
        points, nor on the part paid by vouchers whose "bonus points accrue"
        is off (the engine spreads those over the lines). A bill without a
        member, or a store without a points programme, earns nothing; a card
        or programme refusing is said on the receipt, the sale is kept."""
        self.ensure_one()
        holder = self._vms_card() or self.partner_id
        program = self.env["vms.points.program"]._vms_for_company(self.company_id, required=False)
        if not holder or not program or self.currency_id.compare_amounts(self.amount_total, 0) <= 0:
            return []
        lines = [
            {
                "product": line.product_id,
                "qty": line.qty,
                "price_unit": line.price_subtotal_incl / line.qty,
            }
            for line in self.lines
            # Selling a gift voucher earns nothing: its points come when it pays.
            if line.qty > 0 and not line.product_id.vms_gift_voucher
        ]
        if not lines:
            return []
        payments, other = [], 0.0
        paid = self.payment_ids.filtered(lambda p: p.amount > 0)
        found = self._vms_payment_holds(paid.filtered(lambda p: p._vms_is_loyalty()))
        for payment in paid:
            if payment._vms_is_loyalty():
                if not found[payment] and payment.vms_conflict:
                    # A voucher taken offline that the sync could not replay.
                    payments.append({"amount": payment.amount, "kind": "unsettled"})
                    continue
                hold = self._vms_payment_hold(payment, found)
                payments.append({"amount": payment.amount, "redemption": hold})
            else:
                other += payment.amount
        other = self.currency_id.round(other - self.amount_return)
        if self.currency_id.compare_amounts(other, 0) > 0:
            payments.append({"amount": other, "kind": "other"})
        try:
            with self.env.cr.savepoint():
                answer = (
                    self.env["vms.points.account"]
                    .with_company(self.company_id)
                    ._vms_earn_for_bill(
                        holder,
                        lines,
                        payments,
                        self._vms_points_ref(),
                        idempotency_key=f"pos:{self.uuid}:earn",
                        channel="pos",
                    )
                )
        except VmsError as error:
            self.env.invalidate_all()
            return [_("No points earned on this bill: %s", error.args[0])]
        self.vms_points_receipt = {"earned": answer}
        return []

    def _vms_points_ref(self):
        """The order's reference for points: the one its points payments were
        held for (the till's reference, or its uuid when it had none yet)."""
        self.ensure_one()
        # sudo: the order's own holds, for their reference only.
        hold = (
            self.env["vms.redemption"]
            .sudo()
            .search(
                [
                    ("pos_order_uuid", "=", self.uuid),
                    ("kind", "=", "points"),
                    ("points_purpose", "=", "redeem"),
                ],
                limit=1,
            )
        )
        return hold.order_ref or self.pos_reference or self.uuid

    # ------------------------------------------------------------------
    # Refunds
    # ------------------------------------------------------------------

    def _vms_refund_points(self):
        """A refund re-credits the points the refunded order was paid with
        (to their lots, with their expiry) and takes back the points it
        earned, through the engine (``_vms_refund_bill``). What it gives back
        in points is paid by refund lines of the Loyalty Points tender, to the
        cent: no cash for points."""
        refunds = self.payment_ids.filtered(lambda p: p._vms_is_points() and p.amount < 0)
        lines_by_order = {}
        for line in self.lines.filtered("refunded_orderline_id"):
            if not line.qty:
                continue
            lines_by_order.setdefault(line.refunded_orderline_id.order_id, []).append(
                {
                    "product": line.product_id,
                    "qty": line.qty,
                    "price_unit": line.price_subtotal_incl / line.qty,
                }
            )
        if not lines_by_order:
            if refunds:
                raise VmsError(
                    "not_a_refund",
                    _("Points are given back only by a refund of an order paid with points."),
                )
            return []
        given = self._vms_points_refund_money(
            lines_by_order, f"pos:{self.uuid}:points_refund", self._vms_points_ref()
        )
        paid_back = self.currency_id.round(-sum(refunds.mapped("amount")))
        if self.currency_id.compare_amounts(given, paid_back) != 0:
            raise VmsError(
                "points_refund_amount",
                _(
                    "The refunded order was paid with points: %(given)s goes back to the "
                    "member's points, so refund exactly that with the Loyalty Points tender "
                    "(the refund's points lines say %(paid)s).",
                    given=self.currency_id.format(given),
                    paid=self.currency_id.format(paid_back),
                ),
            )
        return []

    def _vms_points_refund_money(self, lines_by_order, key, refund_ref, dry_run=False):
        """Refund the points of each refunded order (``{order: lines}``) and
        return the money value of the points given back. ``dry_run``: only say
        it (the refund line's amount), changing nothing."""
        if not self.env.user.has_group("point_of_sale.group_pos_user"):
            raise VmsError(
                "refund_not_allowed", _("Only point of sale users refund at the till."), 403
            )
        # sudo: re-crediting points is a reversal, a VMS right of its own; a refund
        # at the till is made by a user with the POS refund right (checked above),
        # of the refunded orders' own points (found by their references).
        Earning = self.env["vms.points.account"].sudo()
        Redemption = self.env["vms.redemption"].sudo()
        Move = self.env["vms.points.move"].sudo()

        if not lines_by_order:
            return 0.0
        currency = next(iter(lines_by_order)).currency_id

        def refund():
            total = 0.0
            answers = []
            for original, lines in lines_by_order.items():
                ref = original._vms_points_ref()
                holds = Redemption.search(
                    [
                        ("kind", "=", "points"),
                        ("points_purpose", "=", "redeem"),
                        ("order_ref", "=", ref),
                        ("pos_order_uuid", "=", original.uuid),
                        ("state", "=", "confirmed"),
                    ]
                )
                # An order that earned nothing (a claim of no points) and was
                # not paid with points has nothing to refund.
                if not holds and not Move.search_count(
                    [("type", "=", "earn"), ("order_ref", "=", ref), ("points", "!=", 0)],
                    limit=1,
                ):
                    continue
                before = sum(holds.mapped("reversed_amount"))
                answers.append(
                    Earning.with_company(original.company_id)._vms_refund_bill(
                        ref,
                        refund_ref,
                        idempotency_key=f"{key}:{original.id}",
                        lines=lines,
                        bill_amount=original.amount_total,
                        channel="pos",
                    )
                )
                holds.invalidate_recordset(["reversed_amount"])
                total += sum(holds.mapped("reversed_amount")) - before
            return currency.round(total), answers

        if not dry_run:
            given, answers = refund()
            if answers:
                self.vms_points_receipt = {"refunded": answers[0]}
            return given
        self.env.flush_all()
        try:
            with self.env.cr.savepoint():
                raise _DryRun(refund()[0])
        except _DryRun as tried:
            given = tried.args[0]
        self.env.invalidate_all()
        return given

    # ------------------------------------------------------------------
    # The receipt
    # ------------------------------------------------------------------

    def _vms_receipt_points(self, holds):
        """The points part of the receipt: points paid (``holds``, the order's
        confirmed points payments), earned or given back, the new balance and
        the next expiry."""
        self.ensure_one()
        points = holds.filtered(lambda h: h.kind == "points")
        paid = points.filtered(lambda h: h.points_purpose == "redeem")
        stored = self.vms_points_receipt or {}
        answer = stored.get("earned") or stored.get("refunded")
        if not answer and not points:
            return False
        if not answer:
            # sudo: the member's summary, for the receipt of an order that spent their points.
            answer = points[:1].sudo().points_account_id._vms_summary()
        decimals = answer.get("points_decimals", 0)
        return {
            "points_paid": round(sum(paid.mapped("points")), decimals),
            "paid_amount": self.currency_id.round(sum(paid.mapped("amount"))),
            "points_earned": answer.get("points_earned", 0.0),
            "points_taken_back": answer.get("points_taken_back", 0.0),
            "points_given_back": answer.get("points_given_back", 0.0),
            "points_balance": answer.get("points_balance", 0.0),
            "value": answer.get("value", 0.0),
            "next_expiry_date": answer.get("next_expiry_date") or "",
            "next_expiry_points": answer.get("next_expiry_points", 0.0),
            "points_decimals": decimals,
            "card": answer.get("card") or "",
        }
