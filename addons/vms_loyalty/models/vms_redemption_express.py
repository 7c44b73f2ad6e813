"""The express lane of the redemption engine: hold and confirm of a plain
voucher in two SQL statements.

A vending machine or a web shop redeems many vouchers a minute, nearly all of
them plain: a nominal voucher of the store's own company, presented by its
code, in its validity, of an open campaign, with enough free balance, no card
binding, no PIN, no OTP needed and no remainder to pay out. For those,
:meth:`_vms_redeem` takes this lane: one statement locks the voucher
(``SELECT ... FOR UPDATE``) and reads it with its open holds, checked against
its campaign's and company's terms (cached); one statement writes the "using"
row, the spent amount and the confirmed redemption, exactly what the full
engine writes.

The lane only ever *accepts*. Whatever it is not sure of (an unknown code, a
retried idempotency key, a refusal of any kind, a voucher with options) it
leaves to the full engine, which gives the answer and the refusal reason. So
the rules and their errors live in one place; the lane is a subset of them,
which the tests check by running the same requests through both.
"""

import re
from collections import namedtuple
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import psycopg2.errors
import pytz

from odoo import api, fields, models, tools
from odoo.exceptions import ConcurrencyError
from odoo.tools import SQL, float_compare, float_is_zero, float_round

from ..tools import codes
from .vms_campaign import WEEKDAY_FIELDS, campaign_open_at

# A positive decimal as API clients write it ("12", "12.50"), nothing fancier.
AMOUNT_RE = re.compile(r"^\d+(\.\d+)?$")
# What a plain redemption request holds; anything more (a card, order lines, a
# partner, a bill amount, a currency to check, a voucher already looked up)
# goes to the full engine.
EXPRESS_ARGUMENTS = {"order_ref", "idempotency_key", "channel", "otp_id", "otp_code"}

# The voucher row as the user may see it (``%(vouchers)s`` and ``%(visible)s``
# are the FROM and WHERE of a search, record rules included), locked, with its
# open holds and whether the idempotency key was used. Odoo resets a connection
# when a request borrows it, which drops PostgreSQL's cached plans: every call
# plans this statement again, and planning costs more than running it, the
# more so for each table joined. So the campaign's, the company's and the
# user's terms, which change seldom, come from caches (below).
_LOCK_AND_READ = """
    SELECT vms_voucher.id, vms_voucher.code, vms_voucher.state,
           vms_voucher.company_id, vms_voucher.campaign_id,
           vms_voucher.valid_from, vms_voucher.valid_to, vms_voucher.value_type,
           COALESCE(vms_voucher.nominal_amount, 0) AS nominal_amount,
           COALESCE(vms_voucher.spent_amount, 0) AS spent_amount,
           COALESCE(vms_voucher.card_bound, false) AS card_bound,
           -- the code (typed, Code 128 or QR) alone: either allowed, and no PIN
           COALESCE(vms_voucher.redeem_barcode OR vms_voucher.redeem_qr, false)
               AND NOT (COALESCE(vms_voucher.redeem_pin, false)
                        AND vms_voucher.pin_hash IS NOT NULL) AS code_accepted,
           (SELECT COALESCE(SUM(r.amount), 0) FROM vms_redemption r
             WHERE r.voucher_id = vms_voucher.id AND r.state = 'held'
               AND r.expires_at > now() at time zone 'UTC') AS held,
           EXISTS(SELECT 1 FROM vms_redemption r WHERE r.hold_key = %(key)s)
               OR EXISTS(SELECT 1 FROM vms_voucher_transaction t
                          WHERE t.idempotency_key = %(confirm_key)s) AS key_used
      FROM %(vouchers)s
     WHERE %(visible)s
       FOR UPDATE OF vms_voucher
"""

# What the full engine writes for a hold confirmed at once: the "using" row,
# the spent amount, and the redemption pointing at the row. The ORM stamps
# create and write dates with the transaction's start, now() in PostgreSQL.
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
               write_uid = %(uid)s, write_date = now() at time zone 'UTC'
         WHERE id = %(voucher)s
    )
    INSERT INTO vms_redemption
           (voucher_id, company_id, currency_id, amount, order_ref, channel, state,
            expires_at, hold_key, confirm_key, confirmed_at, user_id, use_transaction_id,
            create_uid, create_date, write_uid, write_date)
    SELECT %(voucher)s, %(company)s, %(currency)s, %(amount)s, %(order_ref)s, %(channel)s,
           'confirmed', %(expires_at)s, %(key)s, %(confirm_key)s, %(now)s, %(uid)s,
           use_row.id, %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
      FROM use_row
    RETURNING id
