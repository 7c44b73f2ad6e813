"""The express lane of points redemptions: a decided, plain redemption of a
card's points written in one SQL statement.

Like the voucher express lane (``vms_redemption_express.py``): vending
machines and apps pay with points many times a minute, nearly always plainly
(an active card, no OTP asked, no debt, no lot to expire first, enough
points). For those, one statement locks the account and reads its lots and
holds, the rules of ``tools/points.py`` decide, and a second statement
writes what the full engine writes with the ORM: the confirmed hold, the
"redeem" move, its draws on the lots nearest to expiry, what is left of the
lots, and the answer kept for retries. Anything else (or any doubt) goes to
the full engine, which refuses or writes it the same way; the tests run the
same requests through both and compare every effect.
"""

import json

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError
from odoo.tools import SQL

from ..tools import points as points_rules
from ..tools import rules

_DECIDE = """
    WITH account AS (
        UPDATE vms_points_account a
           SET write_date = now() at time zone 'UTC', write_uid = %(uid)s
          FROM vms_card c JOIN res_company co ON co.id = c.company_id
         WHERE %(card)s AND c.state = 'active' AND a.partner_id = c.partner_id
           AND a.company_id = %(root)s
           AND (co.id = %(root)s OR co.parent_path LIKE %(root_path)s)
     RETURNING a.id, a.debt, a.partner_id, c.number, c.id AS card_id
    )
    SELECT account.id, account.debt, account.partner_id, lots.ids, lots.expiries, lots.lefts,
           (SELECT COALESCE(SUM(r.points), 0) FROM vms_redemption r
             WHERE r.points_account_id = account.id AND r.state = 'held'
               AND r.expires_at > %(now)s), account.number, account.card_id
      FROM account,
           LATERAL (SELECT array_agg(l.id ORDER BY l.id) AS ids,
                           array_agg(l.expires_on ORDER BY l.id) AS expiries,
                           array_agg(l.remaining ORDER BY l.id) AS lefts
                      FROM vms_points_lot l
                     WHERE l.account_id = account.id AND l.remaining > 0) lots
"""

_WRITE = """
    WITH ids AS (
        SELECT nextval('vms_redemption_id_seq') AS hold_id,
               nextval('vms_points_move_id_seq') AS move_id
    ),
    hold AS (
        INSERT INTO vms_redemption
               (id, kind, points_account_id, points, points_purpose, company_id, store_id,
                currency_id, amount, order_ref, channel, state, expires_at, confirmed_at, user_id,
                card_id, points_move_id, create_uid, create_date, write_uid, write_date)
        SELECT ids.hold_id, 'points', %(account)s, %(points)s, 'redeem', %(company)s, %(store)s,
               %(currency)s, %(amount)s, %(order_ref)s, %(channel)s, 'confirmed', %(expires_at)s,
               %(now)s, %(uid)s, %(card)s, ids.move_id, %(uid)s, now() at time zone 'UTC',
               %(uid)s, now() at time zone 'UTC'
          FROM ids
    ),
    move AS (
        INSERT INTO vms_points_move
               (id, account_id, company_id, type, date, points, debt_change, order_ref,
                bill_amount, store_id, user_id, channel, card_id, idempotency_key, redemption_id)
        SELECT ids.move_id, %(account)s, %(company)s, 'redeem', %(now)s, %(move_points)s, 0,
               %(order_ref)s, %(bill_amount)s, %(store)s, %(uid)s, %(channel)s, %(card)s,
               %(row_key)s, ids.hold_id
          FROM ids
    ),
    draws AS (
        INSERT INTO vms_points_draw (move_id, lot_id, points)
        SELECT ids.move_id, d.lot_id, d.points
          FROM ids, unnest(%(lot_ids)s::int4[], %(drawn)s::numeric[]) AS d(lot_id, points)
    ),
    lots AS (
        UPDATE vms_points_lot l SET remaining = l.remaining - d.points
          FROM unnest(%(lot_ids)s::int4[], %(drawn)s::numeric[]) AS d(lot_id, points)
         WHERE l.id = d.lot_id AND l.account_id = %(account)s
    ),
    request AS (
        INSERT INTO vms_idempotency
               (user_id, key, operation, fingerprint, redemption_id, response, date)
        SELECT %(uid)s, %(key)s, 'points_redeem', %(digest)s, ids.hold_id,
               jsonb_set(%(answer)s::jsonb, '{id}', to_jsonb(ids.hold_id)),
               now() at time zone 'UTC'
          FROM ids
    )
    SELECT hold_id FROM ids
"""


