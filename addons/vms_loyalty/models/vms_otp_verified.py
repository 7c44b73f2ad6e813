from odoo import _, api, fields, models

from ..exceptions import VmsError


class VmsOtp(models.Model):
    """A code checked at once, before the redemption it approves.

    At a till the customer reads the code out while the sale is still open:
    the popup checks it immediately (attempts counted as for any code) and the
    OTP becomes *verified*. The order's own sync then confirms its holds with
    that verified OTP (see ``vms.redemption._vms_confirm(verified_otp=...)``),
    which accepts it only for the same holder, order reference and purpose,
    and for at most its amount in total.
    """

    _inherit = "vms.otp"

    state = fields.Selection(
        selection_add=[("verified", "Verified")], ondelete={"verified": "set default"}
    )
    verified_at = fields.Datetime(readonly=True)

    @api.model
    def _vms_verify(self, otp_id, code, *, partner, amount, reference, purpose):
        """Check ``code`` now and keep the approval for the confirmations of
        ``reference``. Returns the verified OTP (sudo).

        The checks are those of :meth:`_vms_consume` (one place for them: the
        state, expiry, attempts, holder, order, amount and the code itself);
        the code is then used up as a code, and the OTP stays as the approval.
        """
        otp = self._vms_consume(
            otp_id, code, partner=partner, amount=amount, reference=reference, purpose=purpose
        )
        self.env.cr.execute(
            "UPDATE vms_otp SET state = 'verified', verified_at = now() at time zone 'UTC' "
            "WHERE id = %s AND state = 'used'",
            [otp.id],
        )
        otp.invalidate_recordset(["state", "verified_at"])
        return otp

    def _vms_check_approves(self, partner, reference, purpose, amount, already):
        """Refuse unless this verified OTP approves ``amount`` more for
        ``partner`` on ``reference`` (``already``: what it approved before)."""
        self.ensure_one()
        if self.state != "verified":
            raise VmsError(
                "otp_not_verified",
                _("The customer's code was not checked yet; check it first."),
                http_status=403,
            )
        if self.partner_id != partner or self.purpose != purpose or self.reference != reference:
            raise VmsError(
                "otp_mismatch", _("This code was sent for another customer or another order.")
            )
        if self.currency_id.compare_amounts(already + amount, self.amount) > 0:
            raise VmsError(
                "otp_amount_changed",
                _("The amount went up since the code was sent; ask for a new code."),
            )
