from odoo import fields, models


class VmsRedemption(models.Model):
    """Refunding a bill paid by voucher, as the campaign says."""

    # Kept apart from the engine\'s files on purpose (one concern per file).
    _inherit = "vms.redemption"  # pylint: disable=consider-merging-classes-inherited

    refund_voucher_ids = fields.Many2many(
        "vms.voucher",
        "vms_redemption_refund_voucher_rel",
        "redemption_id",
        "voucher_id",
        string="Refund Vouchers",
        readonly=True,
        help="The new vouchers refunds were paid out as (campaigns that pay remainders out).",
    )

    def _vms_refund(self, idempotency_key, *, amount=None, reason=None, bill_ref=None):
        """Give ``amount`` of this confirmed redemption back for a refunded bill.

        The engine's reversal restores the balance (a new "reversing" row). A
        campaign that pays remainders out as new vouchers hands its vouchers
        back whole, so there the refunded amount comes back as a new voucher
        instead (the old one is used up again). Returns the new voucher, or an
        empty recordset. A retry with the same key changes nothing.
        """
        self.ensure_one()
        self._vms_reverse(idempotency_key, amount=amount, reason=reason)
        voucher = self.voucher_id
        if not (voucher.campaign_id.remainder_as_voucher and voucher.value_type == "nominal"):
            return self.env["vms.voucher"]
        # sudo: the chronology is searched for this refund's own row only.
        done = (
            self.env["vms.voucher.transaction"]
            .sudo()
            .search([("idempotency_key", "=", voucher._vms_row_key(idempotency_key, ":remainder"))])
        )
        if done:
            return self.refund_voucher_ids.filtered(
                lambda v: v.currency_id.compare_amounts(v.nominal_amount, done.amount) == 0
            )[-1:]
        if voucher.currency_id.compare_amounts(voucher.balance, 0) <= 0:
            return self.env["vms.voucher"]
        child = voucher.with_context(tracking_disable=True)._vms_pay_out_remainder(
            idempotency_key, self, bill_ref=bill_ref or self.order_ref, channel=self.channel
        )
        # sudo: the link to the new voucher is the engine's own bookkeeping.
        self.sudo().refund_voucher_ids = [fields.Command.link(child.id)]
        return child