class VmsRedemptionPointsExpress(models.AbstractModel):
    """The express writer of points redemptions of ``vms.redemption``."""

    _name = "vms.redemption.points.express"
    _description = "Points Redemption Express Lane"

    @api.model
    def _vms_points_redeem_express(
        self, card, *, points, amount, order_ref, channel, bill_amount, idempotency_key, digest
    ):
        """Redeem the points of ``card`` (a ``vms.card``, or a club card's
        number as channels send it) in two statements if the request is
        plain; returns its answer (as ``_vms_result``), or None for the full
        engine."""
        program = self.env["vms.points.program"]._vms_for_company(self._vms_request_company())
        # The programme's company is the root: its settings are cached, no query.
        root = self.env["res.company"].sudo().browse(program.company_id)
        now = fields.Datetime.now()
        today = root._vms_today()
        cr = self.env.cr
        # A channel names the card by its number, the till by its record.
        which = SQL("c.number = %s", card) if isinstance(card, str) else SQL("c.id = %s", card.id)
        cr.execute(
            SQL(
                _DECIDE,
                uid=self.env.uid,
                card=which,
                root=program.company_id,
                root_path=f"{program.company_id}/%",
                now=now,
            ),
            log_exceptions=False,  # a serialization failure here is expected and retried
        )
        row = cr.fetchone()
        if not row or float(row[1] or 0.0):
            return None  # no account, card not active or not ours, a debt: the full engine
        account_id, _debt, partner_id, lot_ids, expiries, lefts, held, number, card_id = row
        lots = [
            points_rules.Lot(lot_id, expiry, float(left))
            for lot_id, expiry, left in zip(lot_ids or [], expiries or [], lefts or [], strict=True)
        ]
        if any(lot.expires_on and lot.expires_on < today for lot in lots):
            return None  # lots to expire first: the full engine writes their expiry
        points, amount = self._vms_points_wanted(program, points, amount)
        root_store = root._vms_store()
        if rules.otp_required(root_store, partner_id, amount):
            return None
        spendable = points_rules.spendable(lots, today)
        free = program.round(sum(lot.remaining for lot in spendable) - float(held))
        if program.compare(points, free) > 0:
            return None  # the full engine refuses it with the numbers
        plan = points_rules.plan_draws(self.env, program, lots, points, today)
        drawn = dict(plan)
        after = [
            points_rules.Lot(
                lot.id, lot.expires_on, program.round(lot.remaining - drawn.get(lot.id, 0.0))
            )
            for lot in spendable
        ]
        balance = program.round(sum(lot.remaining for lot in after))
        dated = sorted(
            (lot.expires_on, lot.remaining) for lot in after if lot.expires_on and lot.remaining > 0
        )
        next_date = dated[0][0] if dated else None
        store = self._vms_request_store()
        expires_at = self._vms_expiry(rules.hold_ttl(self.env, store))
        money = program.money
        answer = {
            "id": 0,
            "state": "confirmed",
            "amount": money.round(amount),
            "reversed_amount": 0.0,
            "currency": money.name,
            "decimal_places": money.decimal_places,
            "order_ref": order_ref,
            "expires_at": fields.Datetime.to_string(expires_at),
            "kind": "points",
            "card": number,
            "points": program.round(points),
            "points_reversed": 0.0,
            "points_balance": balance,
            "points_available": program.round(max(0.0, balance - float(held))),
            "points_debt": 0.0,
            "next_expiry_date": fields.Date.to_string(next_date) or None,
            "next_expiry_points": program.round(
                sum(left for expiry, left in dated if expiry == next_date)
            ),
            "points_decimals": program.digits,
            "voucher_code": None,
            "voucher_valid_to": None,
            "reward_code": None,
            "reward_state": None,
        }
        try:
            cr.execute(
                _WRITE,
                {
                    "account": account_id,
                    "points": points,
                    "move_points": -points,
                    "company": program.company_id,
                    "currency": money.currency_id,
                    "amount": amount,
                    "order_ref": order_ref,
                    "channel": channel,
                    "expires_at": expires_at,
                    "now": now,
                    "uid": self.env.uid,
                    "card": card_id,
                    "bill_amount": bill_amount,
                    "store": self.env.company.id,
                    "row_key": self.env["vms.voucher"]._vms_row_key(idempotency_key, "redeem"),
                    "lot_ids": [lot_id for lot_id, _points in plan],
                    "drawn": [drawn_points for _lot, drawn_points in plan],
                    "key": idempotency_key,
                    "digest": digest,
                    "answer": json.dumps(answer),
                },
                log_exceptions=False,
            )
        except psycopg2.errors.UniqueViolation:
            # The same key raced in another transaction; the retry finds its answer.
            raise ConcurrencyError(
                "an identical request committed first; retried to return its result"
            ) from None
        answer["id"] = cr.fetchone()[0]
        self.env.invalidate_all()  # the lane wrote with SQL
        return answer
