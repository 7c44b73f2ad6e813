"""The one writer of the points ledger: moves, lots and draws, with SQL, on
an account locked for the rest of the transaction."""

import json

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..exceptions import VmsError
from ..tools import points as points_rules

# The columns the ledger writes, and their SQL types.
MOVE_COLUMNS = {
    "account_id": "int4",
    "company_id": "int4",
    "type": "varchar",
    "date": "timestamp",
    "points": "numeric",
    "debt_change": "numeric",
    "expires_on": "date",
    "reason": "varchar",
    "order_ref": "varchar",
    "earned_order": "varchar",
    "bill_amount": "numeric",
    "store_id": "int4",
    "user_id": "int4",
    "channel": "varchar",
    "card_id": "int4",
    "idempotency_key": "varchar",
    "origin_id": "int4",
    "redemption_id": "int4",
    "voucher_id": "int4",
    "detail": "jsonb",
}
LOT_COLUMNS = {
    "account_id": "int4",
    "company_id": "int4",
    "move_id": "int4",
    "date": "timestamp",
    "points": "numeric",
    "remaining": "numeric",
    "expires_on": "date",
}
DRAW_COLUMNS = {"move_id": "int4", "lot_id": "int4", "points": "numeric"}
NEW_LOT = "new"  # a draw on the lot the move itself makes (paying a debt)


def insert_sql(table, columns, vals_list):
    """One INSERT of ``vals_list`` (``RETURNING id`` in their order)."""
    names = list(columns)
    arrays = [
        SQL("%s::%s[]", [vals.get(name) for vals in vals_list], SQL(columns[name]))
        for name in names
    ]
    identifiers = SQL(", ").join(SQL.identifier(name) for name in names)
    return SQL(
        """
        INSERT INTO %(table)s (%(columns)s)
        SELECT %(values)s FROM unnest(%(arrays)s) WITH ORDINALITY AS r(%(columns)s, n)
        ORDER BY r.n
        RETURNING id
        """,
        table=SQL.identifier(table),
        columns=identifiers,
        values=SQL(", ").join(SQL.identifier("r", name) for name in names),
        arrays=SQL(", ").join(arrays),
    )


