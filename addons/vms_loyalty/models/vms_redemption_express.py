"""The express lane of the redemption engine: hold and confirm of a plain
voucher in two SQL statements.

A vending machine or a web shop redeems many vouchers a minute, nearly all of
them plain: a nominal voucher of the store's own company, in its validity, of
an open campaign, with enough free balance, no card binding, no OTP needed and
no remainder to pay out. For those, :meth:`_vms_redeem` takes this lane: one
statement locks the voucher (``SELECT ... FOR UPDATE``) and reads it with its
campaign, its company's settings and its open holds; one statement writes the
"using" row, the spent amount and the confirmed redemption, exactly what the
full engine writes.

The lane only ever *accepts*. Whatever it is not sure of (an unknown code, a
retried idempotency key, a refusal of any kind, a voucher with options) it
leaves to the full engine, which gives the answer and the refusal reason. So
the rules and their errors live in one place; the lane is a subset of them,
which the tests check by running the same requests through both.
"""

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import psycopg2.errors
import pytz

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError
from odoo.tools import SQL, float_compare, float_round

from .vms_campaign import WEEKDAY_FIELDS, campaign_open_at

# A positive decimal as API clients write it ("12", "12.50"), nothing fancier.
AMOUNT_RE = re.compile(r"^\d+(\.\d+)?$")
# What a plain redemption request holds; anything more (a card, order lines, a
# partner, a bill amount, a currency to check) goes to the full engine.
EXPRESS_ARGUMENTS = {"order_ref", "idempotency_key", "channel", "otp_id", "otp_code", "voucher"}

# The voucher row as the user may see it (``%(vouchers)s`` and ``%(visible)s``
# are the FROM and WHERE of a search, record rules included), locked, with what
# the lane checks: its campaign, its company's settings, its open holds, whether
# the idempotency key was used, and the user's company and time zone. One
# statement: Odoo resets a connection when a request borrows it, which drops
# PostgreSQL's cached plans, so a stored function would be planned anyway.
_LOCK_AND_READ = f"""
    SELECT vms_voucher.id, vms_voucher.code, vms_voucher.state AS voucher_state,
           vms_voucher.company_id, vms_voucher.valid_from, vms_voucher.valid_to,
           vms_voucher.value_type, vms_voucher.nominal_amount, vms_voucher.spent_amount,
           vms_voucher.card_bound,
           c.state AS campaign_state, c.date_start, c.date_end, c.hour_start, c.hour_end,
           {", ".join(f"c.{name}" for name in WEEKDAY_FIELDS)},
           c.remainder_as_voucher,
           EXISTS(SELECT 1 FROM vms_campaign_store_rel s WHERE s.campaign_id = c.id)
               AS store_restricted,
           co.vms_hold_ttl_seconds, co.vms_otp_mandatory, co.vms_otp_min_amount,
           cur.id AS currency_id, cur.name AS currency_name, cur.rounding, cur.decimal_places,
           (SELECT COALESCE(SUM(r.amount), 0) FROM vms_redemption r
             WHERE r.voucher_id = vms_voucher.id AND r.state = 'held'
               AND r.expires_at > now() at time zone 'UTC') AS held,
           EXISTS(SELECT 1 FROM vms_redemption r WHERE r.hold_key = %(key)s)
               OR EXISTS(SELECT 1 FROM vms_voucher_transaction t
                          WHERE t.idempotency_key = %(confirm_key)s) AS key_used,
           u.company_id AS user_company_id, p.tz AS user_tz
      FROM %(vouchers)s
      JOIN vms_campaign c ON c.id = vms_voucher.campaign_id
      JOIN res_company co ON co.id = vms_voucher.company_id
      JOIN res_currency cur ON cur.id = co.currency_id
      JOIN res_users u ON u.id = %(uid)s
      JOIN res_partner p ON p.id = u.partner_id
     WHERE %(visible)s
       FOR UPDATE OF vms_voucher
"""

