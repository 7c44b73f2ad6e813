from datetime import timedelta

from odoo import api, fields, models


class VmsOtpAttempt(models.Model):
    """A code typed for an OTP, counted before it is compared.

    Rows are only ever inserted, on a connection of their own (see
    tools/counting.py): counting never writes the OTP's own row, which the
    request confirming a redemption updates in its transaction, so the two
    never collide.
    """

    _name = "vms.otp.attempt"
    _description = "OTP Attempt"
    _order = "id desc"
    _log_access = False

    # An id, not a Many2one: written on a connection of its own, which must
    # never wait for a lock the request holds (nor see its uncommitted OTP).
    otp_id = fields.Integer(string="OTP ID", required=True, index=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True)

    @api.autovacuum
    def _gc_old_attempts(self):
        self.env.cr.execute(
            "DELETE FROM vms_otp_attempt WHERE date < %s",
            [fields.Datetime.now() - timedelta(days=7)],
        )
