"""The rules of spending a voucher, each written once.

Plain functions over plain values (the *facts* below), so that every path of
the redemption engine asks the same questions in the same order and refuses
with the same codes: validate on a read-only replica, the express lane that
writes with SQL, the full engine that writes with the ORM, the till, the
redemption panel and the API. A rule raises a :class:`VmsError` (nothing was
changed) or returns. ``env`` only translates the messages.

Messages name vouchers by their code and never carry personal data (holder
names, phone numbers): they go back to vending machines and web shops.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pytz

from odoo.tools import float_compare, float_is_zero, float_round

from ..exceptions import VmsConflict, VmsError, VmsInvalid, VmsNotFound

# No till takes a payment of a billion; a bigger number is a bug or an attack.
MAX_AMOUNT = Decimal("999999999")
KEY_MIN, KEY_MAX = 8, 128
HOLD_TTL_MIN, HOLD_TTL_MAX = 1, 86400
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# ----------------------------------------------------------------------
# Facts
# ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Money:
    """A currency as the rules need it."""

    currency_id: int
    name: str
    rounding: float
    decimal_places: int

    def round(self, amount):
        return float_round(amount, precision_rounding=self.rounding)

    def compare(self, first, second):
        return float_compare(first, second, precision_rounding=self.rounding)

    def is_zero(self, amount):
        return float_is_zero(amount, precision_rounding=self.rounding)

    def text(self, amount):
        return f"{self.round(amount):.{self.decimal_places}f} {self.name}"


@dataclass(frozen=True, slots=True)
class Store:
    """Where a request is made: a company or a branch, with its loyalty settings."""

    id: int
    name: str
    company_ids: frozenset  # the store and its parent companies: whose vouchers it takes
    tz: str
    money: Money
    code_prefix: str
    code_length: int
    hold_ttl_seconds: int
    otp_mandatory: bool
    otp_min_amount: float

    def local_now(self, utc_now):
        """``utc_now`` (naive UTC, as Odoo stores it) in the store's time zone."""
        try:
            zone = pytz.timezone(self.tz or "UTC")
        except pytz.UnknownTimeZoneError:
            zone = pytz.utc
        return pytz.utc.localize(utc_now).astimezone(zone)


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    name: str
    state: str
    date_start: object
    date_end: object
    hour_start: float
    hour_end: float
    weekdays: tuple  # seven booleans, Monday first
    store_ids: frozenset
    remainder_as_voucher: bool


@dataclass(frozen=True, slots=True)
class Voucher:
    id: int
    code: str
    company_id: int
    campaign_id: int
    state: str
    valid_from: object
    valid_to: object
    value_type: str
    nominal: float
    spent: float
    held: float  # reserved by other sales' open holds
    discount_type: str
    discount_value: float
    discount_scope: str
    discount_product_id: int
    discount_category_id: int
    min_payment: float
    partner_id: int
    card_id: int
    card_partner_id: int
    card_bound: bool
    redeem_barcode: bool
    redeem_qr: bool
    redeem_external_qr: bool
    redeem_pin: bool
    has_pin: bool

    @property
    def holder_id(self):
        """Who the voucher belongs to: its holder, or its card's holder (0: a bearer voucher)."""
        return self.partner_id or self.card_partner_id

    @property
    def balance(self):
        return self.nominal - self.spent

    @property
    def scoped(self):
        return self.discount_scope in ("product", "category")


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    state: str
    partner_id: int


@dataclass(frozen=True, slots=True)
class Line:
    product_id: int
    category_path: str  # product.category parent_path, "1/4/9/"
    qty: float
    price_unit: float

    @property
    def total(self):
        return self.qty * self.price_unit


@dataclass(frozen=True, slots=True)
class Sale:
    """What a till, the panel or a channel proves about the sale."""

    amount: float
    currency_id: int = 0  # 0: the voucher's own
    bill_amount: float = None
    lines: tuple = None  # of Line; None: not given
    partner_id: int = 0
    card: Card = None
    method: str = "code"  # how the voucher came: code, barcode or external
    pin_given: bool = False

    @property
    def holder_id(self):
        """The customer the sale names: its partner, or the holder of its card. A
        card that is not active proves nothing."""
        if self.partner_id:
            return self.partner_id
        return self.card.partner_id if self.card and self.card.state == "active" else 0


# ----------------------------------------------------------------------
# Request values
# ----------------------------------------------------------------------


