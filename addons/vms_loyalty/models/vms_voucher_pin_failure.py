from datetime import timedelta

from odoo import api, fields, models

PIN_ATTEMPTS = 5
PIN_LOCK = timedelta(minutes=15)


class VmsVoucherPinFailure(models.Model):
    """A wrong PIN given for an e-voucher. Five within a quarter of an hour
    stop PIN entry for that voucher until the quarter has passed, so that a
    4-digit PIN cannot be guessed through the API."""

    _name = "vms.voucher.pin.failure"
    _description = "Wrong Voucher PIN"
    _order = "id desc"
    _log_access = False

    # An id, not a Many2one: a failure is recorded on a connection of its own
    # (it must outlive the refused request's rollback), which must never wait
    # for a lock the request holds on the voucher row, as a foreign key would.
    voucher_id = fields.Integer(string="Voucher ID", required=True, index=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)

    @api.model
    def _vms_recent(self, voucher):
        """Failures for ``voucher`` in the last quarter of an hour, as
        committed now (read on a cursor of its own: the request's snapshot
        may be older than the last failure)."""
        with self.env.registry.cursor() as cr:
            return self._vms_count(cr, voucher)

    @api.model
    def _vms_record(self, voucher):
        """Record a failure for good, committed at once (the refused request
        is rolled back); returns the recent failures, this one included."""
        with self.env.registry.cursor() as cr:
            cr.execute(
                "INSERT INTO vms_voucher_pin_failure (voucher_id, date) VALUES (%s, %s)",
                [voucher.id, fields.Datetime.now()],
            )
            return self._vms_count(cr, voucher)

    @api.model
    def _vms_count(self, cr, voucher):
        cr.execute(
            "SELECT count(*) FROM vms_voucher_pin_failure WHERE voucher_id = %s AND date > %s",
            [voucher.id, fields.Datetime.now() - PIN_LOCK],
        )
        return cr.fetchone()[0]

    @api.autovacuum
    def _gc_old_failures(self):
        self.env.cr.execute(
            "DELETE FROM vms_voucher_pin_failure WHERE date < %s",
            [fields.Datetime.now() - timedelta(days=7)],
        )
