import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import float_compare, float_is_zero

from ..exceptions import VmsConflict, VmsError, VmsInvalid, VmsNotFound
from ..tools import codes

VOUCHER_STATES = [
    ("generated", "Generated"),
    ("handed_over", "Handed Over"),
    ("active", "Active"),
    ("blocked", "Blocked"),
    ("used", "Used"),
]
# The terms of a voucher, shared with the generation wizard and its batches.
VALUE_TYPES = [("nominal", "Nominal Value"), ("discount", "Discount")]
DISCOUNT_TYPES = [("percent", "Percentage"), ("amount", "Amount")]
DISCOUNT_SCOPES = [("bill", "The Bill"), ("product", "An Item"), ("category", "An Item Group")]
VOUCHER_TYPES = [
    ("card_gift", "Gift upon a New Club Card"),
    ("points", "Versus Bonus Points"),
    ("marketing", "Marketing Campaign"),
    ("gift", "Gift"),
]

# operation -> states it may start from.
TRANSITIONS = {
    "hand_over": ("generated",),
    "activate": ("generated", "handed_over"),
    "block": ("generated", "handed_over", "active"),
    "group_block": ("generated", "handed_over", "active"),
    "unblock": ("blocked",),
    "change_validity": ("generated", "handed_over", "active", "blocked"),
    "use": ("active",),
    "remainder": ("active",),
    "reverse": ("active", "used"),
}

# Fields only the lifecycle methods change, each with its chronology row.
LIFECYCLE_FIELDS = frozenset(
    {
        "code",
        "barcode",
        "state",
        "state_before_block",
        "spent_amount",
        "nominal_amount",
        "activation_date",
        "activation_store_id",
        "activation_user_id",
        "block_reason",
        "company_id",
    }
)
# Identity token proving a write comes from a lifecycle method. An RPC client can
# put any JSON in a context, never this object.
_LIFECYCLE = object()
PIN_ITERATIONS = 100_000


def _as_set(value):
    """The values of a search condition ("in" gives a collection, "=" one value)."""
    if isinstance(value, Iterable) and not isinstance(value, str):
        return set(value)
    return {value}


def _lifecycle(records):
    return records.with_context(vms_lifecycle=_LIFECYCLE)


