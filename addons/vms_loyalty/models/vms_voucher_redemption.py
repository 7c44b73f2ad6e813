from odoo import _, fields, models

from ..exceptions import VmsError


class VmsVoucher(models.Model):
    """What the redemption engine needs from a voucher: its open holds and
    the part of a bill it may pay."""

    _inherit = "vms.voucher"

    redemption_ids = fields.One2many("vms.redemption", "voucher_id", string="Redemptions")
    redemption_count = fields.Integer(compute="_compute_redemption_count")

    def _compute_redemption_count(self):
        counts = dict(
            self.env["vms.redemption"]._read_group(
                [("voucher_id", "in", self.ids)], ["voucher_id"], ["__count"]
            )
        )
        for voucher in self:
            voucher.redemption_count = counts.get(voucher, 0)

    def _vms_held_amount(self, exclude=None):
        """Amount reserved by open, unexpired holds of other sales."""
        self.ensure_one()
        self.env["vms.redemption"].flush_model()
        self.env.cr.execute(
            """
            SELECT COALESCE(SUM(amount), 0) FROM vms_redemption
             WHERE voucher_id = %s AND state = 'held'
               AND expires_at > now() at time zone 'UTC' AND id != %s
            """,
            [self.id, exclude.id if exclude else 0],
        )
        return self.env.cr.fetchone()[0]

    def _vms_check_presentation(self, method, pin=None):
        """Refuse a voucher presented in a way it is not redeemed by (its
        "Redeemed by" flags), or without its right PIN.

        ``method`` is how the code came (see ``_vms_find_presented``). The code
        itself, typed or read from its Code 128 or QR symbol, is accepted when
        either of those is allowed, or with the PIN of an e-voucher. A voucher
        with a PIN needs it, whichever way it comes; a PIN given for a voucher
        without one is ignored. Wrong PINs are throttled, see
        ``vms.voucher.pin.failure``.
        """
        self.ensure_one()
        by_code = self.redeem_barcode or self.redeem_qr
        allowed = {
            "external": self.redeem_external_qr,
            "barcode": self.redeem_barcode,
            "code": by_code or self.redeem_pin,
        }[method]
        if not allowed:
            raise VmsError(
                "method_not_allowed",
                _("Voucher %(code)s is not redeemed this way.", code=self.code),
                http_status=403,
            )
        if not (self.redeem_pin and self.has_pin):
            if method == "code" and not by_code:
                raise VmsError(
                    "pin_not_set",
                    _("Voucher %(code)s is redeemed by PIN but has none yet.", code=self.code),
                    http_status=403,
                )
            return
        if pin is None:
            raise VmsError(
                "pin_required",
                _("Voucher %(code)s is an e-voucher: give its PIN with the code.", code=self.code),
                http_status=403,
            )
        self.env["vms.voucher.pin.failure"].sudo()._vms_try(self, pin)

    def _vms_touch(self):
        """Write the locked row, so that a concurrent transaction that read it
        before this one commits gets a serialization failure and is retried
        (Odoo retries the request), instead of working on stale holds."""
        self.env.cr.execute(
            "UPDATE vms_voucher SET write_date = now() at time zone 'UTC' WHERE id = ANY(%s)",
            [self.ids],
            log_exceptions=False,  # a serialization failure here is expected and retried
        )

    def _vms_eligible_amount(self, amount, lines=None):
        """The part of ``amount`` this voucher may pay, given the order lines.

        ``lines`` are dicts with ``product`` (a ``product.product``), ``qty`` and
        ``price_unit``. A voucher scoped to an item or an item group pays at most
        the total of those lines; a discount voucher pays its discount of them.
        """
        self.ensure_one()
        currency = self.currency_id
        scoped_total = None
        if lines is not None and self.discount_scope in ("product", "category"):
            scoped_total = sum(
                line["qty"] * line["price_unit"] for line in lines if self._vms_line_in_scope(line)
            )
            if currency.is_zero(scoped_total):
                raise VmsError(
                    "no_eligible_items",
                    _(
                        "Voucher %(code)s applies to none of the items of this bill.",
                        code=self.code,
                    ),
                )
        if self.value_type == "discount":
            base = scoped_total if scoped_total is not None else amount
            if self.discount_type == "percent":
                discount = base * self.discount_value / 100.0
            else:
                discount = self.discount_value
            return currency.round(min(amount, base, discount))
        if scoped_total is not None:
            return currency.round(min(amount, scoped_total))
        return currency.round(amount)

    def _vms_line_in_scope(self, line):
        product = line.get("product")
        if not product:
            return False
        if self.discount_scope == "product":
            return product == self.discount_product_id
        return product.categ_id in self.env["product.category"].search(
            [("id", "child_of", self.discount_category_id.id)]
        )

    def _vms_pay_out_remainder(self, idempotency_key, **row_values):
        """Move what is left of this voucher to a new one (its child), and use
        this one up with a "remainder" row. Returns the new voucher."""
        self.ensure_one()
        remaining = self.balance
        child = (
            self.env["vms.voucher"]
            .sudo()
            .with_context(tracking_disable=True)
            .create(
                {
                    "campaign_id": self.campaign_id.id,
                    "company_id": self.company_id.id,
                    "voucher_type": self.voucher_type,
                    "nominal_amount": remaining,
                    "partner_id": self.partner_id.id,
                    "card_id": self.card_id.id,
                    "card_bound": self.card_bound,
                    "bonus_points_accrue": self.bonus_points_accrue,
                    "valid_from": self.valid_from,
                    "valid_to": self.valid_to,
                    "template_id": self.template_id.id,
                    "parent_id": self.id,
                    "state": "active",
                    # Redeemed the same ways, an e-voucher with the same PIN.
                    "redeem_barcode": self.redeem_barcode,
                    "redeem_qr": self.redeem_qr,
                    "redeem_external_qr": self.redeem_external_qr,
                    "redeem_pin": self.redeem_pin,
                    "pin_hash": self.sudo().pin_hash,
                }
            )
        )
        self.with_context(tracking_disable=True)._vms_transition(
            "remainder",
            {"spent_amount": self.nominal_amount, "state": "used"},
            amount=remaining,
            idempotency_key=idempotency_key,
            reason=_("paid out as voucher %s", child.code),
            **row_values,
        )
        return child

    def action_view_redemptions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Redemptions of %s", self.code),
            "res_model": "vms.redemption",
            "view_mode": "list,form",
            "domain": [("voucher_id", "=", self.id)],
        }
