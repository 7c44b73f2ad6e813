import re

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError

from odoo.addons.base.models.res_partner import _tz_get

from ..tools import rules

# Prefixes go into every voucher code and barcode: keep them to characters every
# scanner, keyboard wedge and Code 128 symbol handles the same way.
VOUCHER_PREFIX_RE = re.compile(r"^[A-Z0-9]{0,6}$")
MIN_CODE_LENGTH = 8
MAX_CODE_LENGTH = 24


class ResCompany(models.Model):
    """Company-level loyalty configuration (the "configuration manager").

    Each retailer company has its own code prefix, OTP policy and issuing
    limits; branches under one company share them.
    """

    _inherit = "res.company"

    vms_tz = fields.Selection(
        _tz_get,
        string="Store Time Zone",
        default=lambda self: self.env.user.tz or "UTC",
        help="Voucher validity and campaign hours follow the store's clock, whoever "
        "asks (a till, a web shop in another country, a user with another time zone).",
    )
    vms_code_prefix = fields.Char(
        string="Voucher Code Prefix",
        default="VMS",
        help="Up to 6 capital letters or digits printed in front of every voucher code.",
    )
    vms_code_length = fields.Integer(
        string="Voucher Code Length",
        default=12,
        help="Characters after the prefix, the check character included "
        f"({MIN_CODE_LENGTH} to {MAX_CODE_LENGTH}).",
    )
    vms_barcode_format = fields.Selection(
        [("ean13", "EAN-13"), ("code128", "Code 128"), ("qr", "QR code")],
        string="Voucher Barcode Format",
        default="code128",
        required=True,
    )
    vms_otp_mandatory = fields.Boolean(
        string="OTP Is Mandatory to Redeem Loyalty",
        help="Redemptions that belong to someone (club points, vouchers with a holder or "
        "a club card) at or above the minimum value need a one-time password sent by SMS to "
        "that holder's mobile. Bearer vouchers have nobody to send it to and need none.",
    )
    vms_otp_min_amount = fields.Monetary(
        string="Minimum Value of OTP-Based Loyalty Redemption",
        currency_field="currency_id",
        help="Redemptions of this amount or more need an OTP when OTP is mandatory.",
    )
    vms_otp_ttl_seconds = fields.Integer(
        string="OTP Validity (seconds)",
        default=300,
        help="How long a code sent by SMS stays usable.",
    )
    vms_otp_max_attempts = fields.Integer(
        string="OTP Attempts",
        default=5,
        help="Wrong codes allowed before the customer must ask for a new one.",
    )
    vms_hold_ttl_seconds = fields.Integer(
        string="Hold Time (seconds)",
        default=600,
        help="How long a till, a web shop or a vending machine may keep an amount of a "
        "voucher reserved before confirming it; an abandoned sale frees it then.",
    )
    vms_max_vouchers_per_bill = fields.Integer(
        string="Maximum Vouchers Printed per Bill",
        default=3,
    )
    vms_max_vouchers_per_holder = fields.Integer(
        string="Maximum Vouchers per Card Holder per Promotion",
        default=5,
    )
    vms_offline_redemption = fields.Boolean(
        string="Offline Redemption Allowed",
        help="Tills that lost the server may accept vouchers up to the amount below; "
        "they are replayed through the redemption engine on reconnect.",
    )
    vms_offline_max_amount = fields.Monetary(
        string="Offline Redemption Limit",
        currency_field="currency_id",
    )

    @api.model
    def _vms_normalize_prefix(self, vals):
        if vals.get("vms_code_prefix"):
            vals["vms_code_prefix"] = vals["vms_code_prefix"].strip().upper()
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._vms_normalize_prefix(dict(vals)) for vals in vals_list])

    def write(self, vals):
        return super().write(self._vms_normalize_prefix(dict(vals)))

    @api.constrains("vms_code_prefix", "vms_code_length")
    def _check_vms_code_format(self):
        for company in self:
            prefix = company.vms_code_prefix or ""
            if not VOUCHER_PREFIX_RE.match(prefix):
                raise ValidationError(
                    _(
                        "The voucher code prefix %(prefix)r of %(company)s may only hold up to "
                        "6 capital letters A-Z or digits 0-9 (no spaces, dashes or accents).",
                        prefix=prefix,
                        company=company.name,
                    )
                )
            if not MIN_CODE_LENGTH <= company.vms_code_length <= MAX_CODE_LENGTH:
                raise ValidationError(
                    _(
                        "The voucher code length of %(company)s must be between %(min)s and "
                        "%(max)s characters, not %(length)s.",
                        company=company.name,
                        min=MIN_CODE_LENGTH,
                        max=MAX_CODE_LENGTH,
                        length=company.vms_code_length,
                    )
                )

    @api.constrains("vms_otp_ttl_seconds", "vms_otp_max_attempts", "vms_hold_ttl_seconds")
    def _check_vms_otp_policy(self):
        for company in self:
            ranges = [
                ("vms_hold_ttl_seconds", 10, 86400, _("hold time in seconds")),
                ("vms_otp_ttl_seconds", 60, 3600, _("OTP validity in seconds")),
                ("vms_otp_max_attempts", 1, 10, _("number of OTP attempts")),
            ]
            for field_name, low, high, setting in ranges:
                if not low <= company[field_name] <= high:
                    raise ValidationError(
                        _(
                            "The %(setting)s of %(company)s must be between %(low)s and "
                            "%(high)s, not %(value)s.",
                            setting=setting,
                            company=company.name,
                            low=low,
                            high=high,
                            value=company[field_name],
                        )
                    )

    @api.constrains(
        "vms_otp_min_amount",
        "vms_offline_max_amount",
        "vms_max_vouchers_per_bill",
        "vms_max_vouchers_per_holder",
    )
    def _check_vms_limits(self):
        for company in self:
            limits = [
                ("vms_otp_min_amount", _("minimum value of OTP-based redemption")),
                ("vms_offline_max_amount", _("offline redemption limit")),
                ("vms_max_vouchers_per_bill", _("maximum number of vouchers printed per bill")),
                ("vms_max_vouchers_per_holder", _("maximum number of vouchers per card holder")),
            ]
            for field_name, setting in limits:
                if company[field_name] < 0:
                    raise ValidationError(
                        _(
                            "The %(setting)s of %(company)s cannot be negative.",
                            setting=setting,
                            company=company.name,
                        )
                    )

    @api.model
    def _vms_current(self):
        """The store a request works at: ``env.company`` (checked against the
        user's companies unless sudo), read without fetching the user's record
        on every call; sudo, to read its settings (a channel has no rights on
        companies)."""
        if self.env.context.get("allowed_company_ids"):
            return self.env.company.sudo()
        return self.sudo().browse(self._vms_user_company_id(self.env.uid))

    @api.model
    @tools.ormcache("uid")
    def _vms_user_company_id(self, uid):
        # Odoo clears this cache when a user's company changes (res.users write).
        self.env.cr.execute("SELECT company_id FROM res_users WHERE id = %s", [uid])
        return self.env.cr.fetchone()[0]

    def _vms_store(self):
        """This company as a store, as the redemption rules see it (cached)."""
        self.ensure_one()
        return self._vms_store_terms(self.id)

    def _vms_today(self, at=None):
        """Today at this store, or its date at ``at`` (naive UTC, as Odoo
        stores datetimes: an order's ``date_order``)."""
        self.ensure_one()
        return self._vms_store().local_now(at or fields.Datetime.now()).date()

    @api.model
    @tools.ormcache("company_id")
    def _vms_store_terms(self, company_id):
        # sudo: settings of a store every user of it works under; no personal data.
        company = self.sudo().browse(company_id)
        currency = company.currency_id
        return rules.Store(
            id=company.id,
            name=company.name,
            company_ids=frozenset((company | company.parent_ids).ids),
            tz=company.vms_tz or "UTC",
            money=rules.Money(
                currency.id, currency.name, currency.rounding, currency.decimal_places
            ),
            code_prefix=company.vms_code_prefix or "",
            code_length=company.vms_code_length,
            hold_ttl_seconds=company.vms_hold_ttl_seconds,
            otp_mandatory=company.vms_otp_mandatory,
            otp_min_amount=company.vms_otp_min_amount,
        )

    def cache_invalidation_fields(self):
        # The redemption engine caches these settings of a store (_vms_store_terms).
        return super().cache_invalidation_fields() | {
            "name",
            "parent_id",
            "currency_id",
            "vms_tz",
            "vms_code_prefix",
            "vms_code_length",
            "vms_hold_ttl_seconds",
            "vms_otp_mandatory",
            "vms_otp_min_amount",
        }