class VmsVoucher(models.Model):
    """A voucher: a code worth a nominal amount or a discount, in a campaign.

    Its state and spent amount move only through the lifecycle methods below,
    each of which writes its chronology row (``vms.voucher.transaction``) in
    the same database transaction; :meth:`_vms_replay` rebuilds both from the
    rows. Spending goes through :meth:`_vms_spend` only, which locks the row.
    """

    _name = "vms.voucher"
    _description = "Voucher"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _rec_name = "code"
    _check_company_auto = True
    _mail_post_access = "read"

    code = fields.Char(required=True, readonly=True, copy=False, index=False, tracking=True)
    barcode = fields.Char(
        string="EAN-13 Number",
        readonly=True,
        copy=False,
        help="Numeric payload of EAN-13 vouchers; Code 128 and QR vouchers carry the code.",
    )
    barcode_payload = fields.Char(compute="_compute_barcode_payload")
    barcode_format = fields.Selection(related="company_id.vms_barcode_format")
    qr_payload = fields.Char(compute="_compute_qr_payload", string="QR Payload")
    external_qr_payload = fields.Char(
        string="External QR Payload",
        copy=False,
        help="Code of a third party (partner shop, issuer app) mapped to this voucher.",
    )
    pin_hash = fields.Char(copy=False, groups="base.group_system")
    has_pin = fields.Boolean(compute="_compute_has_pin", string="PIN Set")
    redeem_barcode = fields.Boolean("Redeemed by Barcode", default=True)
    redeem_qr = fields.Boolean("Redeemed by QR Code", default=True)
    redeem_external_qr = fields.Boolean("Redeemed by External QR")
    redeem_pin = fields.Boolean("Redeemed by PIN (e-voucher)")

    kind = fields.Selection(
        [("company", "Company-wide"), ("branch", "Branch")],
        compute="_compute_kind",
        store=True,
        help="Set from the issuing company: a branch's vouchers are the branch's own.",
    )
    voucher_type = fields.Selection(
        VOUCHER_TYPES, string="Type", required=True, default="marketing"
    )
    state = fields.Selection(
        VOUCHER_STATES,
        default="generated",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    state_before_block = fields.Selection(VOUCHER_STATES, readonly=True, copy=False)
    block_reason = fields.Char(readonly=True, copy=False)
    validity_status = fields.Selection(
        [("not_yet", "Not Yet Valid"), ("valid", "Valid"), ("expired", "Expired")],
        compute="_compute_validity_status",
        search="_search_validity_status",
    )
    is_expired = fields.Boolean(
        compute="_compute_validity_status", search="_search_is_expired", string="Expired"
    )
    campaign_id = fields.Many2one(
        "vms.campaign",
        required=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
    )
    batch_id = fields.Many2one(
        "vms.voucher.batch", string="Generation", readonly=True, index="btree_not_null"
    )
    template_id = fields.Many2one("vms.voucher.template", string="PDF Template", check_company=True)
    issue_date = fields.Datetime(default=fields.Datetime.now, readonly=True, copy=False)
    valid_from = fields.Date(tracking=True)
    valid_to = fields.Date(tracking=True)

    value_type = fields.Selection(
        VALUE_TYPES,
        required=True,
        default="nominal",
    )
    nominal_amount = fields.Monetary(currency_field="currency_id", tracking=True)
    discount_type = fields.Selection(DISCOUNT_TYPES, default="percent")
    discount_value = fields.Float()
    discount_scope = fields.Selection(
        DISCOUNT_SCOPES,
        default="bill",
    )
    discount_product_id = fields.Many2one("product.product", string="Discounted Item")
    discount_category_id = fields.Many2one("product.category", string="Discounted Item Group")
    item_criteria = fields.Text()
    min_activation_amount = fields.Monetary(currency_field="currency_id")
    min_payment_amount = fields.Monetary(currency_field="currency_id")
    activation_date = fields.Datetime(readonly=True, copy=False)
    activation_store_id = fields.Many2one("res.company", readonly=True, copy=False)
    activation_user_id = fields.Many2one(
        "res.users", string="Activation Operator", readonly=True, copy=False
    )
    spent_amount = fields.Monetary(currency_field="currency_id", readonly=True, copy=False)
    balance = fields.Monetary(
        currency_field="currency_id",
        compute="_compute_balance",
        store=True,
        string="Remaining Balance",
    )
    # A voucher is in the currency of its company, always: not stored, so that
    # it can never disagree (and bulk generation has one column less to write).
    currency_id = fields.Many2one(related="company_id.currency_id")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    card_id = fields.Many2one(
        "vms.card", string="Club Card", index="btree_not_null", check_company=True, tracking=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Holder", index="btree_not_null", tracking=True
    )
    bonus_points_accrue = fields.Boolean(help="Paying with this voucher still earns bonus points.")
    card_bound = fields.Boolean(
        string="Bound to the Card", help="Only accepted together with its club card."
    )
    parent_id = fields.Many2one(
        "vms.voucher",
        string="Parent Voucher",
        index="btree_not_null",
        help="The voucher this one is the remainder of.",
    )
    child_ids = fields.One2many("vms.voucher", "parent_id", string="Remainder Vouchers")
    transaction_ids = fields.One2many("vms.voucher.transaction", "voucher_id", string="Chronology")
    transaction_count = fields.Integer(compute="_compute_transaction_count")

    _code_unique = models.Constraint("UNIQUE(code)", "A voucher code must be unique.")
    # Partial: most vouchers have neither, and a million NULL entries would only
    # slow bulk generation down.
    _barcode_unique = models.UniqueIndex(
        "(barcode) WHERE barcode IS NOT NULL", "A voucher barcode must be unique."
    )
    _external_qr_unique = models.UniqueIndex(
        "(external_qr_payload) WHERE external_qr_payload IS NOT NULL",
        "An external QR payload belongs to one voucher only.",
    )
    # The last line of defence of invariant 1: whatever the code path, the database
    # refuses a spent amount above the nominal.
    _spent_within_nominal = models.Constraint(
        "CHECK(spent_amount >= 0 AND spent_amount <= nominal_amount)",
        "The spent amount of a voucher cannot exceed its nominal.",
    )
    _amounts_positive = models.Constraint(
        "CHECK(nominal_amount >= 0 AND min_activation_amount >= 0 AND min_payment_amount >= 0 "
        "AND discount_value >= 0)",
        "Voucher amounts cannot be negative.",
    )
    _validity_order = models.Constraint(
        "CHECK(valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to)",
        "A voucher cannot stop being valid before it starts.",
    )
    _state_campaign_idx = models.Index("(campaign_id, state)")

    # Computes ----------------------------------------------------------------

    @api.depends("code", "barcode")
    def _compute_barcode_payload(self):
        for voucher in self:
            voucher.barcode_payload = voucher.barcode or voucher.code

    @api.depends("code")
    def _compute_qr_payload(self):
        for voucher in self:
            voucher.qr_payload = voucher.code

    def _compute_has_pin(self):
        # sudo: only whether a hash exists is shown, never the hash.
        hashes = {v.id: bool(v.pin_hash) for v in self.sudo()}
        for voucher in self:
            voucher.has_pin = hashes.get(voucher.id, False)

    @api.depends("company_id.parent_id")
    def _compute_kind(self):
        for voucher in self:
            voucher.kind = "branch" if voucher.company_id.parent_id else "company"

    @api.depends("nominal_amount", "spent_amount")
    def _compute_balance(self):
        for voucher in self:
            voucher.balance = voucher.nominal_amount - voucher.spent_amount

    @api.depends("valid_from", "valid_to")
    def _compute_validity_status(self):
        today = fields.Date.context_today(self)
        for voucher in self:
            if voucher.valid_to and voucher.valid_to < today:
                status = "expired"
            elif voucher.valid_from and voucher.valid_from > today:
                status = "not_yet"
            else:
                status = "valid"
            voucher.validity_status = status
            voucher.is_expired = status == "expired"

    def _search_validity_status(self, operator, value):
        if operator not in ("in", "="):
            return NotImplemented
        values = _as_set(value)
        today = fields.Date.context_today(self)
        domains = {
            "expired": Domain("valid_to", "<", today),
            "not_yet": Domain("valid_from", ">", today),
            "valid": (Domain("valid_to", "=", False) | Domain("valid_to", ">=", today))
            & (Domain("valid_from", "=", False) | Domain("valid_from", "<=", today)),
        }
        return Domain.OR(domains[v] for v in values if v in domains)

    def _search_is_expired(self, operator, value):
        if operator not in ("in", "="):
            return NotImplemented
        values = _as_set(value)
        today = fields.Date.context_today(self)
        if True in values and False in values:
            return Domain.TRUE
        if True in values:
            return Domain("valid_to", "<", today)
        return Domain("valid_to", "=", False) | Domain("valid_to", ">=", today)

    def _compute_transaction_count(self):
        counts = dict(
            self.env["vms.voucher.transaction"]._read_group(
                [("voucher_id", "in", self.ids)], ["voucher_id"], ["__count"]
            )
        )
        for voucher in self:
            voucher.transaction_count = counts.get(voucher, 0)

    # Constraints -------------------------------------------------------------

    @api.constrains("value_type", "nominal_amount", "discount_type", "discount_value")
    def _check_value(self):
        for voucher in self:
            if voucher.value_type == "nominal" and voucher.nominal_amount <= 0:
                raise ValidationError(
                    _(
                        "Voucher %(code)s has no nominal: a nominal voucher must be worth "
                        "more than zero.",
                        code=voucher.code,
                    )
                )
            if voucher.value_type == "discount":
                if voucher.discount_value <= 0:
                    raise ValidationError(
                        _("The discount of voucher %(code)s must be positive.", code=voucher.code)
                    )
                if voucher.discount_type == "percent" and voucher.discount_value > 100:
                    raise ValidationError(
                        _(
                            "Voucher %(code)s cannot give more than 100%% off.",
                            code=voucher.code,
                        )
                    )

    @api.constrains("redeem_barcode", "redeem_qr", "redeem_external_qr", "redeem_pin")
    def _check_redeemed_by(self):
        for voucher in self:
            if not (
                voucher.redeem_barcode
                or voucher.redeem_qr
                or voucher.redeem_external_qr
                or voucher.redeem_pin
            ):
                raise ValidationError(
                    _("Voucher %(code)s must be redeemable some way.", code=voucher.code)
                )

    @api.constrains("discount_scope", "discount_product_id", "discount_category_id", "value_type")
    def _check_discount_scope(self):
        for voucher in self.filtered(lambda v: v.value_type == "discount"):
            if voucher.discount_scope == "product" and not voucher.discount_product_id:
                raise ValidationError(
                    _("Voucher %(code)s discounts an item: choose it.", code=voucher.code)
                )
            if voucher.discount_scope == "category" and not voucher.discount_category_id:
                raise ValidationError(
                    _("Voucher %(code)s discounts an item group: choose it.", code=voucher.code)
                )

    @api.constrains("card_id", "card_bound", "partner_id")
    def _check_card(self):
        for voucher in self:
            if voucher.card_bound and not voucher.card_id:
                raise ValidationError(
                    _(
                        "Voucher %(code)s is bound to a club card but has none.",
                        code=voucher.code,
                    )
                )
            if (
                voucher.card_id.partner_id
                and voucher.partner_id
                and voucher.card_id.partner_id != voucher.partner_id
            ):
                raise ValidationError(
                    _(
                        "Voucher %(code)s: its holder %(holder)s is not the holder of club "
                        "card %(card)s.",
                        code=voucher.code,
                        holder=voucher.partner_id.display_name,
                        card=voucher.card_id.number,
                    )
                )

    @api.constrains("campaign_id", "partner_id")
    def _check_holder_limit(self):
        self._vms_check_holder_limit()

    def _vms_check_holder_limit(self):
        """At most ``max_vouchers_per_holder`` vouchers of a campaign per holder."""
        holders = {}
        for voucher in self:
            if voucher.partner_id and not voucher.parent_id:
                holders.setdefault(voucher.campaign_id, set()).add(voucher.partner_id.id)
        for campaign, partner_ids in holders.items():
            self._vms_check_holder_counts(campaign, dict.fromkeys(partner_ids, 0))

    @api.model
    def _vms_check_holder_counts(self, campaign, wanted):
        """Refuse if a holder would pass the campaign's limit with ``wanted``
        (partner id -> vouchers about to be added) on top of what they hold.

        A remainder voucher (one with a parent) carries on a voucher already
        issued, so it is not counted."""
        limit = campaign.max_vouchers_per_holder
        if not limit or not wanted:
            return
        # sudo: counts the vouchers of every company for the limit, returns no data.
        groups = self.sudo()._read_group(
            [
                ("campaign_id", "=", campaign.id),
                ("partner_id", "in", list(wanted)),
                ("parent_id", "=", False),
            ],
            ["partner_id"],
            ["__count"],
        )
        held = {partner.id: count for partner, count in groups}
        for partner_id, count in wanted.items():
            total = count + held.get(partner_id, 0)
            if total > limit:
                raise ValidationError(
                    _(
                        "%(holder)s would hold %(count)s vouchers of campaign %(campaign)s; "
                        "at most %(limit)s are allowed per holder.",
                        holder=self.env["res.partner"].browse(partner_id).display_name,
                        count=total,
                        campaign=campaign.display_name,
                        limit=limit,
                    )
                )

    # CRUD --------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Single vouchers from a form or an import: code drawn or checked, and the
        generate (and activate) rows written. Bulk generation uses SQL instead,
        see ``vms.voucher.batch``."""
        initial_states = []
        for vals in vals_list:
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            if vals.get("code"):
                vals["code"] = self._vms_parse_code(vals["code"], company)
            else:
                vals["code"] = self._vms_new_codes(company, 1)[0]
            if vals.get("external_qr_payload"):
                # Mapping a third party's payload means taking it.
                vals.setdefault("redeem_external_qr", True)
            state = vals.pop("state", "generated")
            if state not in ("generated", "active"):
                raise ValidationError(
                    _(
                        "A new voucher is either generated or active, not %(state)s.",
                        state=self._vms_state_label(state),
                    )
                )
            initial_states.append(state)
        vouchers = super(VmsVoucher, _lifecycle(self)).create(vals_list)
        for voucher in vouchers:
            if voucher.company_id.vms_barcode_format == "ean13" and not voucher.barcode:
                voucher.barcode = codes.ean13_for_id(voucher.id)
        vouchers._vms_log("generate", amount_field="nominal_amount", with_validity=True)
        to_activate = vouchers.browse(
            [v.id for v, state in zip(vouchers, initial_states, strict=True) if state == "active"]
        )
        if to_activate:
            to_activate._vms_transition("activate", {"state": "active"}, activation=True)
        return vouchers.with_env(self.env)

    def write(self, vals):
        if vals.get("external_qr_payload"):
            vals = dict(vals)
            vals.setdefault("redeem_external_qr", True)
        if self.env.context.get("vms_lifecycle") is not _LIFECYCLE:
            protected = LIFECYCLE_FIELDS.intersection(vals)
            if protected:
                raise UserError(
                    _(
                        "%(fields)s of a voucher change only through its actions (hand over, "
                        "activate, block, use...), each recorded in its chronology.",
                        fields=", ".join(sorted(self._fields[f].string for f in protected)),
                    )
                )
            if {"valid_from", "valid_to"} & set(vals):
                # Validity edited in the form: same path as the bulk change.
                validity = {key: vals.pop(key) for key in ("valid_from", "valid_to") if key in vals}
                for voucher in self:
                    voucher._vms_change_validity(
                        validity.get("valid_from", voucher.valid_from),
                        validity.get("valid_to", voucher.valid_to),
                    )
                if not vals:
                    return True
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            _(
                "Vouchers are never deleted, their chronology must stay readable: block "
                "%(codes)s instead.",
                codes=", ".join(self[:5].mapped("code")),
            )
        )

    def copy(self, default=None):
        if self:
            raise UserError(_("Vouchers cannot be duplicated; generate new ones instead."))
        return super().copy(default)

    # Codes -------------------------------------------------------------------

    @api.model
    def _vms_code_settings(self, company):
        return (company.vms_code_prefix or "", company.vms_code_length)

    @api.model
    def _vms_new_codes(self, company, count):
        """``count`` codes free in the database (the unique index is the judge)."""
        prefix, length = self._vms_code_settings(company)
        found = []
        for _attempt in range(10):
            candidates = codes.random_codes(count - len(found), prefix, length)
            self.env.cr.execute("SELECT code FROM vms_voucher WHERE code = ANY(%s)", [candidates])
            taken = {row[0] for row in self.env.cr.fetchall()}
            found += [code for code in candidates if code not in taken and code not in found]
            if len(found) >= count:
                return found[:count]
        raise UserError(_("No free voucher code found; make the codes longer in the settings."))

    @api.model
    def _vms_parse_code(self, code, company=None):
        """Normalised code, or a clear refusal for a code that cannot be ours."""
        company = company or self.env.company
        prefix, length = self._vms_code_settings(company)
        try:
            return codes.parse(code, prefix, length)
        except codes.CodeError as error:
            messages = {
                "empty": _("No voucher code was given."),
                "prefix": _(
                    "%(code)s is not a voucher code of %(company)s: codes start with %(prefix)s.",
                    code=error.code,
                    company=company.name,
                    prefix=prefix,
                ),
                "length": _(
                    "%(code)s is not a voucher code: %(length)s characters are expected "
                    "after the prefix.",
                    code=error.code,
                    length=length,
                ),
                "alphabet": _(
                    "%(code)s is not a voucher code: it holds characters vouchers never use.",
                    code=error.code,
                ),
                "check": _(
                    "%(code)s has a wrong check character: the code was mistyped or misread.",
                    code=error.code,
                ),
            }
            raise VmsInvalid("invalid_code", messages[error.reason], reason=error.reason) from None

    @api.model
    def _vms_find_by_code(self, code, company=None):
        return self._vms_find_presented(code, company)[0]

    @api.model
    def _vms_find_presented(self, code, company=None):
        """The voucher behind a scanned or typed code, barcode or external payload.

        A string shaped like one of our codes (the prefix and length of the
        settings) has its check character verified before any lookup, so a
        mistyped code never reaches the database. Raises a refusal (``invalid_code``,
        ``voucher_not_found``)
        naming the problem.

        Returns the voucher and how it was presented: ``"code"`` (typed, or a
        Code 128 or QR symbol, which both carry the code), ``"barcode"`` (its
        EAN-13) or ``"external"`` (a third party's QR payload).
        """
        company = company or self.env.company
        raw = (code or "").strip()
        cleaned = codes.normalize(raw)
        prefix, length = self._vms_code_settings(company)
        if cleaned.isdigit() and len(cleaned) == 13:
            if not codes.ean13_valid(cleaned):
                raise VmsInvalid(
                    "invalid_code", _("%(code)s has a wrong EAN-13 check digit.", code=cleaned)
                )
            voucher = self.search([("barcode", "=", cleaned)], limit=1)
            method = "barcode"
        elif cleaned.startswith(prefix) and len(cleaned) == len(prefix) + length:
            voucher = self.search([("code", "=", self._vms_parse_code(cleaned, company))], limit=1)
            method = "code"
        else:
            method = "external"
            # A third party's payload (mapped to one of our vouchers) or garbage.
            voucher = self.search([("external_qr_payload", "=", raw)], limit=1) if raw else None
            body = cleaned[-length:]
            if not voucher and not (len(cleaned) > length and codes.luhn_mod_n_valid(body)):
                self._vms_parse_code(raw, company)  # raises the reason
            # else: a well-formed code of another prefix (another company): unknown here
        if not voucher:
            raise VmsNotFound(
                "voucher_not_found", _("No voucher with code %(code)s.", code=cleaned or raw)
            )
        return voucher, method

    # PIN ---------------------------------------------------------------------

    def _vms_set_pin(self, pin):
        """Store a salted PBKDF2 hash of an e-voucher PIN; the PIN itself is not kept."""
        self.ensure_one()
        if not pin or not str(pin).isdigit() or not 4 <= len(str(pin)) <= 8:
            raise ValidationError(_("A voucher PIN is 4 to 8 digits."))
        salt = secrets.token_bytes(16)
        digest = hashlib.pbkdf2_hmac("sha256", str(pin).encode(), salt, PIN_ITERATIONS)
        salt_text = base64.b64encode(salt).decode()
        digest_text = base64.b64encode(digest).decode()
        value = f"pbkdf2_sha256${PIN_ITERATIONS}${salt_text}${digest_text}"
        # sudo: pin_hash is readable by system administrators only; the caller
        # already holds write access to the voucher.
        self.check_access("write")
        self.sudo().write({"pin_hash": value, "redeem_pin": True})
        self.env["vms.voucher.pin.failure"].sudo()._vms_forget(self)

    def _vms_check_pin(self, pin):
        self.ensure_one()
        # sudo: compares against the hash without ever returning it.
        stored = self.sudo().pin_hash
        if not stored or not pin:
            return False
        _algo, iterations, salt, digest = stored.split("$")
        candidate = hashlib.pbkdf2_hmac(
            "sha256", str(pin).encode(), base64.b64decode(salt), int(iterations)
        )
        return hmac.compare_digest(candidate, base64.b64decode(digest))

    # Lifecycle ---------------------------------------------------------------

    def _vms_state_label(self, state=None):
        labels = dict(self._fields["state"]._description_selection(self.env))
        return labels.get(state or self.state, state)

    def _vms_require(self, group_xmlid):
        if not self.env.su and not self.env.user.has_group(group_xmlid):
            group = self.env.ref(group_xmlid)
            raise AccessError(
                _(
                    "Only %(group)s may do this with vouchers.",
                    group=group.name,
                )
            )

    def _vms_check_transition(self, operation):
        allowed = TRANSITIONS[operation]
        for voucher in self:
            if voucher.state not in allowed:
                operation_label = dict(
                    self.env["vms.voucher.transaction"]
                    ._fields["type"]
                    ._description_selection(self.env)
                )[operation]
                raise VmsError(
                    "invalid_transition",
                    _(
                        "Voucher %(code)s is %(state)s: %(operation)s is not allowed.",
                        code=voucher.code,
                        state=voucher._vms_state_label(),
                        operation=operation_label.lower(),
                    ),
                )

    def _vms_transition(self, operation, values, activation=False, **row_values):
        """Check, apply ``values`` and write one chronology row per voucher."""
        self._vms_check_transition(operation)
        if activation:
            values = dict(
                values,
                activation_date=fields.Datetime.now(),
                activation_store_id=row_values.get("store_id") or self.env.company.id,
                activation_user_id=self.env.uid,
            )
        # sudo: the caller's rights were checked by the public action (group and
        # record rules); the chronology row keeps the real operator.
        self.check_access("read")
        _lifecycle(self.sudo()).write(values)
        return self._vms_log(operation, **row_values)

    def _vms_log(self, operation, amount_field=None, with_validity=False, **row_values):
        """Append chronology rows (sudo: nobody creates them directly)."""
        vals_list = []
        for voucher in self:
            vals = {
                "voucher_id": voucher.id,
                "type": operation,
                "state": "recorded",
                "store_id": self.env.company.id,
                "user_id": self.env.uid,
                **row_values,
            }
            if amount_field:
                vals["amount"] = voucher[amount_field]
            if with_validity:
                vals["valid_from"] = voucher.valid_from
                vals["valid_to"] = voucher.valid_to
            vals_list.append(vals)
        return self.env["vms.voucher.transaction"].sudo()._vms_append(vals_list)

    def action_hand_over(self, partner=None, card=None):
        """Give the vouchers to a customer (optionally recording who and which card)."""
        self._vms_require("vms_loyalty.group_vms_user")
        values = {"state": "handed_over"}
        self._vms_check_transition("hand_over")
        if partner or card:
            holder = {"partner_id": (partner or card.partner_id).id}
            if card:
                holder["card_id"] = card.id
            self.check_access("read")
            self.sudo().write(holder)  # the holder limit is checked by its constraint
        self._vms_transition("hand_over", values, channel="backoffice")
        return True

    def action_activate(self, bill_amount=None, **row_values):
        """Activate at a till or in the back office.

        With a bill amount, refuses below the minimum activation amount; the
        date, store and operator are recorded on the voucher and its row.
        """
        self._vms_require("vms_loyalty.group_vms_manager")
        return self._vms_activate(bill_amount, **row_values)

    def _vms_activate(self, bill_amount=None, **row_values):
        if bill_amount is not None:
            self._vms_check_amount(bill_amount, _("bill amount"))
            for voucher in self:
                if (
                    float_compare(
                        bill_amount,
                        voucher.min_activation_amount,
                        precision_rounding=voucher.currency_id.rounding,
                    )
                    < 0
                ):
                    raise UserError(
                        _(
                            "Voucher %(code)s is activated from a bill of %(minimum)s, "
                            "not %(amount)s.",
                            code=voucher.code,
                            minimum=voucher.min_activation_amount,
                            amount=bill_amount,
                        )
                    )
            row_values["bill_amount"] = bill_amount
        row_values.setdefault("channel", "backoffice")
        self._vms_transition("activate", {"state": "active"}, activation=True, **row_values)
        return True

    def action_block(self, reason=None, group=False):
        self._vms_require("vms_loyalty.group_vms_manager")
        if not reason:
            raise UserError(_("Say why the vouchers are blocked."))
        operation = "group_block" if group else "block"
        self._vms_check_transition(operation)
        for state in set(self.mapped("state")):
            subset = self.filtered(lambda v, s=state: v.state == s)
            subset._vms_transition(
                operation,
                {"state": "blocked", "state_before_block": state, "block_reason": reason},
                reason=reason,
                channel="backoffice",
            )
        return True

    def action_unblock(self, reason=None):
        self._vms_require("vms_loyalty.group_vms_manager")
        if not reason:
            raise UserError(_("Say why the vouchers are unblocked."))
        self._vms_check_transition("unblock")
        for state in set(self.mapped("state_before_block")):
            subset = self.filtered(lambda v, s=state: v.state_before_block == s)
            subset._vms_transition(
                "unblock",
                {
                    "state": state or "generated",
                    "state_before_block": False,
                    "block_reason": False,
                },
                reason=reason,
                channel="backoffice",
            )
        return True

    def _vms_change_validity(self, valid_from, valid_to, reason=None):
        """Bulk change of the validity period, one row per voucher."""
        self._vms_require("vms_loyalty.group_vms_manager")
        valid_from = fields.Date.to_date(valid_from) or False
        valid_to = fields.Date.to_date(valid_to) or False
        if valid_from and valid_to and valid_from > valid_to:
            raise UserError(_("A voucher cannot stop being valid before it starts."))
        self._vms_transition(
            "change_validity",
            {"valid_from": valid_from, "valid_to": valid_to},
            valid_from=valid_from,
            valid_to=valid_to,
            reason=reason,
            channel="backoffice",
        )
        return True

    @api.model
    def _vms_check_amount(self, amount, what):
        if isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise VmsInvalid(
                "invalid_amount",
                _("The %(what)s must be a number, not %(value)r.", what=what, value=amount),
            )
        if amount < 0:
            raise VmsInvalid(
                "invalid_amount",
                _("The %(what)s cannot be negative (%(value)s).", what=what, value=amount),
            )

    def _vms_lock(self):
        """Lock the voucher rows until the end of the transaction and reload them.

        Two tills spending the same voucher queue here: the second one sees the
        first one's spent amount once it gets the lock.
        """
        if self:
            # A concurrent update of the row since this transaction's snapshot ends
            # in a serialization failure: expected, the request is retried (Odoo
            # retries it), so not logged as a bad query.
            self.env.cr.execute(
                "SELECT id FROM vms_voucher WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                [self.ids],
                log_exceptions=False,
            )
            self.invalidate_recordset()
        return self

    def _vms_check_spendable(self, amount, bill_amount=None, card=None, partner=None):
        """Every reason to refuse spending ``amount`` now, as a clear error."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.state != "active":
            error, code = {
                "used": (VmsConflict, "voucher_used"),
                "blocked": (VmsError, "voucher_blocked"),
            }.get(self.state, (VmsError, "voucher_not_active"))
            raise error(
                code,
                _(
                    "Voucher %(code)s is %(state)s: it cannot be used.",
                    code=self.code,
                    state=self._vms_state_label(),
                ),
            )
        if self.valid_from and self.valid_from > today:
            raise VmsError(
                "voucher_not_yet_valid",
                _(
                    "Voucher %(code)s is valid only from %(date)s.",
                    code=self.code,
                    date=self.valid_from,
                ),
            )
        if self.valid_to and self.valid_to < today:
            raise VmsError(
                "voucher_expired",
                _("Voucher %(code)s expired on %(date)s.", code=self.code, date=self.valid_to),
            )
        if self.card_bound and card != self.card_id:
            raise VmsError(
                "card_required",
                _(
                    "Voucher %(code)s is accepted only with club card %(card)s.",
                    code=self.code,
                    card=self.card_id.number,
                ),
            )
        if self.partner_id and partner and partner != self.partner_id:
            raise VmsError(
                "wrong_holder", _("Voucher %(code)s belongs to another holder.", code=self.code)
            )
        rounding = self.currency_id.rounding
        if float_is_zero(amount, precision_rounding=rounding):
            raise VmsInvalid(
                "invalid_amount", _("Nothing to pay with voucher %(code)s.", code=self.code)
            )
        if bill_amount is not None and (
            float_compare(bill_amount, self.min_payment_amount, precision_rounding=rounding) < 0
        ):
            raise VmsError(
                "below_min_payment",
                _(
                    "Voucher %(code)s pays only bills of %(minimum)s or more.",
                    code=self.code,
                    minimum=self.min_payment_amount,
                ),
            )
        if (
            self.value_type == "nominal"
            and float_compare(amount, self.balance, precision_rounding=rounding) > 0
        ):
            raise VmsConflict(
                "insufficient_balance",
                _(
                    "Voucher %(code)s has %(balance)s left, less than %(amount)s.",
                    code=self.code,
                    balance=self.balance,
                    amount=amount,
                ),
            )

    def _vms_check_currency(self, currency):
        """Refuse paying in another currency than the voucher's (none given: fine)."""
        self.ensure_one()
        if currency and currency != self.currency_id:
            raise VmsError(
                "wrong_currency",
                _(
                    "Voucher %(code)s is in %(currency)s, not %(other)s.",
                    code=self.code,
                    currency=self.currency_id.name,
                    other=currency.name,
                ),
            )

    def _vms_spend(self, amount, idempotency_key=None, currency=None, **row_values):
        """The one place a voucher is spent. Returns the "use" chronology row.

        Locks the voucher row (SELECT ... FOR UPDATE), re-checks everything with
        the locked values, adds to the spent amount and writes the row in the
        same transaction. A retried call with the same idempotency key returns
        the first row and changes nothing.
        """
        self.ensure_one()
        self._vms_require("vms_loyalty.group_vms_store_user")
        self.check_access("read")
        Transaction = self.env["vms.voucher.transaction"].sudo()
        if idempotency_key:
            previous = Transaction.search([("idempotency_key", "=", idempotency_key)], limit=1)
            if previous:
                if previous.voucher_id != self or previous.type != "use":
                    raise VmsError(
                        "idempotency_key_reused",
                        _(
                            "Idempotency key %(key)s was used for another operation.",
                            key=idempotency_key,
                        ),
                    )
                return previous
        self._vms_check_amount(amount, _("amount"))
        self._vms_check_currency(currency)
        self._vms_lock()
        self._vms_check_spendable(
            amount,
            bill_amount=row_values.get("bill_amount"),
            card=row_values.pop("card", None),
            partner=row_values.pop("partner", None),
        )
        if self.value_type == "nominal":
            spent = self.currency_id.round(self.spent_amount + amount)
            fully = self.currency_id.is_zero(self.nominal_amount - spent)
            values = {"spent_amount": spent, "state": "used" if fully else "active"}
        else:
            values = {"state": "used"}  # a discount voucher serves once
        return self._vms_transition(
            "use", values, amount=amount, idempotency_key=idempotency_key, **row_values
        )

    def _vms_reverse(self, use_row, amount=None, reason=None, **row_values):
        """Give back what a "use" row took (all of it or a part), as a new
        "reverse" row pointing at it. Several partial reversals may follow one
        use, never more than it took."""
        self.ensure_one()
        self._vms_require("vms_loyalty.group_vms_store_user")
        if use_row.voucher_id != self or use_row.type != "use" or use_row.state != "recorded":
            raise UserError(_("Only a recorded use of this voucher can be reversed."))
        self._vms_lock()
        currency = self.currency_id
        reversed_amount = sum(
            use_row.reversal_ids.filtered(lambda r: r.state == "recorded").mapped("amount")
        )
        left = currency.round(use_row.amount - reversed_amount)
        if currency.is_zero(left):
            raise UserError(_("This use of voucher %(code)s was already reversed.", code=self.code))
        amount = left if amount is None else amount
        self._vms_check_amount(amount, _("amount"))
        if currency.is_zero(amount) or currency.compare_amounts(amount, left) > 0:
            raise UserError(
                _(
                    "At most %(left)s of this use of voucher %(code)s can be reversed.",
                    left=left,
                    code=self.code,
                )
            )
        values = {"state": "active"}
        if self.value_type == "nominal":
            values["spent_amount"] = currency.round(self.spent_amount - amount)
        return self._vms_transition(
            "reverse",
            values,
            amount=amount,
            origin_id=use_row.id,
            reason=reason,
            **row_values,
        )

    def _vms_replay(self):
        """State, spent amount, balance and validity rebuilt from the chronology.

        Only recorded rows count, in the order they were written; must equal
        the stored values (invariant 2), which the tests check after every
        operation.
        """
        self.ensure_one()
        rows = (
            self.env["vms.voucher.transaction"]
            .sudo()
            .search([("voucher_id", "=", self.id), ("state", "=", "recorded")], order="id")
        )
        state = None
        before_block = None
        nominal = spent = 0.0
        valid_from = valid_to = False
        for row in rows:
            if row.type == "generate":
                state = "generated"
                nominal = row.amount
                valid_from, valid_to = row.valid_from, row.valid_to
            elif row.type == "hand_over":
                state = "handed_over"
            elif row.type == "activate":
                state = "active"
            elif row.type in ("block", "group_block"):
                before_block, state = state, "blocked"
            elif row.type == "unblock":
                state, before_block = before_block, None
            elif row.type == "change_validity":
                valid_from, valid_to = row.valid_from, row.valid_to
            elif row.type in ("use", "remainder"):
                if self.value_type == "nominal":
                    spent += row.amount
                    state = "used" if self.currency_id.is_zero(nominal - spent) else "active"
                else:
                    state = "used"
            elif row.type == "reverse":
                if self.value_type == "nominal":
                    spent -= row.amount
                state = "active"
        spent = self.currency_id.round(spent)
        return {
            "state": state,
            "spent_amount": spent,
            "balance": self.currency_id.round(nominal - spent),
            "nominal_amount": nominal,
            "valid_from": valid_from,
            "valid_to": valid_to,
        }

    # Buttons -----------------------------------------------------------------

    def action_hand_over_button(self):
        return self.action_hand_over()

    def action_activate_button(self):
        return self.action_activate()

    def _vms_wizard(self, model, name, mode=None):
        context = {"active_model": "vms.voucher", "active_ids": self.ids}
        if mode:
            context["default_mode"] = mode
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": context,
        }

    def action_open_block(self):
        return self._vms_wizard("vms.voucher.block", _("Block Vouchers"), "block")

    def action_open_group_block(self):
        return self._vms_wizard("vms.voucher.block", _("Group Blocking"), "group_block")

    def action_open_unblock(self):
        return self._vms_wizard("vms.voucher.block", _("Unblock Vouchers"), "unblock")

    def action_open_change_validity(self):
        return self._vms_wizard("vms.voucher.validity", _("Change Validity"))

    def action_view_transactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "vms_loyalty.action_vms_voucher_transaction"
        )
        action["domain"] = [("voucher_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_download_pdf(self):
        """One PDF, one page per voucher, stored as an attachment and downloaded."""
        attachment = self._vms_pdf_attachment()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("PDF of %(count)s vouchers ready.", count=len(self)),
                "next": {
                    "type": "ir.actions.act_url",
                    "url": f"/web/content/{attachment.id}?download=true",
                    "target": "download",
                },
            },
        }

    def _vms_pdf_attachment(self):
        if not self:
            raise UserError(_("Select the vouchers to print."))
        pdf = self._vms_render_pdf()
        name = f"vouchers-{self.code}.pdf" if len(self) == 1 else f"vouchers-{len(self)}.pdf"
        return self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": pdf,
                "mimetype": "application/pdf",
                "res_model": "vms.voucher",
                "res_id": self[:1].id,
            }
        )

    def _vms_render_pdf(self):
        """Render the vouchers with their template (or the company's default)."""
        by_template = {}
        default_template = self.env["vms.voucher.template"]._vms_default_template()
        for voucher in self:
            template = voucher.template_id or voucher.campaign_id.template_id or default_template
            by_template.setdefault(template, self.browse())
            by_template[template] |= voucher
        # One template for the whole selection is the common case; mixed
        # selections are rendered template by template and concatenated in order.
        from odoo.tools.pdf import merge_pdf

        parts = [template._vms_render(vouchers) for template, vouchers in by_template.items()]
        return parts[0] if len(parts) == 1 else merge_pdf(parts)

    def _vms_send_by_mail(self, template=None):
        # sudo: the template is configuration the sender only picks; it is
        # rendered for vouchers the sender can read (checked below).
        template = (template or self.env.ref("vms_loyalty.mail_template_vms_voucher")).sudo()
        self.check_access("read")
        for voucher in self:
            attachment = voucher._vms_pdf_attachment()
            rendered = {
                field: template._render_field(field, voucher.ids)[voucher.id]
                for field in ("subject", "body_html")
            }
            voucher.message_post(
                subject=rendered["subject"],
                body=rendered["body_html"],
                partner_ids=voucher.partner_id.ids,
                attachment_ids=attachment.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        return True

    @api.model
    def _vms_expiring_soon_date(self):
        return fields.Date.context_today(self) + timedelta(days=30)
