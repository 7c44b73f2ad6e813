from collections.abc import Iterable
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain

from ..exceptions import VmsError, VmsInvalid
from ..tools import lifecycle

VOUCHER_STATES = [
    ("generated", "Generated"),
    ("handed_over", "Handed Over"),
    ("active", "Active"),
    ("blocked", "Blocked"),
    ("used", "Used"),
]

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
        "withdrawn",
        "company_id",
    }
)
# Lifecycle fields a voucher never has when it is created.
NOT_AT_CREATION = frozenset(
    {
        "state_before_block",
        "spent_amount",
        "activation_date",
        "activation_store_id",
        "activation_user_id",
        "block_reason",
        "withdrawn",
    }
)
# Identity token proving a write comes from a lifecycle method. An RPC client can
# put any JSON in a context, never this object.
_LIFECYCLE = object()


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
    the same database transaction, as the table of ``tools/lifecycle.py``
    says; :meth:`_vms_replay` folds the rows through the same table. Its
    terms are those of ``vms.voucher.terms``; spending goes through the
    redemption engine (``vms.redemption``), which locks the row.
    """

    _name = "vms.voucher"
    _description = "Voucher"
    _inherit = [
        "vms.voucher.terms",
        "vms.voucher.codes",
        "vms.voucher.pin",
        "vms.voucher.printing",
        "vms.voucher.balance",
        "mail.thread",
        "mail.activity.mixin",
    ]
    _order = "id desc"
    _rec_name = "code"
    _check_company_auto = True
    _mail_post_access = "read"

    code = fields.Char(required=True, readonly=True, copy=False, index=False, tracking=True)
    barcode = fields.Char(
        string="EAN-13 Number",
        readonly=True,
        copy=False,
        help="Numeric payload of EAN-13 vouchers, drawn at random under the in-store prefix; "
        "Code 128 and QR vouchers carry the code.",
    )
    barcode_payload = fields.Char(compute="_compute_barcode_payload")
    barcode_format = fields.Selection(related="company_id.vms_barcode_format")
    qr_payload = fields.Char(compute="_compute_qr_payload", string="QR Payload")
    external_qr_payload = fields.Char(
        string="External QR Payload",
        copy=False,
        help="Code of a third party (partner shop, issuer app) mapped to this voucher.",
    )
    kind = fields.Selection(
        [("company", "Company-wide"), ("branch", "Branch")],
        compute="_compute_kind",
        store=True,
        help="Set from the issuing company: a branch's vouchers are the branch's own.",
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
    withdrawn = fields.Boolean(
        readonly=True,
        copy=False,
        help="Blocked for good: the bill that issued it, or the points that bought it, were "
        "refunded. It cannot be unblocked; a new voucher is issued instead.",
    )
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
    template_id = fields.Many2one(check_company=True)
    valid_from = fields.Date(tracking=True)
    valid_to = fields.Date(tracking=True)
    nominal_amount = fields.Monetary(tracking=True)
    issue_date = fields.Datetime(default=fields.Datetime.now, readonly=True, copy=False)
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
    currency_id = fields.Many2one("res.currency", related="company_id.currency_id")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    card_id = fields.Many2one(
        "vms.card", string="Club Card", index="btree_not_null", check_company=True, tracking=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Holder", index="btree_not_null", tracking=True
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
    redemption_ids = fields.One2many("vms.redemption", "voucher_id", string="Redemptions")
    redemption_count = fields.Integer(compute="_compute_redemption_count")

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

    def init(self):
        # Vouchers are written in batches of thousands, then each updated in
        # place at every spend (spent amount, balance: not indexed). Room left
        # on each page lets PostgreSQL keep such an update on its page without
        # a new entry in each of the table's nine indexes (a HOT update). It
        # applies to the pages written from now on.
        self.env.cr.execute("ALTER TABLE vms_voucher SET (fillfactor = 80)")

    # Computes ----------------------------------------------------------------

    @api.depends("code", "barcode")
    def _compute_barcode_payload(self):
        for voucher in self:
            voucher.barcode_payload = voucher.barcode or voucher.code

    @api.depends("code", "balance", "valid_from", "valid_to", "card_id", "state")
    def _compute_qr_payload(self):
        # The QR carries a payload signed by the server (vms.signing.key), so
        # that a till cut off from the server can still trust the voucher.
        # The key is looked up once for all of them, not once a voucher.
        keys = self.env["vms.signing.key"]
        key = keys._vms_current() if any(self.mapped("code")) else None
        for voucher in self:
            signed = keys._vms_sign_voucher(voucher, key) if key and voucher.code else None
            voucher.qr_payload = signed or voucher.code

    @api.depends("company_id.parent_id")
    def _compute_kind(self):
        for voucher in self:
            voucher.kind = "branch" if voucher.company_id.parent_id else "company"

    @api.depends("nominal_amount", "spent_amount")
    def _compute_balance(self):
        for voucher in self:
            voucher.balance = voucher.nominal_amount - voucher.spent_amount

    @api.depends("valid_from", "valid_to")
    @api.depends_context("company", "allowed_company_ids")
    def _compute_validity_status(self):
        # The day at the store where one looks (and redeems), never the user's
        # own time zone; the same day the search and the engine count with.
        today = self.env["res.company"]._vms_current()._vms_today()
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
        today = self.env["res.company"]._vms_current()._vms_today()
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
        today = self.env["res.company"]._vms_current()._vms_today()
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

    def _compute_redemption_count(self):
        counts = dict(
            self.env["vms.redemption"]._read_group(
                [("voucher_id", "in", self.ids)], ["voucher_id"], ["__count"]
            )
        )
        for voucher in self:
            voucher.redemption_count = counts.get(voucher, 0)

    # Constraints -------------------------------------------------------------

    def _vms_terms_label(self):
        return _("Voucher %(code)s", code=self.code)

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
        """Single vouchers from a form, an import or a till: code and barcode
        drawn or checked, and the generate (and activate) rows written. Bulk
        generation uses SQL instead, see ``vms.voucher.batch``."""
        # The caller's dicts are left alone: a code drawn for one voucher must
        # not be reused by a caller that creates another from the same values.
        vals_list = [dict(vals) for vals in vals_list]
        # A context default counts as a given value: an RPC client may send any.
        context = self.env.context
        initial_states = []
        for vals in vals_list:
            # What only the chronology gives a voucher (a spent amount, a block,
            # a withdrawal, an activation) is not given at its creation.
            given = sorted(
                name
                for name in NOT_AT_CREATION
                if (vals[name] if name in vals else context.get(f"default_{name}"))
            )
            if given:
                raise ValidationError(
                    _(
                        "A new voucher starts unspent and unblocked: %(fields)s come from its "
                        "operations, not from its creation.",
                        fields=", ".join(given),
                    )
                )
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            if vals.get("code"):
                vals["code"] = self._vms_parse_code(vals["code"], company)
            else:
                vals["code"] = self._vms_new_codes(company, 1)[0]
            if company.vms_barcode_format == "ean13" and not vals.get("barcode"):
                vals["barcode"] = self._vms_new_barcodes(1)[0]
            if vals.get("external_qr_payload"):
                # Mapping a third party's payload means taking it.
                vals.setdefault("redeem_external_qr", True)
            state = vals.get("state") or context.get("default_state") or "generated"
            if state not in ("generated", "active"):
                raise ValidationError(
                    _(
                        "A new voucher is either generated or active, not %(state)s.",
                        state=self._vms_state_label(state),
                    )
                )
            initial_states.append(state)
            vals["state"] = "generated"  # an active one is activated below, with its row
        vouchers = super(VmsVoucher, _lifecycle(self)).create(vals_list)
        vouchers._vms_log("generate", amount_field="nominal_amount", with_validity=True)
        to_activate = vouchers.browse(
            [v.id for v, state in zip(vouchers, initial_states, strict=True) if state == "active"]
        )
        if to_activate:
            to_activate._vms_transition("activate", activation=True)
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

    # Lifecycle ---------------------------------------------------------------

    def _vms_state_label(self, state=None):
        labels = dict(self._fields["state"]._description_selection(self.env))
        return labels.get(state or self.state, state)

    def _vms_require(self, group_xmlid):
        if not self.env.su and not self.env.user.has_group(group_xmlid):
            group = self.env.ref(group_xmlid)
            raise AccessError(_("Only %(group)s may do this with vouchers.", group=group.name))

    def _vms_check_transition(self, operation):
        for voucher in self:
            if not lifecycle.allowed(operation, voucher.state, voucher.withdrawn):
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

    def _vms_lifecycle_state(self):
        self.ensure_one()
        return lifecycle.VoucherState(
            self.state,
            self.state_before_block or None,
            self.withdrawn,
            self.nominal_amount,
            self.spent_amount,
            self.valid_from,
            self.valid_to,
        )

    def _vms_transition(self, operation, amount=0.0, extra=None, activation=False, **row_values):
        """Check ``operation`` against the lifecycle table, apply what the table
        says (and ``extra`` values), and write one chronology row per voucher,
        in this transaction. Returns the rows."""
        self._vms_check_transition(operation)
        # sudo: the caller's rights were checked by the public action (group and
        # record rules); the chronology row keeps the real operator.
        self.check_access("read")
        # Vouchers that change alike are written together (a group blocking
        # touches a whole campaign).
        by_change = {}
        for voucher in self:
            money = voucher.company_id._vms_store().money
            after = lifecycle.apply(
                voucher._vms_lifecycle_state(),
                operation,
                money,
                voucher.value_type,
                amount=amount,
                valid_from=row_values.get("valid_from", False),
                valid_to=row_values.get("valid_to", False),
            )
            values = {
                "state": after.state,
                "state_before_block": after.before_block or False,
                "withdrawn": after.withdrawn,
                "spent_amount": after.spent,
                "valid_from": after.valid_from,
                "valid_to": after.valid_to,
                **(extra or {}),
            }
            if activation:
                values.update(
                    activation_date=fields.Datetime.now(),
                    activation_store_id=row_values.get("store_id") or self.env.company.id,
                    activation_user_id=self.env.uid,
                )
            changed = {
                name: value
                for name, value in values.items()
                if voucher._fields[name].convert_to_write(voucher[name], voucher) != value
            }
            if changed:
                by_change.setdefault(tuple(sorted(changed.items())), []).append(voucher.id)
        for key, ids in by_change.items():
            changed = _lifecycle(self.browse(ids).sudo())
            changed.write(dict(key))
            # Stamped by this operator: Odoo stamps write_uid when it flushes.
            changed.flush_recordset()
        return self._vms_log(operation, amount=amount, **row_values)

    def _vms_log(self, operation, amount_field=None, with_validity=False, **row_values):
        """Append one chronology row per voucher (the one writer of rows)."""
        vals_list = []
        for voucher in self:
            vals = {
                "voucher_id": voucher.id,
                "company_id": voucher.company_id.id,
                "type": operation,
                "store_id": self.env["res.company"]._vms_current().id,
                "user_id": self.env.uid,
                **row_values,
            }
            if amount_field:
                vals["amount"] = voucher[amount_field]
            if with_validity:
                vals["valid_from"] = voucher.valid_from
                vals["valid_to"] = voucher.valid_to
            vals_list.append(vals)
        return self.env["vms.voucher.transaction"]._vms_append(vals_list)

    def action_hand_over(self, partner=None, card=None):
        """Give the vouchers to a customer (optionally recording who and which card)."""
        self._vms_require("vms_loyalty.group_vms_user")
        self._vms_check_transition("hand_over")
        if partner or card:
            holder = {"partner_id": (partner or card.partner_id).id}
            if card:
                holder["card_id"] = card.id
            self.check_access("read")
            self.sudo().write(holder)  # the holder limit is checked by its constraint
        self._vms_transition("hand_over", channel="backoffice")
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
                currency = voucher.currency_id
                if currency.compare_amounts(bill_amount, voucher.min_activation_amount) < 0:
                    raise VmsError(
                        "below_min_activation",
                        _(
                            "Voucher %(code)s is activated from a bill of %(minimum)s, "
                            "not %(amount)s.",
                            code=voucher.code,
                            minimum=currency.format(voucher.min_activation_amount),
                            amount=currency.format(bill_amount),
                        ),
                    )
            row_values["bill_amount"] = bill_amount
        row_values.setdefault("channel", "backoffice")
        self._vms_transition("activate", activation=True, **row_values)
        return True

    def action_block(self, reason=None, group=False):
        self._vms_require("vms_loyalty.group_vms_manager")
        if not reason:
            raise UserError(_("Say why the vouchers are blocked."))
        self._vms_transition(
            "group_block" if group else "block",
            extra={"block_reason": reason},
            reason=reason,
            channel="backoffice",
        )
        return True

    def _vms_is_untouched(self):
        """Neither used, nor (partly) spent, nor taken by a redemption now:
        what a refund of the voucher's own purchase may take back."""
        self.ensure_one()
        return (
            self.state != "used"
            and self.currency_id.is_zero(self.spent_amount)
            and not any(hold._vms_takes_balance() for hold in self.redemption_ids)
        )

    def _vms_withdraw(self, reason):
        """Block for good (see ``withdrawn``): what paid for these vouchers
        was given back. The engine's call, for a refund it allowed."""
        self._vms_transition(
            "withdraw",
            extra={"block_reason": reason},
            reason=reason,
            channel="system",
        )

    def action_unblock(self, reason=None):
        self._vms_require("vms_loyalty.group_vms_manager")
        if not reason:
            raise UserError(_("Say why the vouchers are unblocked."))
        withdrawn = self.filtered("withdrawn")
        if withdrawn:
            raise UserError(
                _(
                    "Voucher %(codes)s was withdrawn when what paid for it was refunded: it "
                    "stays blocked. Issue a new voucher instead.",
                    codes=", ".join(withdrawn[:5].mapped("code")),
                )
            )
        self._vms_transition(
            "unblock", extra={"block_reason": False}, reason=reason, channel="backoffice"
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

    def _vms_replay(self):
        """State (and the one before a block, and whether withdrawn), spent
        amount, balance and validity rebuilt from the chronology.

        Only recorded rows count, in the order they were written, folded
        through the lifecycle table; must equal the stored values (invariant
        2), which the tests check after every operation.
        """
        self.ensure_one()
        rows = (
            self.env["vms.voucher.transaction"]
            .sudo()
            .search([("voucher_id", "=", self.id), ("state", "=", "recorded")], order="id")
        )
        money = self.company_id._vms_store().money
        state = lifecycle.replay(
            ((row.type, row.amount, row.valid_from, row.valid_to) for row in rows),
            money,
            self.value_type,
        )
        return {
            "state": state.state,
            "state_before_block": state.before_block or False,
            "withdrawn": state.withdrawn,
            "spent_amount": state.spent,
            "balance": money.round(state.nominal - state.spent),
            "nominal_amount": state.nominal,
            "valid_from": state.valid_from,
            "valid_to": state.valid_to,
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

    @api.model
    def _vms_expiring_soon_date(self):
        return self.env["res.company"]._vms_current()._vms_today() + timedelta(days=30)