def check_key(env, key):
    """An idempotency key: a string of 8 to 128 printable characters."""
    if not isinstance(key, str) or not KEY_MIN <= len(key) <= KEY_MAX or not key.isprintable():
        raise VmsInvalid(
            "idempotency_key_required",
            env._(
                "Every change needs an idempotency key of %(low)s to %(high)s printable "
                "characters.",
                low=KEY_MIN,
                high=KEY_MAX,
            ),
        )
    return key


def parse_amount(env, value, money, what="amount"):
    """``value`` (a number or a decimal string) as a float of ``money``, or a refusal.

    Positive, below :data:`MAX_AMOUNT`, with at most the currency's decimals and
    on its rounding grid (0.05 for a currency rounded to five cents): an amount
    the currency would round is refused, never rounded and spent.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise VmsInvalid(
            "invalid_amount", env._("The %(what)s must be a decimal number.", what=what)
        )
    text = value.strip() if isinstance(value, str) else repr(value)
    if isinstance(value, Decimal):
        text = str(value)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or "e" in text.lower():
        raise VmsInvalid(
            "invalid_amount",
            env._("The %(what)s must be a plain decimal number, such as 12.50.", what=what),
        )
    if amount <= 0 or amount > MAX_AMOUNT:
        raise VmsInvalid(
            "invalid_amount",
            env._(
                "The %(what)s must be above zero and at most %(max)s.",
                what=what,
                max=MAX_AMOUNT,
            ),
        )
    # Trailing zeros are no decimals: "25.00" is 25 in a currency without cents.
    places = max(-amount.normalize().as_tuple().exponent, 0)
    grid = Decimal(repr(money.rounding))
    if places > money.decimal_places or amount % grid:
        raise VmsInvalid(
            "invalid_amount",
            env._(
                "The %(what)s %(amount)s is not an amount of %(currency)s (steps of %(step)s).",
                what=what,
                amount=text[:24],
                currency=money.name,
                step=f"{grid:.{money.decimal_places}f}",
            ),
        )
    return money.round(float(amount))


def amount_key(value):
    """An amount as a request's fingerprint takes it: 20, 20.0 and "20.00"
    are one amount; anything that is not a number stays as it is."""
    if isinstance(value, bool):
        return value
    try:
        return format(Decimal(str(value).strip()).normalize(), "f")
    except (InvalidOperation, ValueError, TypeError):
        return value


def hold_ttl(env, store, ttl_seconds=None):
    """How long a hold lasts: asked for, or the store's setting."""
    ttl = ttl_seconds or store.hold_ttl_seconds
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not HOLD_TTL_MIN <= ttl <= HOLD_TTL_MAX:
        raise VmsInvalid(
            "invalid_ttl", env._("A hold lasts between 1 second and one day (86400 seconds).")
        )
    return ttl


# ----------------------------------------------------------------------
# Where and how the voucher is presented
# ----------------------------------------------------------------------


def not_found(env, code):
    return VmsNotFound("voucher_not_found", env._("No voucher with code %(code)s.", code=code))


def check_found(env, voucher, store, code=None):
    """A voucher of another retailer is unknown here, not refused: it leaks nothing."""
    if voucher is None or voucher.company_id not in store.company_ids:
        raise not_found(env, voucher.code if voucher else code)


def check_store(env, voucher, campaign, store):
    if campaign.store_ids and store.id not in campaign.store_ids:
        raise VmsError(
            "wrong_store",
            env._(
                "Voucher %(code)s is not accepted at %(store)s.",
                code=voucher.code,
                store=store.name,
            ),
        )


def campaign_open_at(campaign, local_now):
    """Whether ``campaign`` accepts vouchers at ``local_now`` (the store's time)."""
    day = local_now.date()
    hour = local_now.hour + local_now.minute / 60.0
    return bool(
        campaign.state == "running"
        and (not campaign.date_start or campaign.date_start <= day)
        and (not campaign.date_end or day <= campaign.date_end)
        and campaign.weekdays[local_now.weekday()]
        and campaign.hour_start <= hour < campaign.hour_end
    )


def check_campaign_open(env, campaign, local_now):
    if not campaign_open_at(campaign, local_now):
        raise VmsError(
            "campaign_closed",
            env._(
                "Campaign %(campaign)s does not accept vouchers at this day or hour.",
                campaign=campaign.name,
            ),
        )


