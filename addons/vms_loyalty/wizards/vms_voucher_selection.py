from odoo import api, fields, models


class VmsVoucherSelection(models.AbstractModel):
    """The vouchers a back-office wizard acts on: those selected in the list
    it was opened from."""

    _name = "vms.voucher.selection"
    _description = "Selected Vouchers"

    voucher_ids = fields.Many2many(
        "vms.voucher", default=lambda self: self._default_vouchers(), string="Vouchers"
    )

    @api.model
    def _default_vouchers(self):
        if self.env.context.get("active_model") == "vms.voucher":
            return self.env["vms.voucher"].browse(self.env.context.get("active_ids", []))
        return self.env["vms.voucher"]
