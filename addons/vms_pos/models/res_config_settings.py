from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    vms_voucher_account_id = fields.Many2one(
        related="company_id.vms_voucher_account_id", readonly=False
    )
    vms_voucher_journal_id = fields.Many2one(
        related="company_id.vms_voucher_journal_id", readonly=False
    )
