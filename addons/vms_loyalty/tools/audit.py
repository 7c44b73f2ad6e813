"""The operator audit's record of refused spends (``vms.refusal``)."""

from contextlib import contextmanager

from ..exceptions import VmsError

UNAUDITED = {"too_many_unknown_codes"}


@contextmanager
def refusals_audited(env):
    """Record a refusal raised in the block, once, however deep the spend's
    calls nest (a redemption's hold inside its confirmation ...), then let it
    reach the caller. Spends only: a preview (validate) records nothing."""
    try:
        yield
    except VmsError as error:
        # A throttled caller's refusals are counted where the throttle is
        # (vms.voucher.lookup.failure): recording each would let it flood this.
        if not getattr(error, "vms_audited", False) and error.code not in UNAUDITED:
            error.vms_audited = True
            env["vms.refusal"]._vms_record(error.code)
        raise
