"""The express lane of the redemption engine: a decided, plain redemption
written in one SQL statement.

A vending machine or a web shop redeems many vouchers a minute, nearly all of
them plain: no PIN, no OTP, no remainder to pay out. The engine decides every
request the same way (``_vms_decide``: the voucher read and locked in one
statement, the rules of ``tools/rules.py``); for a plain one this lane then
writes, in one statement, what the full engine writes with the ORM: the
"use" chronology row (through the one writer of rows), the spent amount,
the confirmed redemption and the answer kept for retries. The tests run the
same requests through both writers and compare every effect.
"""

import json

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError
from odoo.tools import SQL

from ..tools import rules

_SPEND = """
    WITH use_row AS (%(row)s),
    spent AS (
        UPDATE vms_voucher
           SET spent_amount = %(spent)s, balance = %(balance)s, state = %(state)s,
               write_uid = %(uid)s, write_date = now() at time zone 'UTC'
         WHERE id = %(voucher)s
    ),
    hold AS (
        INSERT INTO vms_redemption
               (kind, voucher_id, company_id, store_id, currency_id, amount, order_ref, channel,
                state, expires_at, confirmed_at, user_id, card_id, use_transaction_id,
                create_uid, create_date, write_uid, write_date)
        SELECT 'voucher', %(voucher)s, %(company)s, %(store)s, %(currency)s, %(amount)s,
               %(order_ref)s, %(channel)s, 'confirmed', %(expires_at)s, %(now)s, %(uid)s,
               %(card)s, use_row.id,
               %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
          FROM use_row
        RETURNING id
    ),
    request AS (
        INSERT INTO vms_idempotency
               (user_id, key, operation, fingerprint, redemption_id, response, date)
        SELECT %(uid)s, %(key)s, 'redeem', %(digest)s, hold.id,
               jsonb_set(%(answer)s::jsonb, '{id}', to_jsonb(hold.id)),
               now() at time zone 'UTC'
          FROM hold
    )
    SELECT id FROM hold
"""


class VmsRedemptionExpress(models.AbstractModel):
    """The express writer of ``vms.redemption``."""

    _name = "vms.redemption.express"
    _description = "Redemption Express Lane"

    @api.model
    def _vms_redeem_express(self, decision, *, order_ref, channel, ttl, idempotency_key, digest):
        """Write a decided plain redemption; returns its answer (as ``_vms_result``)."""
        voucher, money = decision.voucher, decision.money
        amount = decision.eligible
        spent = money.round(voucher.spent + amount)
        left = money.round(voucher.nominal - spent)
        state = "used" if rules.used_at_zero(money, voucher.nominal, spent) else "active"
        now = fields.Datetime.now()
        expires_at = self._vms_expiry(ttl)
        answer = {
            "id": 0,
            "state": "confirmed",
            "amount": amount,
            "reversed_amount": 0.0,
            "currency": money.name,
            "decimal_places": money.decimal_places,
            "order_ref": order_ref,
            "expires_at": fields.Datetime.to_string(expires_at),
            "code": voucher.code,
            "voucher_state": state,
            "balance": left,
            "available": money.round(left - voucher.held),
            "remainder_code": None,
        }
        row = self.env["vms.voucher.transaction"]._vms_rows_sql(
            [
                {
                    "voucher_id": voucher.id,
                    "company_id": voucher.company_id,
                    "type": "use",
                    "date": now,
                    "amount": amount,
                    "bill_ref": order_ref,
                    "channel": channel,
                    "idempotency_key": self.env["vms.voucher"]._vms_row_key(idempotency_key),
                }
            ]
        )
        try:
            self.env.cr.execute(
                SQL(
                    _SPEND,
                    row=row,
                    spent=spent,
                    balance=left,
                    state=state,
                    uid=self.env.uid,
                    voucher=voucher.id,
                    company=voucher.company_id,
                    store=decision.store.id,
                    currency=money.currency_id,
                    amount=amount,
                    card=decision.sale.card.id if decision.sale.card else None,
                    order_ref=order_ref,
                    channel=channel,
                    expires_at=expires_at,
                    now=now,
                    key=idempotency_key,
                    digest=digest,
                    answer=json.dumps(answer),
                ),
                log_exceptions=False,
            )
        except psycopg2.errors.UniqueViolation:
            # The same key raced in another transaction; the retry finds its answer.
            raise ConcurrencyError(
                "an identical request committed first; retried to return its result"
            ) from None
        answer["id"] = self.env.cr.fetchone()[0]
        self.env.invalidate_all()  # the lane wrote with SQL
        return answer
