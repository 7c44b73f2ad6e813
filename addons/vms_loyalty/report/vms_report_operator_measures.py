from odoo import fields, models

# The measures of the operator audit, in the order the flag view sums them.
MEASURES = (
    "redemption_count",
    "amount",
    "refusal_count",
    "otp_sent_count",
    "otp_failed_count",
    "no_customer_count",
    "reversal_count",
)


class VmsReportOperatorMeasures(models.AbstractModel):
    """What the operator audit counts, by operator and store: declared once for
    the audit's rows (``vms.report.operator``) and its monthly flags
    (``vms.report.operator.flag``), whose view sums those rows column by column."""

    _name = "vms.report.operator.measures"
    _description = "Operator Audit Measures"

    user_id = fields.Many2one("res.users", string="Operator", readonly=True)
    store_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    redemption_count = fields.Integer(string="Redemptions", readonly=True)
    amount = fields.Monetary(string="Amount Redeemed", readonly=True)
    refusal_count = fields.Integer(string="Refusals", readonly=True)
    otp_sent_count = fields.Integer(string="OTP Sent", readonly=True)
    otp_failed_count = fields.Integer(string="OTP Failed", readonly=True)
    no_customer_count = fields.Integer(string="Redemptions without Customer", readonly=True)
    reversal_count = fields.Integer(string="Reversals", readonly=True)