# What the full engine writes for a hold confirmed at once: the "using" row,
# the spent amount, and the redemption pointing at the row.
_SPEND = """
    WITH use_row AS (
        INSERT INTO vms_voucher_transaction
               (voucher_id, company_id, type, state, date, amount, bill_ref,
                store_id, user_id, channel, idempotency_key)
        VALUES (%(voucher)s, %(company)s, 'use', 'recorded', %(now)s, %(amount)s,
                %(order_ref)s, %(company)s, %(uid)s, %(channel)s, %(confirm_key)s)
        RETURNING id
    ), spent AS (
        UPDATE vms_voucher
           SET spent_amount = %(spent)s, balance = %(balance)s, state = %(state)s,
               write_uid = %(uid)s, write_date = %(now)s
         WHERE id = %(voucher)s
    )
    INSERT INTO vms_redemption
           (voucher_id, company_id, currency_id, amount, order_ref, channel, state,
            expires_at, hold_key, confirm_key, confirmed_at, user_id, use_transaction_id,
            create_uid, create_date, write_uid, write_date)
    SELECT %(voucher)s, %(company)s, %(currency)s, %(amount)s, %(order_ref)s, %(channel)s,
           'confirmed', %(expires_at)s, %(key)s, %(confirm_key)s, %(now)s, %(uid)s,
           use_row.id, %(uid)s, %(now)s, %(uid)s, %(now)s
      FROM use_row
    RETURNING id
"""


