"""The lifecycle of a voucher: which operation starts from which state, and
what it leaves behind.

One table, read both by the voucher's actions (to refuse an operation and to
know what to write) and by the replay of its chronology, which folds the
recorded rows through :func:`apply` (invariant 2: replaying the chronology
gives the stored state).
"""

from dataclasses import dataclass, replace

from .rules import used_at_zero

# Targets that depend on the voucher rather than being a fixed state.
BEFORE_BLOCK = "before_block"  # back to the state the voucher had when blocked
UNCHANGED = "unchanged"
SPEND = "spend"  # active, or used once nothing is left
GIVE_BACK = "give_back"  # active again

OPEN_STATES = ("generated", "handed_over", "active")
TRANSITIONS = {
    # operation: (states it may start from, state it leaves)
    "generate": ((None,), "generated"),
    "hand_over": (("generated",), "handed_over"),
    "activate": (("generated", "handed_over"), "active"),
    "block": (OPEN_STATES, "blocked"),
    "group_block": (OPEN_STATES, "blocked"),
    # Blocked for good (what paid for the voucher was given back), also when a
    # manager had blocked it already; the voucher's ``withdrawn`` flag keeps
    # unblock from reviving it.
    "withdraw": ((*OPEN_STATES, "blocked"), "blocked"),
    "unblock": (("blocked",), BEFORE_BLOCK),
    "change_validity": ((*OPEN_STATES, "blocked"), UNCHANGED),
    "use": (("active",), SPEND),
    "remainder": (("active",), SPEND),
    "reverse": (("active", "used"), GIVE_BACK),
}


@dataclass(frozen=True, slots=True)
class VoucherState:
    """What the chronology decides of a voucher."""

    state: str = None
    before_block: str = None
    withdrawn: bool = False  # blocked for good: unblock refuses it
    nominal: float = 0.0
    spent: float = 0.0
    valid_from: object = False
    valid_to: object = False


def allowed(operation, state, withdrawn=False):
    if operation == "unblock" and withdrawn:
        return False
    return state in TRANSITIONS[operation][0]


def apply(current, operation, money, value_type, *, amount=0.0, valid_from=False, valid_to=False):
    """The state after ``operation`` (with the row's amount and validity).

    A nominal voucher spends and gives back amounts; a discount voucher serves
    once (its use uses it, a reversal makes it active again).
    """
    target = TRANSITIONS[operation][1]
    if operation == "generate":
        return VoucherState("generated", None, False, amount, 0.0, valid_from, valid_to)
    if operation == "change_validity":
        return replace(current, valid_from=valid_from, valid_to=valid_to)
    if target == BEFORE_BLOCK:
        return replace(current, state=current.before_block or "generated", before_block=None)
    if operation in ("block", "group_block"):
        return replace(current, state=target, before_block=current.state)
    if operation == "withdraw":
        if current.state == "blocked":
            return replace(current, withdrawn=True)
        return replace(current, state=target, before_block=current.state, withdrawn=True)
    if target == SPEND:
        if value_type != "nominal":
            return replace(current, state="used")
        spent = money.round(current.spent + amount)
        state = "used" if used_at_zero(money, current.nominal, spent) else "active"
        return replace(current, state=state, spent=spent)
    if target == GIVE_BACK:
        spent = current.spent
        if value_type == "nominal":
            spent = money.round(spent - amount)
        return replace(current, state="active", spent=spent)
    return replace(current, state=target)


def replay(rows, money, value_type):
    """Fold chronology rows ``(type, amount, valid_from, valid_to)`` in the order
    they were written."""
    current = VoucherState()
    for operation, amount, valid_from, valid_to in rows:
        current = apply(
            current,
            operation,
            money,
            value_type,
            amount=amount or 0.0,
            valid_from=valid_from,
            valid_to=valid_to,
        )
    return current
