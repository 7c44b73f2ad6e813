from odoo import _, api, fields, models

from ..exceptions import VmsConflict, VmsError
from ..tools import points as points_rules

PURPOSE_MOVE = {"redeem": "redeem", "convert": "convert", "reward": "redeem"}


class VmsPointsBalance(models.AbstractModel):
    """A points account as a balance of the redemption engine: what
    ``vms.redemption`` asks of the record it spends (holder, spend, give
    back, its part of the answer), as ``vms.voucher.balance`` does for a
    voucher. A hold reserves points (``vms.redemption.points``) and its money
    value (``amount``), which the OTP rule and reversals are counted in.
    """

    _name = "vms.points.balance"
    _description = "Points Account as a Redemption Balance"

    def _vms_holder(self):
        """The member: OTPs go to their mobile."""
        self.ensure_one()
        return self.partner_id

    @api.model
    def _vms_held_points_by_account(self, exclude=None):
        """Points reserved by open, unexpired holds, per account."""
        if not self.ids:
            return {}
        self.env.cr.execute(
            """
            SELECT points_account_id, SUM(points) FROM vms_redemption
             WHERE points_account_id = ANY(%s) AND state = 'held'
               AND expires_at > %s AND id <> %s
             GROUP BY points_account_id
            """,
            [self.ids, fields.Datetime.now(), exclude.id if exclude else 0],
        )
        return {account_id: float(points) for account_id, points in self.env.cr.fetchall()}

    def _vms_free_points(self, exclude=None):
        """What may be reserved now (locked values): spendable lots, less the
        debt, less what other sales hold."""
        self.ensure_one()
        held = self._vms_held_points_by_account(exclude).get(self.id, 0.0)
        return self._vms_program().round(self._vms_spendable_points() - held)

    def _vms_result_for(self, hold):
        """The account's part of a redemption's answer."""
        self.ensure_one()
        program = self._vms_program()
        summary = self._vms_summary()
        return {
            "kind": "points",
            "card": hold.card_id.number or None,
            "points": program.round(hold.points),
            "points_reversed": program.round(hold.points_reversed),
            "points_balance": summary["points_balance"],
            "points_available": summary["points_available"],
            "points_debt": summary["points_debt"],
            "next_expiry_date": summary["next_expiry_date"],
            "next_expiry_points": summary["next_expiry_points"],
            "points_decimals": program.digits,
            "voucher_code": hold.points_voucher_id.code or None,
            "voucher_valid_to": fields.Date.to_string(hold.points_voucher_id.valid_to) or None,
            "reward_code": hold.reward_claim_id.code or None,
            "reward_state": hold.reward_claim_id.state or None,
        }

    def _vms_spend_hold(self, hold, idempotency_key, **row_values):
        """Spend a hold's points: lock, check with the locked values that they
        are still there (a lot may have expired, another hold lapsed and been
        spent elsewhere), write the move drawing from the lots nearest to
        expiry. Returns ``(row, remainder)`` as the engine expects: a points
        hold has no voucher row (its move is ``hold.points_move_id``) and no
        remainder."""
        self.ensure_one()
        account = self.sudo()  # sudo: the engine checked the caller; moves keep the operator
        account._vms_lock()
        program = account._vms_program()
        points_rules.check_available(
            self.env, program, hold.points, account._vms_free_points(exclude=hold)
        )
        bill_amount = row_values.get("bill_amount")
        move = account._vms_debit(
            hold.points,
            PURPOSE_MOVE[hold.points_purpose],
            reason=hold._vms_points_reason(),
            order_ref=hold.order_ref,
            channel=hold.channel,
            card_id=hold.card_id.id,
            redemption_id=hold.id,
            voucher_id=hold.points_voucher_id.id,
            bill_amount=bill_amount,
            idempotency_key=self.env["vms.voucher"]._vms_row_key(idempotency_key, "redeem"),
        )
        hold.write({"points_move_id": move.id})
        return self.env["vms.voucher.transaction"], self.env["vms.voucher"]

    def _vms_take_back_purchase(self, hold, whole, reason):
        """Points that bought something come back only whole, and with it:
        a voucher (a conversion, a voucher reward) neither spent nor held is
        withdrawn, and a reward handed over is given back (its claim is
        canceled). Otherwise the member would keep both."""
        voucher = hold.points_voucher_id
        claim = hold.sudo().reward_claim_id
        if not (voucher or claim.state == "redeemed"):
            return
        if not whole:
            raise VmsError(
                "invalid_amount",
                _(
                    "These points bought %(what)s: reverse the whole redemption or none of it.",
                    what=_("voucher %s", voucher.code) if voucher else _("reward %s", claim.code),
                ),
            )
        if voucher:
            _blocked, used = self.env["vms.campaign"]._vms_withdraw_issued(voucher, reason)
            if used or voucher.state != "blocked":
                raise VmsConflict(
                    "voucher_already_used",
                    _(
                        "Voucher %(code)s, bought with these points, is spent or held: the "
                        "points stay spent.",
                        code=voucher.code,
                    ),
                )
        if claim.state == "redeemed":
            claim._vms_mark_given_back()

    def _vms_give_back(self, hold, amount, reason, idempotency_key):
        """Reverse ``amount`` (money) of a confirmed points hold: the points
        return to the lots they were drawn from, the furthest expiry first
        (the last drawn), with their own expiry. All that is left when the
        whole rest is reversed, else in proportion, rounded down."""
        self.ensure_one()
        account = self.sudo()  # sudo: the engine checked the caller and the reversal right
        account._vms_lock()
        program = account._vms_program()
        spend = hold.points_move_id
        if not spend:
            raise VmsError("not_reversible", _("This redemption spent no points."))
        money = hold.company_id._vms_store().money
        whole = money.compare(hold.reversed_amount + amount, hold.amount) >= 0
        target = (
            hold.points
            if whole
            else program.floor(hold.points * (hold.reversed_amount + amount) / hold.amount)
        )
        points = program.round(target - hold.points_reversed)
        if program.compare(points, 0.0) <= 0:
            raise VmsError(
                "invalid_amount",
                _(
                    "%(amount)s gives no points back; reverse more at once.",
                    amount=money.text(amount),
                ),
            )
        self._vms_take_back_purchase(hold, whole, reason)
        returns = self._vms_returns_for(spend, points)
        move = account._vms_give_back_lots(
            returns,
            reason=reason,
            order_ref=hold.order_ref,
            channel=hold.channel,
            card_id=hold.card_id.id,
            redemption_id=hold.id,
            origin_id=spend.id,
            idempotency_key=self.env["vms.voucher"]._vms_row_key(idempotency_key, "reverse"),
        )
        hold.write({"points_reversed": program.round(hold.points_reversed + points)})
        return move

    @api.model
    def _vms_returns_for(self, spend, points):
        """Which lots get ``points`` of the move ``spend`` back: those it drew
        from, less what earlier reversals returned, the last drawn first."""
        self.env.cr.execute(
            """
            SELECT d.lot_id, SUM(d.points),
                   MAX(d.id) FILTER (WHERE d.move_id = %(spend)s)
              FROM vms_points_draw d JOIN vms_points_move m ON m.id = d.move_id
             WHERE d.move_id = %(spend)s
                OR (m.origin_id = %(spend)s AND m.type = 'reverse' AND d.points < 0)
             GROUP BY d.lot_id
            """,
            {"spend": spend.id},
        )
        rows = sorted(self.env.cr.fetchall(), key=lambda row: -row[2])
        returns, left = [], points
        for lot_id, taken, _last in rows:
            give = min(float(taken), left)
            if give > 0:
                returns.append((lot_id, give))
                left -= give
        return returns