def check_presentation(env, voucher, sale):
    """Refuse a voucher presented in a way it is not redeemed by (its "Redeemed
    by" flags); returns whether its PIN must then be checked.

    The code itself, typed or read from its Code 128 or QR symbol (both carry
    the code, and a scanner does not say which it read), is accepted when either
    of those is allowed, or with the PIN of an e-voucher. A voucher with a PIN
    needs it, whichever way it comes.
    """
    by_code = voucher.redeem_barcode or voucher.redeem_qr
    allowed = {
        "external": voucher.redeem_external_qr,
        "barcode": voucher.redeem_barcode,
        "code": by_code or voucher.redeem_pin,
    }[sale.method]
    if not allowed:
        raise VmsError(
            "method_not_allowed",
            env._("Voucher %(code)s is not redeemed this way.", code=voucher.code),
            http_status=403,
        )
    if not (voucher.redeem_pin and voucher.has_pin):
        if sale.method == "code" and not by_code:
            raise VmsError(
                "pin_not_set",
                env._("Voucher %(code)s is redeemed by PIN but has none yet.", code=voucher.code),
                http_status=403,
            )
        return False
    if not sale.pin_given:
        raise VmsError(
            "pin_required",
            env._(
                "Voucher %(code)s is an e-voucher: give its PIN with the code.", code=voucher.code
            ),
            http_status=403,
        )
    return True


def check_access(env, voucher, campaign, store, sale, *, local_now):
    """Everything to check before a PIN is tried: whose voucher it is, where,
    when, and the way it came. Returns whether the PIN must be checked."""
    check_found(env, voucher, store)
    check_store(env, voucher, campaign, store)
    check_campaign_open(env, campaign, local_now)
    return check_presentation(env, voucher, sale)


# ----------------------------------------------------------------------
# Spending
# ----------------------------------------------------------------------


def check_currency(env, voucher, money, sale):
    if sale.currency_id and sale.currency_id != money.currency_id:
        raise VmsError(
            "wrong_currency",
            env._("Voucher %(code)s is in %(currency)s.", code=voucher.code, currency=money.name),
        )


def check_state(env, voucher, state_label):
    """Only an active voucher is spent; ``state_label`` names its state for people."""
    if voucher.state == "active":
        return
    error, code = {
        "used": (VmsConflict, "voucher_used"),
        "blocked": (VmsError, "voucher_blocked"),
    }.get(voucher.state, (VmsError, "voucher_not_active"))
    raise error(
        code,
        env._(
            "Voucher %(code)s is %(state)s: it cannot be used.",
            code=voucher.code,
            state=state_label,
        ),
    )


def check_validity(env, voucher, today):
    if voucher.valid_from and voucher.valid_from > today:
        raise VmsError(
            "voucher_not_yet_valid",
            env._(
                "Voucher %(code)s is valid only from %(date)s.",
                code=voucher.code,
                date=voucher.valid_from,
            ),
        )
    if voucher.valid_to and voucher.valid_to < today:
        raise VmsError(
            "voucher_expired",
            env._(
                "Voucher %(code)s expired on %(date)s.", code=voucher.code, date=voucher.valid_to
            ),
        )


def missing_proof(voucher, sale):
    """What the sale must show for this voucher's terms and did not: a minimum
    bill needs the bill amount, an item or item-group scope the lines, a
    personal voucher its holder (the customer or a card of theirs), a
    card-bound one its card."""
    missing = []
    if voucher.min_payment > 0 and sale.bill_amount is None and sale.lines is None:
        missing.append("bill_amount")
    if voucher.scoped and sale.lines is None:
        missing.append("lines")
    if voucher.card_bound and not sale.card:
        missing.append("card")
    elif voucher.partner_id and not sale.holder_id:
        missing.append("holder")
    return missing


def check_proof(env, voucher, sale):
    missing = missing_proof(voucher, sale)
    if missing:
        raise VmsError(
            "proof_required",
            env._(
                "Voucher %(code)s has terms this sale does not prove; send %(fields)s.",
                code=voucher.code,
                fields=", ".join(missing),
            ),
            missing=missing,
        )


def check_holder(env, voucher, sale):
    """A card-bound voucher only with its own active card; a personal one only
    for its holder. A blocked card binds nothing."""
    if voucher.card_bound:
        if sale.card.id != voucher.card_id:
            raise VmsError(
                "card_required",
                env._(
                    "Voucher %(code)s is accepted only with its own club card.", code=voucher.code
                ),
            )
        if sale.card.state != "active":
            raise VmsError(
                "card_blocked",
                env._(
                    "The club card of voucher %(code)s is not active: the voucher cannot be used "
                    "with it.",
                    code=voucher.code,
                ),
            )
    if voucher.partner_id and sale.holder_id != voucher.partner_id:
        raise VmsError(
            "wrong_holder", env._("Voucher %(code)s belongs to another holder.", code=voucher.code)
        )


def line_in_scope(voucher, line):
    if voucher.discount_scope == "product":
        return line.product_id == voucher.discount_product_id
    return f"/{voucher.discount_category_id}/" in f"/{line.category_path}"


