import math

import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import ConcurrencyError

from ..exceptions import VmsConflict, VmsError, VmsInvalid
from ..tools import points as points_rules
from ..tools import rules

# "unsettled": a tender the till took and the sync could not settle (a voucher
# accepted offline, blocked or spent meanwhile): what it was to pay earns nothing.
PAYMENT_KINDS = ("points", "voucher", "other", "unsettled")


class VmsPointsEarning(models.AbstractModel):
    """Points earned on bills and taken back on refunds: the service the till's
    order sync, the API and the back office call (see the README)."""

    _name = "vms.points.earning"
    _description = "Points Earning"

    @api.model
    def _vms_earn_for_bill(
        self,
        holder,
        lines,
        payments,
        order_ref,
        *,
        idempotency_key,
        channel="pos",
    ):
        """Earn the points of a bill for ``holder`` (a ``vms.card`` or a
        ``res.partner``), once per order.

        ``lines``: ``[{"product": product.product, "qty": 2, "price_unit":
        4.5}]`` as paid (taxes and discounts included); ``payments``:
        ``[{"amount": 10.0, "kind": "points" | "voucher" | "other" | "unsettled",
        "voucher": vms.voucher}]``, or ``{"amount": ..., "redemption":
        vms.redemption}`` for a tender held through the engine. The parts paid
        with points, or by vouchers whose "bonus points accrue" is off, earn
        nothing (spread pro rata over the lines). Every earning rule of the
        programme whose window holds at the store's clock adds its points,
        rounded down once per expiry date; each such total is a lot.

        Returns the answer for the receipt: ``points_earned``, ``lots`` and
        the account's new balance and next expiry. A retry with the same key
        gets the first answer; another key for the same order is refused.
        """
        lines_key = self._vms_lines_key(lines)
        payments_key = (
            [
                (
                    payment.get("kind"),
                    rules.amount_key(payment.get("amount")),
                    payment.get("voucher").id if payment.get("voucher") else None,
                    payment.get("redemption").id if payment.get("redemption") else None,
                )
                for payment in payments or []
            ]
            if isinstance(payments, (list, tuple))
            else payments
        )
        inputs = {
            "holder": [holder._name, holder.id] if holder else None,
            "lines": lines_key,
            "payments": payments_key,
            "order_ref": order_ref,
            "channel": channel,
        }
        Requests = self.env["vms.idempotency"].sudo()
        answer, digest = Requests._vms_replayed(idempotency_key, "points_earn", inputs)
        if answer is not None:
            return answer
        Redemption = self.env["vms.redemption"]
        Redemption._vms_check_redeemer()
        Redemption._vms_check_order(order_ref, channel)
        company = Redemption._vms_request_company()
        bill_lines = self._vms_bill_lines(lines)
        bill_payments = self._vms_bill_payments(payments)
        account, card = self._vms_account_for(holder, company=company, create=True)
        account._vms_lock()
        program = account._vms_program()
        earned_order = self._vms_earned_order(company, channel, order_ref)
        # sudo: whether the order earned already, whoever's card it was.
        if (
            self.env["vms.points.move"]
            .sudo()
            .search_count([("earned_order", "=", earned_order)], limit=1)
        ):
            raise VmsConflict(
                "already_earned",
                _("Order %(order)s has earned its points already.", order=order_ref),
            )
        rules_ = self.env["vms.points.program"].sudo().browse(program.id)._vms_earn_rules()
        local_now = company._vms_store().local_now(fields.Datetime.now())
        earnings = points_rules.earn(program, rules_, bill_lines, bill_payments, local_now)
        total = points_rules.bill_total(bill_lines)
        lots = []
        # Nothing to earn claims the order all the same (a move of no points):
        # the bill sent again under another key, once a window opened or with
        # other payments, earns nothing either.
        for index, earning in enumerate(earnings or [None]):
            self._vms_post_earning(
                account,
                earning,
                earned_order=earned_order if index == 0 else None,
                order_ref=order_ref,
                channel=channel,
                card_id=card.id,
                bill_amount=total,
                idempotency_key=self.env["vms.voucher"]._vms_row_key(
                    idempotency_key, f"earn{index}"
                ),
            )
            if earning:
                lots.append(
                    {
                        "points": earning.points,
                        "expires_on": fields.Date.to_string(earning.expires_on) or None,
                    }
                )
        answer = {
            "order_ref": order_ref,
            "card": card.number or None,
            "points_earned": program.round(sum(e.points for e in earnings)),
            "lots": lots,
            **account._vms_summary(),
        }
        Requests._vms_remember(idempotency_key, "points_earn", digest, answer)
        return answer

    @api.model
    def _vms_earned_order(self, store, channel, order_ref):
        """The order as it earns once: in its store and channel, whichever
        card it names, so that a web shop cannot take a till's order. Through
        the API each caller (a web shop, an app) numbers its own orders, so
        one cannot take another's reference."""
        caller = self.env.uid if channel == "api" else 0
        return f"{store.id}/{channel}/{caller}/{order_ref}"

    @api.model
    def _vms_post_earning(self, account, earning, **values):
        """An earning's lot (``None``: a move of no points); the order's first
        move claims the order (see ``vms.points.move.earned_order``). A card
        naming the same order that committed first makes this transaction
        retry (Odoo's request retry), then be refused as ``already_earned``."""
        try:
            if earning is None:
                return account._vms_post("earn", **values)
            return account._vms_credit(
                earning.points, "earn", earning.expires_on, detail=earning.detail, **values
            )
        except psycopg2.errors.UniqueViolation as error:
            if error.diag.constraint_name != "vms_points_move_earned_order_unique":
                raise
            raise ConcurrencyError(
                "another card earned on this order first; retried to refuse it"
            ) from None

    @api.model
    def _vms_refund_bill(
        self,
        order_ref,
        refund_ref,
        *,
        idempotency_key,
        lines=None,
        bill_amount=None,
        channel="pos",
        reason=None,
    ):
        """A refund of order ``order_ref`` (``refund_ref``: the refund's own
        reference): takes back what the order earned and re-credits the points
        it was paid with, to the lots they came from, with their expiry.

        ``lines=None`` refunds the whole order; else ``lines`` (as for
        :meth:`_vms_earn_for_bill`, quantities positive or negative) are the
        refunded ones: each item's points are taken back in proportion to its
        refunded amount, and the points paid in proportion to the refunded
        share of the bill (``bill_amount``, by default the one recorded when
        the order earned or paid). What was spent of the earned points already
        becomes a debt. Re-crediting is the engine's reversal of the order's
        points redemptions, which needs the reversal right.
        """
        inputs = {
            "order_ref": order_ref,
            "refund_ref": refund_ref,
            "lines": self._vms_lines_key(lines) if lines is not None else None,
            "bill_amount": rules.amount_key(bill_amount),
            "channel": channel,
            "reason": reason,
        }
        Requests = self.env["vms.idempotency"].sudo()
        answer, digest = Requests._vms_replayed(idempotency_key, "points_refund", inputs)
        if answer is not None:
            return answer
        Redemption = self.env["vms.redemption"]
        Redemption._vms_check_redeemer()
        Redemption._vms_check_order(order_ref, channel)
        Redemption._vms_check_order(refund_ref, channel)
        company = Redemption._vms_request_company()
        root = company.root_id
        program = self.env["vms.points.program"]._vms_for_company(root)
        own = (
            [("user_id", "=", self.env.uid)]
            if not self.env.su and self.env.user.has_group("vms_loyalty.group_vms_channel")
            else []
        )
        # sudo: the order's moves and holds are read within the retailer (and a
        # channel's own only); nothing of them is returned but totals.
        Move = self.env["vms.points.move"].sudo()
        # The order as it earned (its store and channel), not another store's
        # or channel's order of the same reference.
        earns = Move.search(
            [
                ("type", "=", "earn"),
                ("order_ref", "=", order_ref),
                ("company_id", "=", root.id),
                ("store_id", "=", company.id),
                ("channel", "=", channel),
            ]
            + own
        )
        # Its points payments too: a points hold belongs to the root company,
        # its spend move says at which store it was paid.
        holds = Redemption.sudo().search(
            [
                ("kind", "=", "points"),
                ("points_purpose", "=", "redeem"),
                ("order_ref", "=", order_ref),
                ("company_id", "=", root.id),
                ("points_move_id.store_id", "=", company.id),
                ("channel", "=", channel),
                ("state", "=", "confirmed"),
            ]
            + own
        )
        accounts = (earns.account_id | holds.points_account_id).sorted("id")
        accounts._vms_lock()
        if Move.search_count(
            [
                ("type", "=", "reverse"),
                ("order_ref", "=", refund_ref),
                "|",
                ("origin_id", "in", earns.ids),
                ("redemption_id", "in", holds.ids),
            ],
            limit=1,
        ):
            raise VmsConflict(
                "already_refunded", _("Refund %(refund)s was counted already.", refund=refund_ref)
            )
        refunded = None
        if lines is not None:
            refunded = {}
            for line in self._vms_bill_lines(lines):
                key = str(line.product_id)
                refunded[key] = refunded.get(key, 0.0) + abs(line.total)
        why = reason or _("refund %(refund)s of %(order)s", refund=refund_ref, order=order_ref)
        taken = 0.0
        for earn in earns:
            previous = earn.reversal_ids.filtered(lambda m: m.type == "reverse")
            already_taken = -sum(previous.mapped("points"))
            detail = earn.detail or {}
            if refunded is None:
                points = program.round(earn.points - already_taken)
                counted = {
                    pid: amount - sum((m.detail or {}).get(pid, 0.0) for m in previous)
                    for pid, (amount, _points) in detail.items()
                }
            else:
                already_refunded = {}
                for move in previous:
                    for pid, amount in (move.detail or {}).items():
                        already_refunded[pid] = already_refunded.get(pid, 0.0) + amount
                points, counted = points_rules.take_back(
                    program,
                    earn.points,
                    detail,
                    refunded,
                    already_refunded=already_refunded,
                    already_taken=already_taken,
                )
            if program.compare(points, 0.0) <= 0 and not counted:
                continue
            earn.account_id._vms_take_back(
                points,
                earn.lot_ids.ids,
                order_ref=refund_ref,
                origin_id=earn.id,
                channel=channel,
                card_id=earn.card_id.id,
                reason=why,
                detail=counted,
                idempotency_key=self.env["vms.voucher"]._vms_row_key(
                    idempotency_key, f"take_back{earn.id}"
                ),
            )
            taken += points
        given = 0.0
        money = program.money
        refunded_total = sum(refunded.values()) if refunded is not None else None
        for hold in holds:
            left = money.round(hold.amount - hold.reversed_amount)
            if money.is_zero(left):
                continue
            if refunded_total is None:
                amount = left
            else:
                total = bill_amount or (earns[:1].bill_amount) or hold.points_move_id.bill_amount
                if not total:
                    raise VmsError(
                        "bill_amount_required",
                        _(
                            "Order %(order)s was paid with points: send its bill amount to "
                            "refund part of it.",
                            order=order_ref,
                        ),
                    )
                amount = min(left, money.round(hold.amount * min(1.0, refunded_total / total)))
            if money.compare(amount, 0.0) <= 0:
                continue
            before = hold.points_reversed
            hold.with_env(self.env)._vms_reverse_answer(
                f"{idempotency_key}:{hold.id}"[:128], amount=amount, reason=why
            )
            hold.invalidate_recordset()
            given += hold.points_reversed - before
        accounts._vms_forget()
        answer = {
            "order_ref": order_ref,
            "refund_ref": refund_ref,
            "points_taken_back": program.round(taken),
            "points_given_back": program.round(given),
            **accounts[:1]._vms_summary(),
        }
        Requests._vms_remember(idempotency_key, "points_refund", digest, answer)
        return answer

    # ------------------------------------------------------------------
    # Input
    # ------------------------------------------------------------------

    @api.model
    def _vms_lines_key(self, lines):
        if not isinstance(lines, (list, tuple)):
            return lines
        keys = []
        for line in lines:
            if isinstance(line, rules.Line):
                keys.append(
                    (line.product_id, rules.amount_key(line.qty), rules.amount_key(line.price_unit))
                )
                continue
            keys.append(
                (
                    line.get("product").id
                    if isinstance(line, dict) and line.get("product")
                    else None,
                    rules.amount_key(line.get("qty")) if isinstance(line, dict) else None,
                    rules.amount_key(line.get("price_unit")) if isinstance(line, dict) else None,
                )
            )
        return keys

    @api.model
    def _vms_bill_lines(self, lines):
        """Bill lines as the rules take them, or a refusal."""
        if not isinstance(lines, (list, tuple)) or len(lines) > 1000:
            raise VmsInvalid("invalid_lines", _("The bill's lines are a list (of at most 1000)."))
        result = []
        for line in lines:
            if isinstance(line, rules.Line):  # found already (the API does so in one query)
                result.append(line)
                continue
            product = line.get("product") if isinstance(line, dict) else None
            qty = line.get("qty") if isinstance(line, dict) else None
            price = line.get("price_unit") if isinstance(line, dict) else None
            if (
                not product
                or getattr(product, "_name", None) != "product.product"
                or not all(
                    isinstance(value, (int, float))
                    and not isinstance(value, bool)
                    and math.isfinite(value)
                    and abs(value) <= float(rules.MAX_AMOUNT)
                    for value in (qty, price)
                )
            ):
                raise VmsInvalid(
                    "invalid_lines",
                    _("Each bill line has an item, a quantity and a unit price."),
                )
            result.append(
                rules.Line(
                    product.id,
                    product.sudo().categ_id.parent_path or "",
                    float(qty),
                    float(price),
                )
            )
        return tuple(result)

    @api.model
    def _vms_bill_payments(self, payments):
        """The bill's payments as the rules take them (whether each earns points)."""
        if not isinstance(payments, (list, tuple)) or len(payments) > 100:
            raise VmsInvalid("invalid_payments", _("The bill's payments are a list."))
        result = []
        for payment in payments:
            amount = payment.get("amount") if isinstance(payment, dict) else None
            if (
                isinstance(amount, bool)
                or not isinstance(amount, (int, float))
                or not math.isfinite(amount)
                or amount < 0
            ):
                raise VmsInvalid("invalid_payments", _("Each payment has an amount, zero or more."))
            hold = payment.get("redemption")
            voucher = payment.get("voucher")
            kind = payment.get("kind")
            if hold:
                hold = hold.sudo()  # sudo: only its kind and voucher's flag are read
                kind, voucher = hold.kind, hold.voucher_id
            if kind not in PAYMENT_KINDS:
                raise VmsInvalid(
                    "invalid_payments",
                    _("A payment is made with points, a voucher or otherwise."),
                )
            if kind == "voucher":
                if not voucher or getattr(voucher, "_name", None) != "vms.voucher":
                    raise VmsInvalid("invalid_payments", _("A voucher payment names its voucher."))
                # sudo: the voucher's flag decides, whoever paid with it.
                accrues = voucher.sudo().bonus_points_accrue
            else:
                accrues = kind == "other"
            result.append(points_rules.Payment(float(amount), accrues))
        return tuple(result)
