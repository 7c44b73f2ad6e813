from datetime import timedelta

from odoo import api, fields, models


class VmsOtpSend(models.Model):
    """A code sent to a holder's mobile: what the resend pause and the hourly
    limit of ``vms.otp`` count. Written on a connection of its own, before
    the SMS leaves, so that a failed request still counts its send."""

    _name = "vms.otp.send"
    _description = "OTP Sent"
    _order = "id desc"
    _log_access = False

    # An id, not a Many2one: the row is written on a connection of its own,
    # which must never wait for a lock the request holds.
    partner_id = fields.Integer(string="Holder ID", required=True, index=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True)

    @api.autovacuum
    def _gc_old_sends(self):
        self.env.cr.execute(
            "DELETE FROM vms_otp_send WHERE date < %s", [fields.Datetime.now() - timedelta(days=2)]
        )
