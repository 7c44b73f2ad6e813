"""The rules of club points, each written once: arithmetic, earning, drawing.

Plain functions over plain values, like ``rules.py`` for vouchers, so that
the till's order sync, the API and the back office earn and spend the same
way, and the rules are testable without a database.

Rounding (the README says the same):

- points have the programme's precision (``digits``: 0, integers, by
  default, up to 3 decimals);
- points earned on a bill are rounded **down** to that precision, once per
  lot (the total of the bill for one expiry date), never per line;
- an amount of money paid with points is converted to points rounded **up**
  (the member gives at most one step of points more than the exact value);
- points converted to money (a voucher, the value shown) are rounded
  **down** to the currency;
- what a refund takes back is rounded down too, except that refunding what
  is left of a bill takes back exactly what is left of its points.

So the retailer never gives away more than the programme says, and the
member never loses more than one step of rounding per operation.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from odoo.tools import float_compare, float_is_zero, float_round

from ..exceptions import VmsConflict, VmsInvalid
from . import rules

MAX_POINTS = Decimal("999999999")
MAX_DIGITS = 3


@dataclass(frozen=True, slots=True)
class Program:
    """A points programme (one per root company) as the rules need it."""

    id: int
    company_id: int
    name: str
    digits: int
    point_value: float  # of one point, in the company's currency
    lifetime_days: int  # 0: points never expire
    money: rules.Money
    tz: str

    @property
    def step(self):
        return 10.0**-self.digits

    def round(self, points):
        return float_round(points, precision_digits=self.digits)

    def floor(self, points):
        # A hair of tolerance: 2.9999999 computed from 3 points is 3.
        return float_round(
            points + self.step * 1e-6, precision_digits=self.digits, rounding_method="DOWN"
        )

    def ceil(self, points):
        return float_round(
            points - self.step * 1e-6, precision_digits=self.digits, rounding_method="UP"
        )

    def compare(self, first, second):
        return float_compare(first, second, precision_digits=self.digits)

    def is_zero(self, points):
        return float_is_zero(points, precision_digits=self.digits)

    def text(self, points):
        return f"{self.round(points):.{self.digits}f}"

    def to_money(self, points):
        """What ``points`` are worth, rounded down to the currency."""
        exact = points * self.point_value
        rounding = self.money.rounding
        return float_round(
            exact + rounding * 1e-6, precision_rounding=rounding, rounding_method="DOWN"
        )

    def to_points(self, amount):
        """The points that pay ``amount`` of money, rounded up to the precision."""
        return self.ceil(amount / self.point_value)

    def expiry(self, today, lifetime_days=None):
        """The last day on which points earned ``today`` may be spent (None: never)."""
        days = self.lifetime_days if lifetime_days is None else lifetime_days
        return today + timedelta(days=days) if days else None


def parse_points(env, value, program, what="points"):
    """``value`` (a number or a decimal string) as points of ``program``, or a
    refusal: positive, bounded, on the programme's precision (an amount of
    points the programme would round is refused, never rounded and spent)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise VmsInvalid("invalid_points", env._("The %(what)s must be a number.", what=what))
    text = (
        value.strip()
        if isinstance(value, str)
        else (str(value) if isinstance(value, Decimal) else repr(value))
    )
    try:
        points = Decimal(text)
    except InvalidOperation:
        points = None
    if points is None or not points.is_finite() or "e" in text.lower():
        raise VmsInvalid(
            "invalid_points", env._("The %(what)s must be a plain number, such as 120.", what=what)
        )
    if points <= 0 or points > MAX_POINTS:
        raise VmsInvalid(
            "invalid_points",
            env._(
                "The %(what)s must be above zero and at most %(max)s.", what=what, max=MAX_POINTS
            ),
        )
    places = max(-points.normalize().as_tuple().exponent, 0)
    if places > program.digits:
        raise VmsInvalid(
            "invalid_points",
            env._(
                "The %(what)s %(points)s have more decimals than the programme's %(digits)s.",
                what=what,
                points=text[:24],
                digits=program.digits,
            ),
        )
    return program.round(float(points))


# ----------------------------------------------------------------------
# Earning
# ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Multiplier:
    product_id: int  # 0: a category's
    category_id: int  # 0: a product's
    factor: float


@dataclass(frozen=True, slots=True)
class EarnRule:
    """Points per currency unit of a bill, at what times, on what items."""

    id: int
    name: str
    points_per_unit: float
    min_bill: float
    date_start: object
    date_end: object
    hour_start: float
    hour_end: float
    weekdays: tuple  # seven booleans, Monday first
    lifetime_days: int  # 0: the programme's
    multipliers: tuple  # of Multiplier

    def open_at(self, local_now):
        """Whether the rule's window holds ``local_now`` (the store's time)."""
        day = local_now.date()
        hour = local_now.hour + local_now.minute / 60.0
        return bool(
            (not self.date_start or self.date_start <= day)
            and (not self.date_end or day <= self.date_end)
            and self.weekdays[local_now.weekday()]
            and self.hour_start <= hour < self.hour_end
        )

    def factor_for(self, line):
        """The line's multiplier: its product's, else its deepest category's, else 1."""
        best, depth = 1.0, -1
        path = f"/{line.category_path}"
        for multiplier in self.multipliers:
            if multiplier.product_id:
                if multiplier.product_id == line.product_id:
                    return multiplier.factor
            elif f"/{multiplier.category_id}/" in path:
                position = path.index(f"/{multiplier.category_id}/")
                if position > depth:
                    best, depth = multiplier.factor, position
        return best


