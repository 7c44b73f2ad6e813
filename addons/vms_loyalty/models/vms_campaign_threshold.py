from odoo import fields, models


class VmsCampaignThreshold(models.Model):
    """One step of a progressive gift: from this bill amount, a voucher of this nominal."""

    _name = "vms.campaign.threshold"
    _description = "Campaign Progressive Threshold"
    _order = "bill_amount"

    campaign_id = fields.Many2one("vms.campaign", required=True, ondelete="cascade", index=True)
    currency_id = fields.Many2one(related="campaign_id.currency_id")
    bill_amount = fields.Monetary(required=True, currency_field="currency_id")
    nominal_amount = fields.Monetary(
        string="Voucher Nominal", required=True, currency_field="currency_id"
    )

    _amounts_positive = models.Constraint(
        "CHECK(bill_amount > 0 AND nominal_amount > 0)",
        "Bill amounts and voucher nominals of a progressive table must be positive.",
    )
