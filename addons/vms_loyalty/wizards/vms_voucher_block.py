from odoo import _, api, fields, models
from odoo.exceptions import UserError


class VmsVoucherBlock(models.TransientModel):
    """Block, unblock or group-block vouchers with a reason."""

    _name = "vms.voucher.block"
    _description = "Block Vouchers"
    _inherit = ["vms.voucher.selection"]

    mode = fields.Selection(
        [("block", "Block"), ("unblock", "Unblock"), ("group_block", "Group Blocking")],
        required=True,
        default="block",
    )
    campaign_id = fields.Many2one(
        "vms.campaign", help="Group blocking: every blockable voucher of this campaign."
    )
    reason = fields.Char(required=True)
    voucher_count = fields.Integer(compute="_compute_voucher_count")

    @api.depends("voucher_ids", "campaign_id", "mode")
    def _compute_voucher_count(self):
        for wizard in self:
            wizard.voucher_count = len(wizard._vms_vouchers())

    def _vms_vouchers(self):
        self.ensure_one()
        if self.mode == "group_block" and self.campaign_id:
            return self.env["vms.voucher"].search(
                [
                    ("campaign_id", "=", self.campaign_id.id),
                    ("state", "in", ("generated", "handed_over", "active")),
                ]
            )
        return self.voucher_ids

    def action_confirm(self):
        self.ensure_one()
        vouchers = self._vms_vouchers()
        if not vouchers:
            raise UserError(_("No voucher to %(mode)s.", mode=self.mode.replace("_", " ")))
        if self.mode == "unblock":
            vouchers.action_unblock(self.reason)
        else:
            vouchers.action_block(self.reason, group=self.mode == "group_block")
        return {"type": "ir.actions.act_window_close"}