@dataclass(frozen=True, slots=True)
class Payment:
    """A part of the bill's payment; ``accrues``: whether it earns points (cash,
    cards and vouchers flagged "bonus points accrue" do; points and other
    vouchers do not)."""

    amount: float
    accrues: bool


@dataclass(frozen=True, slots=True)
class Earning:
    """Points a bill earns for one expiry date (one lot)."""

    expires_on: object  # date or None
    points: float
    detail: dict  # product id -> [line amount, unrounded points]


def bill_total(lines):
    return sum(line.total for line in lines)


def accruing_share(total, payments):
    """The part of the bill that earns points: what was not paid with points
    nor by vouchers that do not accrue, as a share of the bill (spread pro
    rata over the lines)."""
    if total <= 0:
        return 0.0
    excluded = sum(payment.amount for payment in payments if not payment.accrues)
    return max(0.0, min(1.0, (total - excluded) / total))


def earn(program, earn_rules, lines, payments, local_now):
    """What a bill earns: one :class:`Earning` per expiry date, its points
    rounded down once. Every rule whose window holds and whose minimum the
    bill reaches adds its points (a campaign rule adds to the base rule)."""
    total = bill_total(lines)
    share = accruing_share(total, payments)
    amounts = {}
    for line in lines:
        amounts[line.product_id] = amounts.get(line.product_id, 0.0) + line.total
    by_expiry = {}
    today = local_now.date()
    for rule in earn_rules:
        if not rule.open_at(local_now) or program.money.compare(total, rule.min_bill) < 0:
            continue
        detail = by_expiry.setdefault(program.expiry(today, rule.lifetime_days or None), {})
        for line in lines:
            points = line.total * share * rule.points_per_unit * rule.factor_for(line)
            detail[line.product_id] = detail.get(line.product_id, 0.0) + points
    earnings = []
    for expires_on, detail in by_expiry.items():
        points = program.floor(sum(detail.values()))
        if program.compare(points, 0.0) > 0:
            earnings.append(
                Earning(
                    expires_on,
                    points,
                    {str(pid): [amounts[pid], earned] for pid, earned in detail.items()},
                )
            )
    earnings.sort(key=lambda e: (e.expires_on is None, e.expires_on or today))
    return earnings


def take_back(program, earned_points, detail, refunded, *, already_refunded, already_taken):
    """The points a refund takes back of one earning: the points of each
    product in proportion to its refunded amount (cumulated over the
    refunds), rounded down, all of what is left once everything is refunded.

    ``detail``: product id -> [line amount, unrounded points] as earned;
    ``refunded`` and ``already_refunded``: product id -> amount; returns
    ``(points, refunded amounts per product)``.
    """
    weights = sum(points for _amount, points in detail.values())
    if weights <= 0:
        return 0.0, {}
    cumulated, fully = 0.0, True
    counted = {}
    for pid, (amount, points) in detail.items():
        before = already_refunded.get(pid, 0.0)
        now = max(0.0, min(refunded.get(pid, 0.0), amount - before))
        if now:
            counted[pid] = now
        ratio = 1.0 if amount <= 0 else min(1.0, (before + now) / amount)
        if points > 0:
            fully = fully and ratio >= 1.0 - 1e-9
        cumulated += points * ratio
    target = earned_points if fully else program.floor(earned_points * cumulated / weights)
    return max(0.0, program.round(target - already_taken)), counted


# ----------------------------------------------------------------------
# Spending: which lots
# ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lot:
    id: int
    expires_on: object  # date or None (never)
    remaining: float


def spendable(lots, today):
    """The lots that may still be spent today, nearest expiry first (lots that
    never expire last), then oldest first."""
    alive = [
        lot
        for lot in lots
        if lot.remaining > 0 and (lot.expires_on is None or lot.expires_on >= today)
    ]
    return sorted(alive, key=lambda lot: (lot.expires_on is None, lot.expires_on or today, lot.id))


def plan_draws(env, program, lots, points, today):
    """Which lots pay ``points``: nearest expiry first. Returns ``[(lot id,
    points)]`` or refuses when the lots do not hold enough."""
    plan, left = [], points
    for lot in spendable(lots, today):
        if program.compare(left, 0.0) <= 0:
            break
        take = min(lot.remaining, left)
        plan.append((lot.id, program.round(take)))
        left = program.round(left - take)
    if program.compare(left, 0.0) > 0:
        raise insufficient(env, program, points, points - left)
    return plan


def insufficient(env, program, wanted, available):
    return VmsConflict(
        "insufficient_points",
        env._(
            "The member has %(available)s points free, less than %(wanted)s.",
            available=program.text(max(available, 0.0)),
            wanted=program.text(wanted),
        ),
    )


def check_available(env, program, points, available):
    if program.compare(points, available) > 0:
        raise insufficient(env, program, points, available)


def lapse_date(lots, today, keep):
    """The last day on which the lots still hold ``keep`` points once every
    lot that expired by then is gone (None: they always will). A claim lasts
    no longer than the points it holds."""
    alive = spendable(lots, today)
    total = sum(lot.remaining for lot in alive)
    for lot in alive:
        if lot.expires_on is None:
            break
        total -= lot.remaining
        if total < keep - 1e-9:
            return lot.expires_on
    return None
