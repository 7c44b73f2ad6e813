from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    """The "Vouchers & Loyalty" section of Settings; every value is per company."""

    _inherit = "res.config.settings"

    company_currency_id = fields.Many2one(
        "res.currency",
        related="company_id.currency_id",
        string="Company Currency",
        readonly=True,
    )

    vms_code_prefix = fields.Char(related="company_id.vms_code_prefix", readonly=False)
    vms_code_length = fields.Integer(related="company_id.vms_code_length", readonly=False)
    vms_barcode_format = fields.Selection(
        related="company_id.vms_barcode_format",
        readonly=False,
        required=True,
    )
    vms_otp_mandatory = fields.Boolean(related="company_id.vms_otp_mandatory", readonly=False)
    vms_otp_min_amount = fields.Monetary(
        related="company_id.vms_otp_min_amount",
        readonly=False,
        currency_field="company_currency_id",
    )
    vms_otp_ttl_seconds = fields.Integer(related="company_id.vms_otp_ttl_seconds", readonly=False)
    vms_otp_max_attempts = fields.Integer(
        related="company_id.vms_otp_max_attempts",
        readonly=False,
    )
    vms_hold_ttl_seconds = fields.Integer(
        related="company_id.vms_hold_ttl_seconds",
        readonly=False,
    )
    vms_tz = fields.Selection(related="company_id.vms_tz", readonly=False)
    vms_max_vouchers_per_bill = fields.Integer(
        related="company_id.vms_max_vouchers_per_bill",
        readonly=False,
    )
    vms_max_vouchers_per_holder = fields.Integer(
        related="company_id.vms_max_vouchers_per_holder",
        readonly=False,
    )
    vms_offline_redemption = fields.Boolean(
        related="company_id.vms_offline_redemption",
        readonly=False,
    )
    vms_offline_max_amount = fields.Monetary(
        related="company_id.vms_offline_max_amount",
        readonly=False,
        currency_field="company_currency_id",
    )
