from datetime import timedelta

from odoo import _, api, fields, models

from ..exceptions import VmsTooManyRequests
from ..tools.counting import counting_cursor

# An EAN-13 carries ten random digits and a third party's payload what its
# issuer put in it: unknown ones are counted per caller so that nobody walks
# through the numbers. A cashier mistyping a barcode is far below this.
UNKNOWN_LIMIT = 20
UNKNOWN_WINDOW = timedelta(minutes=10)


class VmsVoucherLookupFailure(models.Model):
    """A barcode or external payload a caller presented that named no voucher."""

    _name = "vms.voucher.lookup.failure"
    _description = "Unknown Voucher Barcode"
    _order = "id desc"
    _log_access = False

    # An id, not a Many2one: written on a connection of its own.
    user_id = fields.Integer(string="User ID", required=True, index=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True)

    @api.model
    def _vms_check(self):
        """Refuse a caller who presented too many unknown barcodes lately
        (counted on the connection that writes them: what other requests
        counted since this transaction began counts too)."""
        with counting_cursor(self.env) as counter:
            counter.execute(
                "SELECT count(*) FROM vms_voucher_lookup_failure WHERE user_id = %s AND date > %s",
                [self.env.uid, fields.Datetime.now() - UNKNOWN_WINDOW],
            )
            unknown = counter.fetchone()[0]
        if unknown >= UNKNOWN_LIMIT:
            raise VmsTooManyRequests(
                "too_many_unknown_codes",
                _("Too many unknown voucher barcodes; try again in a few minutes."),
                retry_after=int(UNKNOWN_WINDOW.total_seconds()),
            )

    @api.model
    def _vms_count(self):
        """Count one unknown barcode, for good (a refused request rolls back)."""
        with counting_cursor(self.env) as counter:
            counter.execute(
                "INSERT INTO vms_voucher_lookup_failure (user_id, date) VALUES (%s, %s)",
                [self.env.uid, fields.Datetime.now()],
            )

    @api.autovacuum
    def _gc_old_failures(self):
        self.env.cr.execute(
            "DELETE FROM vms_voucher_lookup_failure WHERE date < %s",
            [fields.Datetime.now() - timedelta(days=1)],
        )
