from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    """A gift voucher sold at the till for the amount the cashier enters.

    Sold, it is not a good but a voucher: the till sells it without tax (the
    tax is due when the voucher pays for goods, whatever taxes the product
    carries by default) and its sale is booked on the voucher liability
    account, so the session's closing entry credits what the company now
    owes the voucher's bearer.
    """

    _inherit = "product.template"

    vms_gift_voucher = fields.Boolean(
        string="Gift Voucher",
        help="Selling this product at the till issues an active gift voucher of the amount "
        "paid, printed on the receipt.",
    )
    vms_gift_campaign_id = fields.Many2one(
        "vms.campaign",
        string="Gift Voucher Campaign",
        help="Campaign of the vouchers sold with this product.",
    )
    vms_gift_validity_days = fields.Integer(
        string="Gift Voucher Validity (days)",
        default=365,
        help="Sold vouchers are valid from the day of the sale for this many days.",
    )

    _vms_gift_validity_positive = models.Constraint(
        "CHECK(vms_gift_validity_days >= 1)", "A gift voucher is valid at least one day."
    )

    @api.constrains("vms_gift_voucher", "vms_gift_campaign_id")
    def _check_vms_gift_voucher(self):
        for product in self.filtered("vms_gift_voucher"):
            if not product.vms_gift_campaign_id:
                raise ValidationError(
                    _(
                        "Gift voucher product %(product)s needs the campaign of the vouchers "
                        "it sells.",
                        product=product.display_name,
                    )
                )

    def _get_product_accounts(self):
        """A gift voucher sold is owed to its bearer: whatever income account
        the product carries, its sale credits the voucher liability account."""
        accounts = super()._get_product_accounts()
        if self.vms_gift_voucher:
            liability = (self.company_id or self.env.company).vms_voucher_account_id
            if liability:
                accounts["income"] = liability
        return accounts

    @api.model
    def _load_pos_data_fields(self, config):
        return [*super()._load_pos_data_fields(config), "vms_gift_voucher"]
