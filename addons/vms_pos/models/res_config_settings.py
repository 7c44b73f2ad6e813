from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    vms_voucher_account_id = fields.Many2one(
        related="company_id.vms_voucher_account_id", readonly=False
    )
    vms_voucher_journal_id = fields.Many2one(
        related="company_id.vms_voucher_journal_id", readonly=False
    )
    vms_offline_session_max_amount = fields.Monetary(
        related="company_id.vms_offline_session_max_amount",
        readonly=False,
        currency_field="company_currency_id",
    )
