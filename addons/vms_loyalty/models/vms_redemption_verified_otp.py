from odoo import models


class _VerifiedOtp:
    """Carries a verified OTP from ``_vms_confirm`` to ``_vms_check_otp``.

    A context value of this class can only be put there by Python code: an
    RPC client can send any JSON in a context, never this object.
    """

    __slots__ = ("otp",)

    def __init__(self, otp):
        self.otp = otp


class VmsRedemption(models.Model):
    """Confirming with an OTP checked beforehand, and bearer vouchers without one.

    The OTP goes to the voucher's own holder (its holder, or its club card's
    holder), never to someone the presenter names; a bearer voucher (no
    holder) never needs one.
    """

    # Kept apart from the engine\'s files on purpose (one concern per file).
    _inherit = "vms.redemption"  # pylint: disable=consider-merging-classes-inherited

    def _vms_confirm(self, idempotency_key, *, verified_otp=None, **kwargs):
        if verified_otp is None:
            return super()._vms_confirm(idempotency_key, **kwargs)
        return (
            super(VmsRedemption, self.with_context(vms_verified_otp=_VerifiedOtp(verified_otp)))
            ._vms_confirm(idempotency_key, **kwargs)
            .with_env(self.env)
        )

    def _vms_voucher_holder(self):
        """Whom the voucher belongs to: its holder or its card's holder."""
        self.ensure_one()
        voucher = self.voucher_id
        return voucher.partner_id or voucher.card_id.partner_id

    def _vms_otp_holder(self):
        return self._vms_voucher_holder()

    def _vms_check_otp(self, otp_id, otp_code):
        token = self.env.context.get("vms_verified_otp")
        if isinstance(token, _VerifiedOtp):
            return self._vms_check_verified_otp(token.otp)
        if not self._vms_voucher_holder():
            return None  # a bearer voucher belongs to nobody to approve it
        return super()._vms_check_otp(otp_id, otp_code)

    def _vms_check_verified_otp(self, otp):
        """The verified OTP approves this hold, within what it still covers."""
        otp = otp.sudo()  # sudo: the OTP is for no user's eyes; only its terms are read
        # Two tills confirming on one approval take turns here.
        self.env.cr.execute("SELECT id FROM vms_otp WHERE id = %s FOR UPDATE", [otp.id])
        otp.invalidate_recordset()
        already = sum(
            self.sudo()
            .search([("otp_id", "=", otp.id), ("state", "=", "confirmed"), ("id", "!=", self.id)])
            .mapped("amount")
        )
        otp._vms_check_approves(
            self._vms_voucher_holder(),
            self._vms_otp_reference(),
            "voucher_redemption",
            self.amount,
            already,
        )
        return otp
