from odoo import api, fields, models


class VmsVoucherValidity(models.TransientModel):
    """Bulk change of the validity period of the selected vouchers."""

    _name = "vms.voucher.validity"
    _description = "Change Voucher Validity"
    _inherit = ["vms.voucher.selection"]

    voucher_count = fields.Integer(compute="_compute_voucher_count")
    valid_from = fields.Date()
    valid_to = fields.Date()
    reason = fields.Char()

    @api.depends("voucher_ids")
    def _compute_voucher_count(self):
        for wizard in self:
            wizard.voucher_count = len(wizard.voucher_ids)

    def action_confirm(self):
        self.ensure_one()
        self.voucher_ids._vms_change_validity(self.valid_from, self.valid_to, self.reason)
        return {"type": "ir.actions.act_window_close"}
