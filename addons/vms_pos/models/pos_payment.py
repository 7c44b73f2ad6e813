from odoo import api, fields, models

from .pos_payment_method import TERMINAL


class PosPayment(models.Model):
    _inherit = "pos.payment"

    vms_tender = fields.Json(
        string="Voucher Details",
        help="What the till showed on the voucher payment line (code, balance, OTP state). "
        "Informational: the server decides from its own holds.",
    )
    vms_conflict = fields.Boolean(
        string="Voucher Conflict",
        readonly=True,
        help="The voucher payment could not be confirmed at the sync; a VMS Manager settles it.",
    )

    def _vms_is_voucher(self):
        return self.payment_method_id.use_payment_terminal == TERMINAL

    @api.ondelete(at_uninstall=False)
    def _vms_release_holds(self):
        """A voucher line removed from a draft order frees what it held."""
        uuids = [payment.uuid for payment in self if payment._vms_is_voucher()]
        if not uuids:
            return
        # sudo: the payment line is being deleted by someone allowed to; its
        # own holds go with it.
        holds = (
            self.env["vms.redemption"]
            .sudo()
            .search([("pos_payment_uuid", "in", uuids), ("state", "=", "held")])
        )
        for hold in holds:
            hold._vms_release()
