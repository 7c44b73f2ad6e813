from datetime import timedelta

from odoo import _, api, fields, models

from ..exceptions import VmsError, VmsTooManyRequests
from ..tools.counting import counting_cursor

PIN_ATTEMPTS = 5  # wrong PINs within PIN_PAUSE that pause PIN entry
PIN_PAUSE = timedelta(minutes=15)
PIN_BLOCK = 15  # wrong PINs with no right one since: blocked until a new PIN is set
PIN_MEMORY = timedelta(days=30)  # how long a wrong PIN is remembered
_LOCK_SPACE = 0x564D5350  # pg_advisory_xact_lock(space, voucher id)


class VmsVoucherPinFailure(models.Model):
    """A wrong PIN given for an e-voucher, so that a 4-digit PIN cannot be
    guessed through the API: five within a quarter of an hour pause PIN entry
    for that voucher until they are a quarter of an hour old; fifteen with no
    right PIN in between block it until the store sets a new PIN."""

    _name = "vms.voucher.pin.failure"
    _description = "Wrong Voucher PIN"
    _order = "id desc"
    _log_access = False

    # An id, not a Many2one: attempts are recorded on a connection of their
    # own (they must outlive the refused request's rollback), which must never
    # wait for a lock the request holds on the voucher row, as a foreign key would.
    voucher_id = fields.Integer(string="Voucher ID", required=True, index=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)

    @api.model
    def _vms_try(self, voucher, pin):
        """Check ``pin`` for ``voucher``, or refuse (``pin_blocked``,
        ``pin_locked``, ``wrong_pin``).

        The attempt is recorded before the (slow) check, on a cursor of its
        own and under a lock per voucher (see tools/counting.py), so parallel
        requests cannot each get a guess and a rolled-back request hands
        nothing back. A right PIN
        then forgets the voucher's failures, its own attempt included.
        """
        now = fields.Datetime.now()
        with counting_cursor(self.env) as counter:
            counter.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, voucher.id])
            counter.execute(
                """
                SELECT count(*), count(*) FILTER (WHERE date > %s)
                  FROM vms_voucher_pin_failure WHERE voucher_id = %s
                """,
                [now - PIN_PAUSE, voucher.id],
            )
            total, recent = counter.fetchone()
            if total >= PIN_BLOCK:
                raise VmsError(
                    "pin_blocked",
                    _(
                        "Too many wrong PINs for voucher %(code)s: the store must set a new PIN.",
                        code=voucher.code,
                    ),
                    http_status=403,
                )
            if recent >= PIN_ATTEMPTS:
                raise VmsTooManyRequests(
                    "pin_locked",
                    _(
                        "Too many wrong PINs for voucher %(code)s; try again in a quarter "
                        "of an hour.",
                        code=voucher.code,
                    ),
                )
            counter.execute(
                "INSERT INTO vms_voucher_pin_failure (voucher_id, date) VALUES (%s, %s)",
                [voucher.id, now],
            )
        if voucher._vms_check_pin(pin):
            with counting_cursor(self.env) as counter:
                counter.execute(
                    "DELETE FROM vms_voucher_pin_failure WHERE voucher_id = %s", [voucher.id]
                )
            return
        raise VmsError(
            "wrong_pin",
            _("Wrong PIN for voucher %(code)s.", code=voucher.code),
            http_status=403,
            attempts_left=max(PIN_ATTEMPTS - recent - 1, 0),
        )

    @api.model
    def _vms_forget(self, voucher):
        """A new PIN starts with a clean slate."""
        self.env.cr.execute(
            "DELETE FROM vms_voucher_pin_failure WHERE voucher_id = %s", [voucher.id]
        )

    @api.autovacuum
    def _gc_old_failures(self):
        self.env.cr.execute(
            "DELETE FROM vms_voucher_pin_failure WHERE date < %s",
            [fields.Datetime.now() - PIN_MEMORY],
        )