def eligible_amount(env, voucher, money, sale):
    """The part of ``sale.amount`` this voucher may pay: at most the total of the
    lines in its scope, and for a discount voucher its discount of them."""
    scoped_total = None
    if voucher.scoped:
        scoped_total = sum(line.total for line in sale.lines if line_in_scope(voucher, line))
        if money.is_zero(scoped_total):
            raise VmsError(
                "no_eligible_items",
                env._(
                    "Voucher %(code)s applies to none of the items of this bill.",
                    code=voucher.code,
                ),
            )
    amount = sale.amount
    if voucher.value_type == "discount":
        base = scoped_total if scoped_total is not None else amount
        if voucher.discount_type == "percent":
            discount = base * voucher.discount_value / 100.0
        else:
            discount = voucher.discount_value
        return money.round(min(amount, base, discount))
    if scoped_total is not None:
        return money.round(min(amount, scoped_total))
    return money.round(amount)


def bill_total(sale):
    if sale.bill_amount is not None:
        return sale.bill_amount
    return sum(line.total for line in sale.lines)


def check_min_payment(env, voucher, money, sale):
    if voucher.min_payment > 0 and money.compare(bill_total(sale), voucher.min_payment) < 0:
        raise VmsError(
            "below_min_payment",
            env._(
                "Voucher %(code)s pays only bills of %(minimum)s or more.",
                code=voucher.code,
                minimum=money.text(voucher.min_payment),
            ),
        )


def check_left(env, voucher, money, amount):
    """A nominal voucher pays at most what is left of it."""
    if voucher.value_type == "nominal" and money.compare(amount, voucher.balance) > 0:
        raise VmsConflict(
            "insufficient_balance",
            env._(
                "Voucher %(code)s has %(balance)s left, less than %(amount)s.",
                code=voucher.code,
                balance=money.text(voucher.balance),
                amount=money.text(amount),
            ),
        )


def check_balance(env, voucher, money, amount):
    """Enough left, and enough not held by other sales in progress."""
    if money.is_zero(amount):
        raise VmsInvalid(
            "invalid_amount", env._("Nothing to pay with voucher %(code)s.", code=voucher.code)
        )
    if voucher.value_type != "nominal":
        return
    check_left(env, voucher, money, amount)
    free = voucher.balance - voucher.held
    if money.compare(amount, free) > 0:
        raise VmsConflict(
            "voucher_held",
            env._(
                "Voucher %(code)s has %(available)s free: the rest is held by another sale in "
                "progress.",
                code=voucher.code,
                available=money.text(max(free, 0.0)),
            ),
        )


def check_spend(env, voucher, money, sale, *, today, state_label):
    """Every reason to refuse spending ``sale.amount`` of ``voucher`` now;
    returns the eligible amount."""
    check_currency(env, voucher, money, sale)
    check_state(env, voucher, state_label)
    check_validity(env, voucher, today)
    check_proof(env, voucher, sale)
    check_holder(env, voucher, sale)
    amount = eligible_amount(env, voucher, money, sale)
    check_min_payment(env, voucher, money, sale)
    check_balance(env, voucher, money, amount)
    return amount


def check_still_spendable(env, voucher, money, amount, *, today, state_label, bill_amount=None):
    """At confirmation of a hold: the voucher may have been blocked, expired or
    spent elsewhere (a hold that lapsed) since the hold was made; a bill
    amount given now must still reach the voucher's minimum."""
    check_state(env, voucher, state_label)
    check_validity(env, voucher, today)
    if bill_amount is not None:
        check_min_payment(env, voucher, money, Sale(amount, bill_amount=bill_amount))
    check_left(env, voucher, money, amount)


# ----------------------------------------------------------------------
# After the decision
# ----------------------------------------------------------------------


def otp_required(store, holder_id, amount):
    """OTP is asked of redemptions that belong to someone (a voucher with a
    holder, points) at or above the store's minimum, when OTP is mandatory. A
    bearer voucher has nobody to send a code to and is exempt."""
    return bool(
        store.otp_mandatory
        and holder_id
        and store.money.compare(amount, store.otp_min_amount or 0.0) >= 0
    )


def used_at_zero(money, nominal, spent):
    """A nominal voucher is used once nothing is left of it."""
    return money.is_zero(nominal - spent)


def pays_out_remainder(campaign, voucher, money, spent_after):
    """The campaign pays what a redemption leaves of a voucher out as a new one."""
    return bool(
        campaign.remainder_as_voucher
        and voucher.value_type == "nominal"
        and money.compare(voucher.nominal - spent_after, 0.0) > 0
    )
