import json

from odoo import _, api, fields, models

from odoo.addons.vms_loyalty.exceptions import VmsInvalid
from odoo.addons.vms_loyalty.tools import api_input

from .pos_payment_method import TERMINAL, TERMINALS
from .pos_payment_method_points import POINTS_TERMINAL

# A tender's details: a signed QR (at most 2 KB) and a few figures.
MAX_TENDER = 8 * 1024


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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._vms_check_tender(vals.get("vms_tender"))
            self._vms_drop_server_fields(vals)
        return super().create(vals_list)

    def write(self, vals):
        if "vms_tender" in vals:
            self._vms_check_tender(vals["vms_tender"])
        self._vms_drop_server_fields(vals)
        return super().write(vals)

    def _vms_drop_server_fields(self, vals):
        """Only the sync flags a conflict (as sudo): a till sending the flag
        would have passed an offline voucher it never settled as unsettled."""
        if not self.env.su:
            vals.pop("vms_conflict", None)

    @api.model
    def _vms_check_tender(self, tender):
        """The till sends a payment line's voucher details with the order: they
        are the caller's, and PostgreSQL refuses a NUL in JSON (a lone
        surrogate cannot even be encoded). What no till sends is refused with
        the order, before it is stored; what is readable but wrong (a forged
        QR) is the offline replay's to file as a conflict."""
        if tender in (None, False):
            return
        try:
            if not isinstance(tender, dict):
                raise api_input.InputError("invalid_tender", "not an object")
            api_input.check_strings(tender, "vms_tender")
            if len(json.dumps(tender)) > MAX_TENDER:
                raise api_input.InputError("invalid_tender", "too large")
        except (api_input.InputError, TypeError, ValueError):
            raise VmsInvalid(
                "invalid_tender",
                _(
                    "The voucher details of a payment line are not readable: remove the "
                    "voucher payment and take the voucher again."
                ),
            ) from None

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
        # sudo: the payment line is being deleted by someone allowed to; its
        # own holds go with it: its till's, for this line of this order (a line
        # without a uuid would have named every hold without one).
        Redemption = self.env["vms.redemption"].sudo()
        for line in self.filtered(lambda p: p._vms_is_loyalty() and p.uuid):
            order = line.pos_order_id
            domain = order.config_id._vms_till_holds_domain(order.uuid)
            for hold in Redemption.search(
                [*domain, ("pos_payment_uuid", "=", line.uuid), ("state", "=", "held")]
            ):
                hold._vms_release()
