from odoo import api, fields, models

from .pos_payment_method import TERMINAL, TERMINALS
from .pos_payment_method_points import POINTS_TERMINAL


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

    def _vms_is_points(self):
        return self.payment_method_id.use_payment_terminal == POINTS_TERMINAL

    def _vms_is_loyalty(self):
        """Paid by a voucher or with club points: a hold of the engine."""
        return self.payment_method_id.use_payment_terminal in TERMINALS

    @api.ondelete(at_uninstall=False)
    def _vms_release_holds(self):
        """A voucher or points line removed from a draft order frees what it held."""
        uuids = [payment.uuid for payment in self if payment._vms_is_loyalty()]
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