class VmsRedemption(models.Model):
    _inherit = "vms.redemption"

    @api.model
    def _vms_redeem(self, code, amount, *, express=True, **request):
        """Take the express lane when the request is a plain one (no card,
        lines, partner or bill amount to check), else the full engine."""
        if express and set(request) <= EXPRESS_ARGUMENTS and not request.get("otp_id"):
            result = self._vms_redeem_express(
                code,
                amount,
                order_ref=request.get("order_ref"),
                idempotency_key=request.get("idempotency_key"),
                channel=request.get("channel"),
            )
            if result is not None:
                return self.browse(result["id"])
        return super()._vms_redeem(code, amount, **request)

    @api.model
    def _vms_redeem_express(self, code, amount, *, order_ref, idempotency_key, channel):
        """Redeem a plain voucher; the answer of :meth:`_vms_result`, or None
        when the full engine must decide (see the module's docstring).

        ``amount`` is a number, or the decimal string an API client sent.
        """
        if not (
            isinstance(code, str)
            and code.strip()
            and isinstance(order_ref, str)
            and order_ref
            and isinstance(idempotency_key, str)
            and 8 <= len(idempotency_key) <= 200
            and isinstance(amount, (int, float, str, Decimal))
            and not isinstance(amount, bool)
        ):
            return None
        text = str(amount).strip()
        if not AMOUNT_RE.match(text):
            return None  # a negative, an exponent, garbage: the engine says what is wrong
        amount = Decimal(text)
        if amount <= 0:
            return None
        if not self.env.su and not self.env.user.has_group("vms_loyalty.group_vms_store_user"):
            return None
        confirm_key = f"{idempotency_key}:confirm"
        self.env.flush_all()  # the lane reads with SQL what the ORM may not have written
        vouchers = self.env["vms.voucher"]._search([("code", "=", code.strip().upper())])
        self.env.cr.execute(
            SQL(
                _LOCK_AND_READ,
                vouchers=vouchers.from_clause,
                visible=vouchers.where_clause,
                key=idempotency_key,
                confirm_key=confirm_key,
                uid=self.env.uid,
            ),
            # A concurrent spend since this transaction's snapshot is a
            # serialization failure: expected, Odoo retries the request.
            log_exceptions=False,
        )
        row = self.env.cr.dictfetchone()
        if not row or row["key_used"]:
            return None
        row = SimpleNamespace(**row)
        plan = self._vms_express_plan(row, amount)
        if plan is None:
            return None
        now = fields.Datetime.now()
        expires_at = now + timedelta(seconds=row.vms_hold_ttl_seconds)
        try:
            self.env.cr.execute(
                _SPEND,
                dict(
                    plan,
                    voucher=row.id,
                    company=row.company_id,
                    currency=row.currency_id,
                    order_ref=order_ref,
                    channel=channel,
                    key=idempotency_key,
                    confirm_key=confirm_key,
                    uid=self.env.uid,
                    now=now,
                    expires_at=expires_at,
                ),
                log_exceptions=False,
            )
        except psycopg2.errors.UniqueViolation:
            # The same key raced in another transaction; the retry finds it.
            raise ConcurrencyError(
                "an identical request committed first; retried to return its result"
            ) from None
        redemption_id = self.env.cr.fetchone()[0]
        self.env.invalidate_all()  # the lane wrote with SQL
        rounding = row.rounding
        return {
            "id": redemption_id,
            "state": "confirmed",
            "code": row.code,
            "amount": plan["amount"],
            "reversed_amount": 0.0,
            "currency": row.currency_name,
            "decimal_places": row.decimal_places,
            "order_ref": order_ref,
            "expires_at": fields.Datetime.to_string(expires_at),
            "voucher_state": plan["state"],
            "balance": plan["balance"],
            "available": float_round(plan["balance"] - row.held, precision_rounding=rounding),
            "remainder_code": None,
        }

    @api.model
    def _vms_express_plan(self, row, amount):
        """What to write for a plain redemption of ``amount`` (a Decimal), or
        None when the voucher is not plain or the full engine would refuse it
        or do more."""
        if -amount.as_tuple().exponent > row.decimal_places:
            return None  # more decimals than the currency has: the engine refuses
        rounding = row.rounding
        value = float(amount)
        nominal, spent = row.nominal_amount or 0.0, row.spent_amount or 0.0
        free = nominal - spent - row.held
        when = self._vms_express_now(row.user_tz)
        today = when.date()
        campaign = SimpleNamespace(
            state=row.campaign_state,
            date_start=row.date_start,
            date_end=row.date_end,
            hour_start=row.hour_start,
            hour_end=row.hour_end,
            **{name: getattr(row, name) for name in WEEKDAY_FIELDS},
        )
        if (
            row.company_id != self._vms_express_store(row.user_company_id)
            or row.voucher_state != "active"
            or row.value_type != "nominal"
            or row.card_bound
            or (row.valid_from and row.valid_from > today)
            or (row.valid_to and row.valid_to < today)
            or row.store_restricted
            or not campaign_open_at(campaign, when)
            or not 1 <= (row.vms_hold_ttl_seconds or 0) <= 86400
            or float_compare(value, free, precision_rounding=rounding) > 0
            or (
                row.vms_otp_mandatory
                and float_compare(value, row.vms_otp_min_amount, precision_rounding=rounding) >= 0
            )
        ):
            return None
        spent = float_round(spent + value, precision_rounding=rounding)
        left = float_round(nominal - spent, precision_rounding=rounding)
        fully = float_compare(left, 0.0, precision_rounding=rounding) == 0
        if row.remainder_as_voucher and not fully:
            return None  # the full engine pays the remainder out as a new voucher
        return {
            "amount": value,
            "spent": spent,
            "balance": left,
            "state": "used" if fully else "active",
        }

    def _vms_express_store(self, user_company_id):
        """The store of the request, as ``env.company`` (without reading the user)."""
        if self.env.context.get("allowed_company_ids"):
            return self.env.company.id
        return user_company_id

    def _vms_express_now(self, user_tz):
        """Now in the user's time zone, as ``fields.Datetime.context_timestamp``."""
        name = self.env.context.get("tz") or user_tz
        try:
            tz = pytz.timezone(name) if name else pytz.utc
        except pytz.UnknownTimeZoneError:
            tz = pytz.utc
        return pytz.utc.localize(fields.Datetime.now()).astimezone(tz)
