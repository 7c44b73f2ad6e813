from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

VALUE_TYPES = [("nominal", "Nominal Value"), ("discount", "Discount")]
DISCOUNT_TYPES = [("percent", "Percentage"), ("amount", "Amount")]
DISCOUNT_SCOPES = [("bill", "The Bill"), ("product", "An Item"), ("category", "An Item Group")]
VOUCHER_TYPES = [
    ("card_gift", "Gift upon a New Club Card"),
    ("points", "Versus Bonus Points"),
    ("marketing", "Marketing Campaign"),
    ("gift", "Gift"),
]


class VmsVoucherTerms(models.AbstractModel):
    """The terms of a voucher: what it is worth, on what, from which bill, how
    it is presented and until when.

    Declared and checked once, here, for the voucher itself, the generation
    wizard and its stored batches; a remainder voucher carries its parent's
    terms over field by field (:meth:`_vms_terms_values`).
    """

    _name = "vms.voucher.terms"
    _description = "Voucher Terms"

    # Each model of the terms says which currency its amounts are in.
    currency_id = fields.Many2one("res.currency")
    voucher_type = fields.Selection(
        VOUCHER_TYPES, string="Type", required=True, default="marketing"
    )
    valid_from = fields.Date(help="May start after the issue date.")
    valid_to = fields.Date()
    value_type = fields.Selection(VALUE_TYPES, required=True, default="nominal")
    nominal_amount = fields.Monetary(currency_field="currency_id")
    discount_type = fields.Selection(DISCOUNT_TYPES, default="percent")
    discount_value = fields.Float()
    discount_scope = fields.Selection(
        DISCOUNT_SCOPES,
        default="bill",
        help="What the voucher pays or discounts: the whole bill, one item or an item "
        "group; for an item or a group the till must send the bill's lines.",
    )
    discount_product_id = fields.Many2one("product.product", string="Discounted Item")
    discount_category_id = fields.Many2one("product.category", string="Discounted Item Group")
    item_criteria = fields.Text()
    min_activation_amount = fields.Monetary(
        currency_field="currency_id", help="Activated at a till only from a bill of this amount."
    )
    min_payment_amount = fields.Monetary(
        currency_field="currency_id",
        help="Pays only bills of this amount or more; the till must send the bill amount.",
    )
    template_id = fields.Many2one("vms.voucher.template", string="PDF Template")
    bonus_points_accrue = fields.Boolean(help="Paying with this voucher still earns bonus points.")
    card_bound = fields.Boolean(
        string="Bound to the Card", help="Only accepted together with its own active club card."
    )
    redeem_barcode = fields.Boolean("Redeemed by Barcode", default=True)
    redeem_qr = fields.Boolean("Redeemed by QR Code", default=True)
    redeem_external_qr = fields.Boolean("Redeemed by External QR")
    redeem_pin = fields.Boolean("Redeemed by PIN (e-voucher)")

    _TERMS = (
        "voucher_type",
        "valid_from",
        "valid_to",
        "value_type",
        "discount_type",
        "discount_value",
        "discount_scope",
        "discount_product_id",
        "discount_category_id",
        "item_criteria",
        "min_activation_amount",
        "min_payment_amount",
        "template_id",
        "bonus_points_accrue",
        "card_bound",
        "redeem_barcode",
        "redeem_qr",
        "redeem_external_qr",
        "redeem_pin",
    )

    def _vms_terms_values(self):
        """The terms as values for ``create`` (all of them but the nominal)."""
        self.ensure_one()
        return {name: self._fields[name].convert_to_write(self[name], self) for name in self._TERMS}

    def _vms_terms_label(self):
        """How an error names the record: a voucher by its code."""
        return self.display_name

    @api.constrains(
        "value_type",
        "nominal_amount",
        "discount_type",
        "discount_value",
        "discount_scope",
        "discount_product_id",
        "discount_category_id",
        "min_activation_amount",
        "min_payment_amount",
        "valid_from",
        "valid_to",
        "redeem_barcode",
        "redeem_qr",
        "redeem_external_qr",
        "redeem_pin",
    )
    def _check_terms(self):
        for record in self:
            record._vms_check_terms()

    def _vms_check_terms(self):
        self.ensure_one()
        name = self._vms_terms_label()
        if self.value_type == "nominal" and self.nominal_amount <= 0:
            raise ValidationError(
                _("%(name)s: a nominal voucher must be worth more than zero.", name=name)
            )
        if self.value_type == "discount":
            if self.discount_value <= 0:
                raise ValidationError(_("%(name)s: the discount must be positive.", name=name))
            if self.discount_type == "percent" and self.discount_value > 100:
                raise ValidationError(
                    _("%(name)s: a voucher cannot give more than 100%% off.", name=name)
                )
        if self.discount_scope == "product" and not self.discount_product_id:
            raise ValidationError(_("%(name)s applies to one item: choose the item.", name=name))
        if self.discount_scope == "category" and not self.discount_category_id:
            raise ValidationError(
                _("%(name)s applies to an item group: choose the group.", name=name)
            )
        if min(self.min_activation_amount, self.min_payment_amount, self.discount_value) < 0:
            raise ValidationError(_("%(name)s: amounts cannot be negative.", name=name))
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValidationError(
                _("%(name)s: a voucher cannot stop being valid before it starts.", name=name)
            )
        if not (
            self.redeem_barcode or self.redeem_qr or self.redeem_external_qr or self.redeem_pin
        ):
            raise ValidationError(_("%(name)s must be redeemable some way.", name=name))
