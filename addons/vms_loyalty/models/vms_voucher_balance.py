from odoo import _, api, fields, models

from ..exceptions import VmsError
from ..tools import rules


class VmsVoucherBalance(models.AbstractModel):
    """A voucher as a balance of the redemption engine: what ``vms.redemption``
    asks of the record it spends (lock, spend, give back, holder)."""

    _name = "vms.voucher.balance"
    _description = "Voucher as a Redemption Balance"

    def _vms_holder(self):
        """Who the voucher belongs to (OTPs go there): its holder or its card's."""
        self.ensure_one()
        return self.partner_id or self.card_id.partner_id

    def _vms_held_amount(self, exclude=None):
        """Amount reserved by open, unexpired holds of other sales."""
        self.ensure_one()
        return self._vms_facts(voucher_id=self.id, exclude=exclude.id if exclude else 0).held

    def _vms_result_for(self, hold):
        """The voucher's part of a redemption's answer."""
        self.ensure_one()
        money = self.company_id._vms_store().money
        return {
            "code": self.code,
            "voucher_state": self.state,
            "balance": money.round(self.balance),
            "available": money.round(self.balance - self._vms_held_amount()),
            "remainder_code": hold.remainder_voucher_id.code or None,
        }

    def _vms_lock(self):
        """Lock the voucher rows until the end of the transaction and reload them.

        Two tills spending the same voucher queue here: when the first one
        commits, the second one's lock fails (REPEATABLE READ) and Odoo runs
        its request again, on a snapshot with the first one's spent amount.
        """
        if self:
            # A concurrent update of the row since this transaction's snapshot ends
            # in a serialization failure: expected, the request is retried (Odoo
            # retries it), so not logged as a bad query.
            self.env.cr.execute(
                "SELECT id FROM vms_voucher WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                [self.ids],
                log_exceptions=False,
            )
            self.invalidate_recordset()
        return self

    def _vms_touch(self):
        """Write the locked row, so that a concurrent transaction that read it
        before this one commits gets a serialization failure and is retried
        (Odoo retries the request), instead of working on stale holds."""
        self.env.cr.execute(
            "UPDATE vms_voucher SET write_date = now() at time zone 'UTC' WHERE id = ANY(%s)",
            [self.ids],
            log_exceptions=False,  # a serialization failure here is expected and retried
        )

    @api.model
    def _vms_row_key(self, idempotency_key, operation="use"):
        """A chronology row's key: the caller's key, scoped to the caller and
        to the row's operation ("<user id>:<operation>:<key>"): no two
        requests' keys can make the same row key, whatever they contain."""
        return f"{self.env.uid}:{operation}:{idempotency_key}" if idempotency_key else None

    def _vms_spend(self, amount, idempotency_key=None, exclude=None, card=None, **row_values):
        """The one place a voucher is spent; returns the "use" chronology row.

        Locks the voucher row, checks with the locked values that it may still
        be spent (a hold may have lapsed, the voucher been blocked or have
        expired since), adds to the spent amount and writes the row, in the
        same transaction.
        """
        self.ensure_one()
        voucher = self.sudo()  # sudo: the engine checked the caller; rows keep the operator
        facts = voucher._vms_facts(voucher_id=self.id, lock=True, exclude=exclude or 0)
        store = self.env["res.company"]._vms_current()._vms_store()
        money = voucher.company_id._vms_store().money
        amount = rules.parse_amount(self.env, amount, money)
        rules.check_still_spendable(
            self.env,
            facts,
            money,
            amount,
            today=store.local_now(fields.Datetime.now()).date(),
            state_label=voucher._vms_state_label(facts.state),
            bill_amount=row_values.get("bill_amount"),
            card=rules.Card(card.id, card.sudo().state, card.sudo().partner_id.id)
            if card
            else None,
        )
        return voucher.with_context(tracking_disable=True)._vms_transition(
            "use",
            amount=amount,
            idempotency_key=self._vms_row_key(idempotency_key),
            **row_values,
        )

    def _vms_spend_hold(self, hold, idempotency_key, **row_values):
        """Spend a hold: its "use" row, then the remainder paid out as a new
        voucher where the campaign says so. Returns ``(row, remainder)``."""
        row = self._vms_spend(
            hold.amount,
            idempotency_key,
            exclude=hold.id,
            card=hold.card_id,
            bill_ref=hold.order_ref,
            channel=hold.channel,
            **row_values,
        )
        remainder = self.browse()
        campaign = self.campaign_id._vms_terms()
        money = self.company_id._vms_store().money
        after = self._vms_facts(voucher_id=self.id)
        if rules.pays_out_remainder(campaign, after, money, after.spent):
            remainder = self._vms_pay_out_remainder(
                idempotency_key, hold, bill_ref=hold.order_ref, channel=hold.channel
            )
        return row, remainder

    def _vms_give_back(self, hold, amount, reason, idempotency_key):
        return self._vms_reverse(
            hold.use_transaction_id,
            amount=amount,
            reason=reason,
            idempotency_key=self._vms_row_key(idempotency_key, "reverse"),
            bill_ref=hold.order_ref,
            channel=hold.channel,
        )

    def _vms_reverse(self, use_row, amount=None, reason=None, **row_values):
        """Give back what a "use" row took (all of it or a part), as a new
        "reverse" row pointing at it. Several partial reversals may follow one
        use, never more than it took."""
        self.ensure_one()
        if use_row.voucher_id != self or use_row.type != "use" or use_row.state != "recorded":
            raise VmsError(
                "not_reversible", _("Only a recorded use of this voucher can be reversed.")
            )
        voucher = self.sudo()  # sudo: the engine checked the caller
        voucher._vms_lock()
        money = voucher.company_id._vms_store().money
        reversed_amount = sum(
            use_row.sudo().reversal_ids.filtered(lambda r: r.state == "recorded").mapped("amount")
        )
        left = money.round(use_row.amount - reversed_amount)
        amount = left if amount is None else amount
        if money.is_zero(left) or money.is_zero(amount) or money.compare(amount, left) > 0:
            raise VmsError(
                "invalid_amount",
                _(
                    "At most %(left)s of this use of voucher %(code)s can be reversed.",
                    left=money.text(left),
                    code=self.code,
                ),
            )
        return voucher.with_context(tracking_disable=True)._vms_transition(
            "reverse", amount=amount, origin_id=use_row.id, reason=reason, **row_values
        )

    def _vms_pay_out_remainder(self, idempotency_key, hold, **row_values):
        """Move what is left of this voucher, and not held by other sales, to a
        new voucher (its child, with every term of its own), and spend this
        one by as much with a "remainder" row. What other sales hold stays on
        this voucher for them. Returns the new voucher."""
        self.ensure_one()
        voucher = self.sudo()  # sudo: the engine checked the caller
        money = voucher.company_id._vms_store().money
        free = money.round(voucher.balance - voucher._vms_held_amount(exclude=hold))
        if money.compare(free, 0.0) <= 0:
            return self.browse()
        card = voucher.card_id
        if voucher.partner_id and card.partner_id != voucher.partner_id:
            card = card.browse()  # a card that changed hands since stays behind
        child = voucher.with_context(tracking_disable=True).create(
            {
                **voucher._vms_terms_values(),
                "campaign_id": voucher.campaign_id.id,
                "company_id": voucher.company_id.id,
                "nominal_amount": free,
                "partner_id": voucher.partner_id.id,
                "card_id": card.id,
                "card_bound": voucher.card_bound and bool(card),
                "parent_id": voucher.id,
                "state": "active",
                "pin_hash": voucher.pin_hash,
            }
        )
        voucher.with_context(tracking_disable=True)._vms_transition(
            "remainder",
            amount=free,
            idempotency_key=self._vms_row_key(idempotency_key, "remainder"),
            reason=_("paid out as voucher %s", child.code),
            **row_values,
        )
        return child

    def action_view_redemptions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Redemptions of %s", self.code),
            "res_model": "vms.redemption",
            "view_mode": "list,form",
            "domain": [("voucher_id", "=", self.id)],
        }