class VmsPointsLedger(models.AbstractModel):
    """How points change: every operation here runs on an account locked by
    :meth:`_vms_lock` and writes its move, its lot and its draws in one go.

    - :meth:`_vms_credit`: points come in as a new lot (an earning, a positive
      adjustment), paying the debt first;
    - :meth:`_vms_debit`: points go out, drawn from the lots nearest to expiry;
    - :meth:`_vms_take_back`: an earning is taken back (its order refunded),
      from its own lot first, then the other lots, the rest as a debt;
    - :meth:`_vms_give_back_lots`: spent points return to the lots they came
      from, with their own expiry (a lot that expired meanwhile expires again
      at once), paying the debt first;
    - :meth:`_vms_expire_due`: what is left of lots past their last day expires.
    """

    _name = "vms.points.ledger"
    _description = "Points Ledger"

    # ------------------------------------------------------------------
    # Lock and read
    # ------------------------------------------------------------------

    def _vms_lock(self):
        """Lock the accounts until the end of the transaction, and expire what
        is due. Two tills spending one account queue here.

        The locked row is also written: a concurrent transaction that read the
        account (its holds, its lots) before this one commits then gets a
        serialization failure and is retried (Odoo retries the request) with
        fresh data, instead of working on a stale balance.
        """
        if not self:
            return self
        self.env.cr.execute(
            "SELECT id FROM vms_points_account WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            [self.ids],
            log_exceptions=False,  # a serialization failure here is expected and retried
        )
        self.env.cr.execute(
            "UPDATE vms_points_account SET write_date = now() at time zone 'UTC', write_uid = %s "
            "WHERE id = ANY(%s)",
            [self.env.uid, self.ids],
            log_exceptions=False,
        )
        self._vms_forget()
        for account in self:
            account._vms_expire_due()
        return self

    def _vms_forget(self):
        """The ledger writes with SQL: drop what the ORM cached of it."""
        self.invalidate_recordset()
        self.env["vms.points.lot"].invalidate_model()
        self.env["vms.points.move"].invalidate_model()
        self.env["vms.points.draw"].invalidate_model()

    def _vms_lots(self, lot_ids=None):
        """The account's lots that hold points (or the lots ``lot_ids``), as the rules see them."""
        self.ensure_one()
        if lot_ids is None:
            self.env.cr.execute(
                "SELECT id, expires_on, remaining FROM vms_points_lot "
                "WHERE account_id = %s AND remaining > 0",
                [self.id],
            )
        else:
            self.env.cr.execute(
                "SELECT id, expires_on, remaining FROM vms_points_lot "
                "WHERE account_id = %s AND id = ANY(%s)",
                [self.id, list(lot_ids)],
            )
        return [
            points_rules.Lot(lot_id, expires_on, float(remaining))
            for lot_id, expires_on, remaining in self.env.cr.fetchall()
        ]

    def _vms_debt(self):
        self.ensure_one()
        self.env.cr.execute("SELECT debt FROM vms_points_account WHERE id = %s", [self.id])
        return float(self.env.cr.fetchone()[0] or 0.0)

    def _vms_spendable_points(self):
        """Points of the lots that may be spent today, less the debt (locked values)."""
        program = self._vms_program()
        lots = points_rules.spendable(self._vms_lots(), self._vms_today())
        return program.round(sum(lot.remaining for lot in lots) - self._vms_debt())

    # ------------------------------------------------------------------
    # The writer
    # ------------------------------------------------------------------

    def _vms_post(self, move_type, *, new_lot=None, draws=(), debt_change=0.0, **values):
        """Write one move of this (locked) account, its lot and its draws.

        ``new_lot``: ``(points, expires_on)`` the move brings in; ``draws``:
        ``[(lot id or NEW_LOT, points)]``, positive taken from the lot,
        negative given back to it; ``debt_change``: debt made (positive) or
        paid (negative). The move's points follow from them (see
        ``vms.points.move``). Returns the move.
        """
        self.ensure_one()
        program = self._vms_program()
        draws = [
            (lot, program.round(points)) for lot, points in draws if not program.is_zero(points)
        ]
        debt_change = program.round(debt_change)
        credit = new_lot[0] if new_lot else 0.0
        points = program.round(credit - sum(p for _lot, p in draws) - debt_change)
        now = fields.Datetime.now()
        detail = values.pop("detail", None)
        move = {
            "account_id": self.id,
            "company_id": self.company_id.id,
            "type": move_type,
            "date": now,
            "points": points,
            "debt_change": debt_change,
            "expires_on": new_lot[1] if new_lot else None,
            "store_id": self.env.company.id,
            "user_id": self.env.uid,
            "channel": "system",
            "detail": json.dumps(detail) if detail is not None else None,
            **{key: value or None for key, value in values.items()},
        }
        unknown = set(move) - MOVE_COLUMNS.keys()
        if unknown:
            raise VmsError("invalid_move", _("Unknown points move values: %s", sorted(unknown)))
        cr = self.env.cr
        # An order's claim that a concurrent request took first is the
        # caller's to answer (a retry), not a server error to log.
        cr.execute(
            insert_sql("vms_points_move", MOVE_COLUMNS, [move]),
            log_exceptions=not move.get("earned_order"),
        )
        move_id = cr.fetchone()[0]
        new_lot_id = None
        if new_lot:
            paid = sum(p for lot, p in draws if lot == NEW_LOT)
            cr.execute(
                insert_sql(
                    "vms_points_lot",
                    LOT_COLUMNS,
                    [
                        {
                            "account_id": self.id,
                            "company_id": self.company_id.id,
                            "move_id": move_id,
                            "date": now,
                            "points": new_lot[0],
                            "remaining": program.round(new_lot[0] - paid),
                            "expires_on": new_lot[1],
                        }
                    ],
                )
            )
            new_lot_id = cr.fetchone()[0]
        if draws:
            rows = [
                {"move_id": move_id, "lot_id": new_lot_id if lot == NEW_LOT else lot, "points": p}
                for lot, p in draws
            ]
            cr.execute(insert_sql("vms_points_draw", DRAW_COLUMNS, rows))
            changes = {}
            for lot, p in draws:
                if lot != NEW_LOT:
                    changes[lot] = changes.get(lot, 0.0) + p
            if changes:
                cr.execute(
                    """
                    UPDATE vms_points_lot l SET remaining = l.remaining - c.points
                      FROM unnest(%s::int4[], %s::numeric[]) AS c(id, points)
                     WHERE l.id = c.id AND l.account_id = %s
                    """,
                    [list(changes), list(changes.values()), self.id],
                    log_exceptions=False,
                )
        if debt_change:
            cr.execute(
                "UPDATE vms_points_account SET debt = debt + %s WHERE id = %s",
                [debt_change, self.id],
            )
        self._vms_forget()
        return self.env["vms.points.move"].sudo().browse(move_id)

    # ------------------------------------------------------------------
    # Operations
    # ------------------------------------------------------------------

    def _vms_credit(self, points, move_type, expires_on, **values):
        """Points coming in as a new lot; they pay the debt first."""
        paid = min(points, self._vms_debt())
        return self._vms_post(
            move_type,
            new_lot=(points, expires_on),
            draws=[(NEW_LOT, paid)],
            debt_change=-paid,
            **values,
        )

    def _vms_debit(self, points, move_type, **values):
        """Points going out, from the lots nearest to expiry; refused when the
        lots (less the debt) do not hold enough."""
        program = self._vms_program()
        points_rules.check_available(self.env, program, points, self._vms_spendable_points())
        plan = points_rules.plan_draws(
            self.env, program, self._vms_lots(), points, self._vms_today()
        )
        return self._vms_post(move_type, draws=plan, **values)

    def _vms_take_back(self, points, first_lot_ids, move_type="reverse", **values):
        """Take ``points`` back (a refunded earning): from the lots
        ``first_lot_ids`` first, then the other lots nearest to expiry; what
        was spent already becomes a debt, never a negative lot."""
        program = self._vms_program()
        today = self._vms_today()
        lots = self._vms_lots()
        first = [lot for lot in points_rules.spendable(lots, today) if lot.id in first_lot_ids]
        others = [lot for lot in points_rules.spendable(lots, today) if lot.id not in first_lot_ids]
        draws, left = [], points
        for lot in first + others:
            if program.compare(left, 0.0) <= 0:
                break
            take = program.round(min(lot.remaining, left))
            draws.append((lot.id, take))
            left = program.round(left - take)
        return self._vms_post(move_type, draws=draws, debt_change=max(left, 0.0), **values)

    def _vms_give_back_lots(self, returns, move_type="reverse", **values):
        """Give points back to the lots they were drawn from (``[(lot id,
        points)]``), with their own expiry; they pay the debt first, and what
        returns to a lot past its last day expires again at once (a move of
        its own). Returns the move."""
        program = self._vms_program()
        today = self._vms_today()
        returned = {}
        for lot_id, points in returns:
            returned[lot_id] = returned.get(lot_id, 0.0) + points
        lots = {lot.id: lot for lot in self._vms_lots(returned)}
        draws = [(lot_id, -points) for lot_id, points in returned.items()]
        # The debt is paid from the points coming back to lots still alive.
        debt = self._vms_debt()
        alive = points_rules.spendable(
            [
                points_rules.Lot(lot_id, lots[lot_id].expires_on, points)
                for lot_id, points in returned.items()
            ],
            today,
        )
        paid = 0.0
        for lot in alive:
            take = program.round(min(lot.remaining, debt - paid))
            if program.compare(take, 0.0) <= 0:
                break
            draws.append((lot.id, take))
            paid = program.round(paid + take)
        move = self._vms_post(move_type, draws=draws, debt_change=-paid, **values)
        dead = [
            (lot_id, points)
            for lot_id, points in returned.items()
            if lots[lot_id].expires_on and lots[lot_id].expires_on < today
        ]
        if dead:
            self._vms_post(
                "expire",
                draws=dead,
                reason=_("returned after its expiry"),
                order_ref=values.get("order_ref"),
                channel=values.get("channel") or "system",
                origin_id=move.id,
            )
        return move

    def _vms_expire_due(self):
        """Expire what is left of the lots past their last day (one move)."""
        self.ensure_one()
        today = self._vms_today()
        due = [lot for lot in self._vms_lots() if lot.expires_on and lot.expires_on < today]
        if not due:
            return None
        return self._vms_post(
            "expire",
            draws=[(lot.id, lot.remaining) for lot in due],
            reason=_("expired"),
            channel="system",
        )

    def _vms_adjust(self, points, reason, expires_on=None):
        """A VMS manager's correction, with its reason: positive points are a
        new lot (the programme's lifetime unless ``expires_on``), negative ones
        are drawn from the lots nearest to expiry, never beyond what is free."""
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group("vms_loyalty.group_vms_manager"):
            raise AccessError(_("Only VMS managers adjust points."))
        if not reason or not isinstance(reason, str):
            raise VmsError("reason_required", _("Say why the points are adjusted."))
        account = self.sudo()  # sudo: a manager's correction; the move keeps the operator
        program = account._vms_program()
        if not isinstance(points, (int, float)) or program.is_zero(points):
            raise VmsError("invalid_points", _("Adjust by some points."))
        wanted = points_rules.parse_points(self.env, abs(points), program)
        account._vms_lock()
        values = {"reason": reason, "channel": "backoffice"}
        if points > 0:
            expiry = expires_on or program.expiry(account._vms_today())
            return account._vms_credit(wanted, "adjust", expiry, **values)
        points_rules.check_available(self.env, program, wanted, account._vms_free_points())
        return account._vms_debit(wanted, "adjust", **values)

    @api.model
    def _cron_expire_points(self, limit=5000):
        """Write the expire moves of lots past their last day, and lapse the
        reward claims past theirs."""
        roots = self.env["vms.points.program"].sudo().search([]).company_id
        expired = 0
        for root in roots:
            self.env.cr.execute(
                """
                SELECT DISTINCT account_id FROM vms_points_lot
                 WHERE company_id = %s AND remaining > 0 AND expires_on < %s
                 LIMIT %s
                """,
                [root.id, root._vms_today(), limit],
            )
            account_ids = [row[0] for row in self.env.cr.fetchall()]
            # sudo: the cron acts for the retailer; each account is locked in turn.
            for account in self.sudo().browse(account_ids):
                account._vms_lock()  # expires what is due
                expired += 1
        self.env["vms.reward.claim"]._cron_lapse_claims()
        return expired

    # ------------------------------------------------------------------
    # The check
    # ------------------------------------------------------------------

    def _vms_check_ledger(self):
        """Recompute every account from its moves and draws: the lots' points
        left, the debt, and each move's points. Returns the differences found
        (empty: the ledger holds), for the tests and the benchmark."""
        if not self:
            return []
        self.env.flush_all()
        cr = self.env.cr
        problems = []
        cr.execute(
            """
            SELECT l.id, l.remaining, l.points - COALESCE(SUM(d.points), 0)
              FROM vms_points_lot l LEFT JOIN vms_points_draw d ON d.lot_id = l.id
             WHERE l.account_id = ANY(%s)
             GROUP BY l.id
            HAVING l.remaining <> l.points - COALESCE(SUM(d.points), 0)
            """,
            [self.ids],
        )
        problems += [f"lot {row[0]}: {row[1]} left, draws say {row[2]}" for row in cr.fetchall()]
        cr.execute(
            """
            SELECT a.id, a.debt, COALESCE(SUM(m.debt_change), 0)
              FROM vms_points_account a LEFT JOIN vms_points_move m ON m.account_id = a.id
             WHERE a.id = ANY(%s)
             GROUP BY a.id
            HAVING a.debt <> COALESCE(SUM(m.debt_change), 0)
            """,
            [self.ids],
        )
        problems += [
            f"account {row[0]}: debt {row[1]}, moves say {row[2]}" for row in cr.fetchall()
        ]
        cr.execute(
            """
            SELECT m.id, m.points,
                   COALESCE((SELECT SUM(l.points) FROM vms_points_lot l
                              WHERE l.move_id = m.id), 0)
                   - COALESCE((SELECT SUM(d.points) FROM vms_points_draw d
                                WHERE d.move_id = m.id), 0)
                   - m.debt_change
              FROM vms_points_move m
             WHERE m.account_id = ANY(%s)
            """,
            [self.ids],
        )
        problems += [
            f"move {move_id}: {points} points, its lots and draws say {derived}"
            for move_id, points, derived in cr.fetchall()
            if points != derived
        ]
        return problems