"""

# What the lane checks of a campaign and of a company, as cached (immutable).
CampaignTerms = namedtuple(
    "CampaignTerms",
    [
        "state",
        "date_start",
        "date_end",
        "hour_start",
        "hour_end",
        *WEEKDAY_FIELDS,
        "remainder_as_voucher",
        "store_restricted",
    ],
)
# As the ORM reads them: an empty number is 0, an empty flag false.
CAMPAIGN_EMPTY = {
    "hour_start": 0.0,
    "hour_end": 0.0,
    "remainder_as_voucher": False,
    **dict.fromkeys(WEEKDAY_FIELDS, False),
}
CompanyTerms = namedtuple(
    "CompanyTerms",
    [
        "code_prefix",
        "code_length",
        "hold_ttl_seconds",
        "otp_mandatory",
        "otp_min_amount",
        "currency_id",
        "currency_name",
        "rounding",
        "decimal_places",
    ],
)


class VmsRedemption(models.Model):
    _inherit = "vms.redemption"

    @api.model
    def _vms_redeem(self, code, amount, *, express=True, **request):
        """Take the express lane when the request is a plain one (a code, no
        card, lines, partner, bill amount or OTP), else the full engine."""
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
        channels = self.env["vms.voucher.transaction"]._fields["channel"].get_values(self.env)
        if not (
            isinstance(code, str)
            and isinstance(order_ref, str)
            and order_ref
            and isinstance(idempotency_key, str)
            and 8 <= len(idempotency_key) <= 200
            and channel in channels
            and isinstance(amount, (int, float, str, Decimal))
            and not isinstance(amount, bool)
        ):
            return None
        text = str(amount).strip()
        if not AMOUNT_RE.match(text):
            return None  # a negative, an exponent, garbage: the engine says what is wrong
        if not self.env.su and not self.env.user.has_group("vms_loyalty.group_vms_store_user"):
            return None
        self.env.flush_all()  # the lane reads with SQL what the ORM may not have written
        store_id = self._vms_express_store()
        terms = self._vms_express_company(store_id)
        amount = self._vms_express_amount(Decimal(text), terms)
        code = self._vms_express_code(code, terms)
        if amount is None or code is None:
            return None
        confirm_key = f"{idempotency_key}:confirm"
        vouchers = self.env["vms.voucher"]._search([("code", "=", code)])
        self.env.cr.execute(
            SQL(
                _LOCK_AND_READ,
                vouchers=vouchers.from_clause,
                visible=vouchers.where_clause,
                key=idempotency_key,
                confirm_key=confirm_key,
            ),
            # A concurrent spend since this transaction's snapshot is a
            # serialization failure: expected, Odoo retries the request.
            log_exceptions=False,
        )
        row = self.env.cr.dictfetchone()
        # The lane takes the store's own vouchers only (the engine also takes
        # those of its parent companies).
        if not row or row["key_used"] or row["company_id"] != store_id:
            return None
        row = SimpleNamespace(**row)
        plan = self._vms_express_plan(row, amount, terms)
        if plan is None:
            return None
        now = fields.Datetime.now()
        expires_at = now + timedelta(seconds=terms.hold_ttl_seconds)
        try:
            self.env.cr.execute(
                _SPEND,
                dict(
                    plan,
                    voucher=row.id,
                    company=row.company_id,
                    currency=terms.currency_id,
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
        return {
            "id": redemption_id,
            "state": "confirmed",
            "code": row.code,
            "amount": plan["amount"],
            "reversed_amount": 0.0,
            "currency": terms.currency_name,
            "decimal_places": terms.decimal_places,
            "order_ref": order_ref,
            "expires_at": fields.Datetime.to_string(expires_at),
            "voucher_state": plan["state"],
            "balance": plan["balance"],
            "available": float_round(plan["balance"] - row.held, precision_rounding=terms.rounding),
            "remainder_code": None,
        }

    @api.model
    def _vms_express_amount(self, amount, terms):
        """``amount`` (a positive Decimal) as a float, or None unless the
        currency takes it as it is (the engine refuses more decimals than the
        currency has and rounds to its rounding, 0.05 for instance)."""
        if amount <= 0 or -amount.as_tuple().exponent > terms.decimal_places:
            return None
        value = float(amount)
        rounded = float_round(value, precision_rounding=terms.rounding)
        if float_is_zero(rounded, precision_rounding=terms.rounding) or (
            float_compare(rounded, value, precision_digits=9) != 0
        ):
            return None
        return rounded

    @api.model
    def _vms_express_code(self, code, terms):
        """The code as :meth:`vms.voucher._vms_find_by_code` looks it up, or
        None when the engine would take another path (an EAN-13 barcode, an
        external payload, a code of another shape) or refuse it."""
        cleaned = codes.normalize(code.strip())
        prefix, length = terms.code_prefix, terms.code_length
        if (cleaned.isdigit() and len(cleaned) == 13) or not (
            cleaned.startswith(prefix) and len(cleaned) == len(prefix) + length
        ):
            return None
        try:
            return codes.parse(cleaned, prefix, length)
        except codes.CodeError:
            return None

    @api.model
    def _vms_express_plan(self, row, value, terms):
        """What to write for a plain redemption of ``value``, or None when the
        voucher is not plain or the full engine would refuse it or do more."""
        rounding = terms.rounding
        free = row.nominal_amount - row.spent_amount - row.held
        when = self._vms_express_now()
        today = when.date()
        campaign = self._vms_express_campaign(row.campaign_id)
        if (
            row.state != "active"
            or not row.code_accepted
            or row.value_type != "nominal"
            or row.card_bound
            or (row.valid_from and row.valid_from > today)
            or (row.valid_to and row.valid_to < today)
            or campaign.store_restricted
            or not campaign_open_at(campaign, when)
            or not 1 <= (terms.hold_ttl_seconds or 0) <= 86400
            or float_compare(value, free, precision_rounding=rounding) > 0
            or (
                terms.otp_mandatory
                and float_compare(value, terms.otp_min_amount, precision_rounding=rounding) >= 0
            )
        ):
            return None
        spent = float_round(row.spent_amount + value, precision_rounding=rounding)
        left = float_round(row.nominal_amount - spent, precision_rounding=rounding)
        fully = float_compare(left, 0.0, precision_rounding=rounding) == 0
        if campaign.remainder_as_voucher and not fully:
            return None  # the full engine pays the remainder out as a new voucher
        return {
            "amount": value,
            "spent": spent,
            "balance": left,
            "state": "used" if fully else "active",
        }

    def _vms_express_store(self):
        """The store of the request, as ``env.company`` (without reading the user)."""
        if self.env.context.get("allowed_company_ids"):
            return self.env.company.id
        return self._vms_express_user_company(self.env.uid)

    def _vms_express_now(self):
        """Now in the user's time zone, as ``fields.Datetime.context_timestamp``."""
        name = self.env.context.get("tz") or self.env["res.users"].context_get().get("tz")
        try:
            tz = pytz.timezone(name) if name else pytz.utc
        except pytz.UnknownTimeZoneError:
            tz = pytz.utc
        return pytz.utc.localize(fields.Datetime.now()).astimezone(tz)

    # Caches. Odoo clears them (in every worker, before its next request) when
    # a campaign is written (vms.campaign.write), a company's loyalty settings
    # or currency change (res.company.cache_invalidation_fields), a currency's
    # rounding changes (res.currency.write), or a user's company or time zone
    # changes (res.users._get_invalidation_fields).

    @api.model
    @tools.ormcache("campaign_id")
    def _vms_express_campaign(self, campaign_id):
        self.env.cr.execute(
            SQL(
                """
                SELECT %s,
                       EXISTS(SELECT 1 FROM vms_campaign_store_rel s WHERE s.campaign_id = c.id)
                  FROM vms_campaign c WHERE c.id = %s
                """,
                SQL(", ").join(
                    SQL("COALESCE(%s, %s)", SQL.identifier("c", name), CAMPAIGN_EMPTY[name])
                    if name in CAMPAIGN_EMPTY
                    else SQL.identifier("c", name)
                    for name in CampaignTerms._fields[:-1]
                ),
                campaign_id,
            )
        )
        return CampaignTerms(*self.env.cr.fetchone())

    @api.model
    @tools.ormcache("company_id")
    def _vms_express_company(self, company_id):
        self.env.cr.execute(
            """
            SELECT COALESCE(co.vms_code_prefix, ''), COALESCE(co.vms_code_length, 0),
                   COALESCE(co.vms_hold_ttl_seconds, 0), COALESCE(co.vms_otp_mandatory, false),
                   COALESCE(co.vms_otp_min_amount, 0), cur.id, cur.name, cur.rounding,
                   cur.decimal_places
              FROM res_company co JOIN res_currency cur ON cur.id = co.currency_id
             WHERE co.id = %s
            """,
            [company_id],
        )
        return CompanyTerms(*self.env.cr.fetchone())

    @api.model
    @tools.ormcache("uid")
    def _vms_express_user_company(self, uid):
        self.env.cr.execute("SELECT company_id FROM res_users WHERE id = %s", [uid])
        return self.env.cr.fetchone()[0]
