"""Vouchers accepted while the till could not reach the server, replayed at
the order's sync through the same engine.

The till books such a payment with its signed payload in ``vms_tender``
(``offline: true``) and no hold. When the order syncs, each one is redeemed
now, keyed by the order's and the payment's uuids (a sync retried after a
lost answer finds its redemption and confirms nothing twice). What the
voucher can no longer pay (spent elsewhere meanwhile, blocked, expired at
the server) never drops the order: the payment stays booked, the rest of
the voucher's balance is taken, and the shortfall is filed as a conflict
(``vms.offline.conflict``) for a VMS Manager.
"""

from odoo import _, api, models

from odoo.addons.vms_loyalty.exceptions import VmsError, VmsInvalid


class VmsPosOffline(models.AbstractModel):
    _name = "vms.pos.offline"
    _description = "Offline Voucher Replay"

    @api.model
    def _vms_is_offline(self, payment):
        tender = payment.vms_tender
        return isinstance(tender, dict) and bool(tender.get("offline"))

    @api.model
    def _vms_replay(self, order, payments, sale):
        notes = []
        for payment in payments:
            note = self._vms_replay_one(order, payment, sale)
            if note:
                notes.append(note)
        return notes

    @api.model
    def _vms_replay_one(self, order, payment, sale):
        Redemption = self.env["vms.redemption"]
        currency = order.currency_id
        if not order.uuid or not payment.uuid:
            raise VmsInvalid(
                "invalid_payment", _("A voucher accepted offline comes with its order's uuids.")
            )
        key = f"pos:{order.uuid}:{payment.uuid}:offline"
        tender = dict(payment.vms_tender)
        # sudo: found by the keys this till's replay wrote, not by what a client names.
        done = Redemption.sudo().search_count(
            [
                ("channel", "=", "pos"),
                ("pos_order_uuid", "=", order.uuid),
                ("pos_payment_uuid", "=", payment.uuid),
                ("pos_hold_key", "in", [key, f"{key}:part"]),
                ("state", "=", "confirmed"),
            ]
        )
        if done:
            return None  # replayed by an earlier sync of this order
        # The till's word for the code, until the signed payload names it.
        code = tender.get("code")
        code = code if isinstance(code, str) and len(code) <= 128 else ""
        amount = currency.round(payment.amount)
        voucher = None
        reference = order.pos_reference or order.name
        try:
            with self.env.cr.savepoint():
                # In date on the store's day of the sale, as the till checked it.
                claims = self.env["vms.signing.key"]._vms_verify(
                    tender.get("payload"), today=order.company_id._vms_today(order.date_order)
                )
                code = claims["c"]
                redemption = Redemption._vms_redeem(
                    code,
                    amount,
                    order_ref=reference,
                    idempotency_key=key,
                    channel="pos",
                    express=False,
                    **sale["proof"],
                )
                self._vms_book(order, payment, redemption, key, tender=tender, state="confirmed")
            return None
        except VmsError as error:
            self.env.invalidate_all()
            reason, error_code = error.args[0], error.code
        # What is left of the voucher still pays its part; the rest is the shortfall.
        confirmed = 0.0
        voucher = self.env["vms.voucher"].sudo().search([("code", "=", code)], limit=1)
        free = self._vms_free(voucher) if voucher else 0.0
        if error_code != "payload_signature_invalid" and 0 < free < amount:
            try:
                with self.env.cr.savepoint():
                    redemption = Redemption._vms_redeem(
                        code,
                        free,
                        order_ref=reference,
                        idempotency_key=f"{key}:part",
                        channel="pos",
                        express=False,
                        **sale["proof"],
                    )
                    self._vms_book(
                        order, payment, redemption, f"{key}:part", tender=tender, state="conflict"
                    )
                    confirmed = redemption.amount
            except VmsError:
                self.env.invalidate_all()
        # sudo: the sync flags its own payment line and files the conflict.
        payment.sudo().write(
            {"vms_conflict": True, "vms_tender": {**tender, "pending": False, "state": "conflict"}}
        )
        conflict = self.env["vms.offline.conflict"]._vms_report(
            order,
            payment,
            kind="offline",
            code=code,
            voucher=voucher.with_env(self.env) if voucher else None,
            confirmed=confirmed,
            reason=reason,
            error_code=error_code,
        )
        return _(
            "Voucher %(code)s, accepted offline for %(amount)s: %(shortfall)s could not be "
            "confirmed (%(reason)s). The order is saved with this payment; a VMS Manager "
            "settles the difference.",
            code=code,
            amount=currency.format(amount),
            shortfall=currency.format(conflict.shortfall),
            reason=reason,
        )

    @api.model
    def _vms_free(self, voucher):
        if voucher.value_type != "nominal" or voucher.state != "active":
            return 0.0
        held = self.env["pos.payment.method"]._vms_pos_held(voucher)
        return voucher.currency_id.round(max(voucher.balance - held, 0.0))

    @api.model
    def _vms_book(self, order, payment, redemption, key, *, tender, state):
        # sudo: the till's bookkeeping on the redemption its order's sync made.
        redemption.sudo().write(
            {
                "pos_hold_key": key,
                "pos_session_id": order.session_id.id,
                "pos_order_uuid": order.uuid,
                "pos_payment_uuid": payment.uuid,
            }
        )
        payment.sudo().write(
            {
                "transaction_id": str(redemption.id),
                "vms_tender": {**tender, "pending": False, "state": state},
            }
        )
