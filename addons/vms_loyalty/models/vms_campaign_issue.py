"""Vouchers a bill earns, decided once on the server for every channel.

The till calls :meth:`VmsCampaign._vms_issue_for_bill` when an order is paid;
the redemption panel and the API can call it the same way. It applies the
running campaigns of the store (progressive bill threshold, purchased-goods
quantity, the two-group gift campaign, club-card activation), the minimum
activation amount, at most ``vms_max_vouchers_per_bill`` vouchers printed on
one bill (seed: three) and at most ``max_vouchers_per_holder`` vouchers of one
promotion per holder (seed: five), and issues each voucher active with its
activation recorded (date, store, operator, bill) in its chronology.
"""

import math
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..exceptions import VmsError
from ..tools import lifecycle, rules

# Campaign kinds a bill earns vouchers from at the cash point.
ISSUING_KINDS = ("gift_threshold", "gift_quantity", "gift_campaign", "card_activation")
# Quantities are compared with this tolerance (weighed goods: 2.9999999 kg is 3 kg).
QTY_EPSILON = 1e-6


class VmsCampaign(models.Model):
    # Kept apart from the engine\'s files on purpose (one concern per file).
    _inherit = "vms.campaign"  # pylint: disable=consider-merging-classes-inherited

    min_activation_amount = fields.Monetary(
        string="Minimum Bill to Issue",
        currency_field="currency_id",
        help="A bill earns this campaign's vouchers only from this amount; they are "
        "activated on it (the voucher's minimum activation amount).",
    )
    issue_validity_days = fields.Integer(
        string="Validity of Issued Vouchers (days)",
        default=365,
        help="Vouchers issued at the cash point are valid from the day of the bill for this "
        "many days (never beyond the campaign's end date).",
    )

    _issue_terms_positive = models.Constraint(
        "CHECK(min_activation_amount >= 0 AND issue_validity_days >= 1)",
        "The minimum bill to issue cannot be negative and issued vouchers are valid at "
        "least one day.",
    )

    # ------------------------------------------------------------------
    # What a bill earns
    # ------------------------------------------------------------------

    @api.model
    def _vms_bill_awards(self, lines, bill_amount, *, card=None, store=None, when=None):
        """The vouchers a bill earns from the running campaigns of ``store``,
        before the per-bill and per-holder limits.

        ``lines`` are dicts with ``product`` (``product.product``), ``qty`` and
        ``price_unit``, as for redemption. Returns a list of dicts, one per
        voucher: ``campaign``, ``nominal``.
        """
        store = store or self.env.company
        campaigns = self.search(
            [
                ("state", "=", "running"),
                ("kind", "in", ISSUING_KINDS),
                ("company_id", "in", (store | store.parent_ids).ids),
            ],
            order="id",
        )
        awards = []
        for campaign in campaigns:
            if campaign.store_ids and store not in campaign.store_ids:
                continue
            if not campaign._vms_is_open(when):
                continue
            if (
                campaign.currency_id.compare_amounts(bill_amount, campaign.min_activation_amount)
                < 0
            ):
                continue
            awards += [
                {"campaign": campaign, "nominal": nominal}
                for nominal in campaign._vms_earned_nominals(lines, bill_amount, card)
            ]
        return awards

    def _vms_earned_nominals(self, lines, bill_amount, card):
        """Nominals of the vouchers this campaign gives for the bill."""
        self.ensure_one()
        if self.kind == "gift_threshold":
            nominal = self._vms_threshold_nominal(bill_amount)
            return [nominal] if nominal > 0 else []
        if self.kind in ("gift_quantity", "gift_campaign"):
            if self.issue_quantity <= 0 or self.issue_nominal <= 0:
                return []
            groups = self.env["product.category"].search(
                [("id", "child_of", self.issue_category_id.id)]
            )
            quantity = sum(
                line["qty"]
                for line in lines
                if line["qty"] > 0 and line["product"] and line["product"].categ_id in groups
            )
            count = math.floor(quantity / self.issue_quantity + QTY_EPSILON)
            return [self.issue_nominal] * count
        if self.kind == "card_activation" and card and card.state == "new":
            return [self.issue_nominal] if self.issue_nominal > 0 else []
        return []

    # ------------------------------------------------------------------
    # Issuing
    # ------------------------------------------------------------------

    @api.model
    def _vms_issue_for_bill(
        self,
        *,
        bill_ref,
        idempotency_key,
        lines,
        bill_amount,
        partner=None,
        card=None,
        sold=(),
        store=None,
        channel="pos",
        cash_point_serial=None,
        zeroing_number=None,
    ):
        """Issue the gift vouchers sold on a bill and the vouchers it earns.

        ``sold`` lists the gift vouchers bought on the bill, dicts with
        ``campaign`` and ``nominal`` (and ``validity_days``): they are bearer
        vouchers (a present for someone) and count first against the vouchers
        printed per bill; selling more than that is refused. Earned vouchers
        belong to the customer (the club card's holder, else ``partner``);
        those over a limit are not issued and said why in ``refused``.

        A new club card presented on the bill (state "new") is activated.

        Returns ``{"vouchers": vms.voucher, "refused": [messages]}``. A retry
        with the same ``idempotency_key`` returns the vouchers of the first
        call and issues nothing.
        """
        rules.check_key(self.env, idempotency_key)
        store = store or self.env.company
        Voucher = self.env["vms.voucher"]
        limit = store.vms_max_vouchers_per_bill
        # sudo: the chronology is searched for this call's own rows only, by
        # their exact keys (the unique index answers; no pattern scan).
        Transaction = self.env["vms.voucher.transaction"].sudo()
        if Transaction.search_count([("idempotency_key", "=", f"{idempotency_key}:1")]):
            done = Transaction.search(
                [
                    (
                        "idempotency_key",
                        "in",
                        [f"{idempotency_key}:{i}" for i in range(1, (limit or 1000) + 1)],
                    )
                ],
                order="id",
            )
            return {"vouchers": done.voucher_id.with_env(self.env), "refused": []}
        sold = list(sold)
        if limit and len(sold) > limit:
            raise VmsError(
                "too_many_vouchers_per_bill",
                _(
                    "At most %(limit)s vouchers are printed on one bill: sell the other gift "
                    "vouchers on another bill.",
                    limit=limit,
                ),
            )
        for entry in sold:
            campaign = entry["campaign"]
            if campaign.state != "running" or not campaign._vms_is_open():
                raise VmsError(
                    "campaign_closed",
                    _(
                        "Gift vouchers of campaign %(campaign)s cannot be sold now: the "
                        "campaign is not running.",
                        campaign=campaign.display_name,
                    ),
                )
        holder = (card and card.partner_id) or partner or self.env["res.partner"]
        awards = self._vms_bill_awards(lines, bill_amount, card=card, store=store)
        room = limit - len(sold) if limit else math.inf
        per_holder = {}
        accepted, refused = [], []
        for award in awards:
            campaign = award["campaign"]
            if room <= 0:
                refused.append(
                    _(
                        "%(campaign)s: no voucher issued, at most %(limit)s vouchers are "
                        "printed on one bill.",
                        campaign=campaign.display_name,
                        limit=limit,
                    )
                )
                continue
            if holder and campaign.max_vouchers_per_holder:
                if campaign not in per_holder:
                    per_holder[campaign] = campaign._vms_holder_count(holder)
                if per_holder[campaign] >= campaign.max_vouchers_per_holder:
                    refused.append(
                        _(
                            "%(campaign)s: no voucher issued, %(holder)s already holds the "
                            "%(limit)s vouchers of this promotion one holder may receive.",
                            campaign=campaign.display_name,
                            holder=holder.display_name,
                            limit=campaign.max_vouchers_per_holder,
                        )
                    )
                    continue
                per_holder[campaign] += 1
            accepted.append(award)
            room -= 1
        if card and card.state == "new":
            # sudo: a cashier activates the card presented on the bill; the card
            # itself is configuration the cashier may only read.
            card.sudo().action_activate()
        specs = [self._vms_sold_values(entry, store) for entry in sold] + [
            award["campaign"]._vms_earned_values(award["nominal"], holder, card, store)
            for award in accepted
        ]
        vouchers = Voucher
        for index, values in enumerate(specs, start=1):
            # sudo: vouchers are created here by the engine for the bill the
            # caller sells; the chronology keeps the caller as the operator.
            voucher = Voucher.sudo().with_company(store).create(values)
            voucher.with_context(tracking_disable=True)._vms_activate(
                bill_amount,
                channel=channel,
                bill_ref=bill_ref,
                store_id=store.id,
                cash_point_serial=cash_point_serial,
                zeroing_number=zeroing_number,
                idempotency_key=f"{idempotency_key}:{index}",
            )
            vouchers |= voucher
        return {"vouchers": vouchers.with_env(self.env), "refused": refused}

    def _vms_holder_count(self, holder):
        """Vouchers of this campaign the holder already has (remainders left out)."""
        self.ensure_one()
        # sudo: counts the holder's vouchers in every company for the limit, returns no data.
        return (
            self.env["vms.voucher"]
            .sudo()
            .search_count(
                [
                    ("campaign_id", "=", self.id),
                    ("partner_id", "=", holder.id),
                    ("parent_id", "=", False),
                ]
            )
        )

    def _vms_validity(self, days, store):
        # The store's date, not the operator's: a till past midnight UTC is still today.
        today = store._vms_today()
        valid_to = today + timedelta(days=max(days, 1) - 1)
        if self.date_end and self.date_end < valid_to:
            valid_to = max(self.date_end, today)
        return today, valid_to

    @api.model
    def _vms_sold_values(self, entry, store):
        campaign = entry["campaign"]
        nominal = entry["nominal"]
        if campaign.currency_id.compare_amounts(nominal, 0) <= 0:
            raise ValidationError(_("A gift voucher is sold for a positive amount."))
        valid_from, valid_to = campaign._vms_validity(
            entry.get("validity_days") or campaign.issue_validity_days, store
        )
        return {
            "campaign_id": campaign.id,
            "company_id": campaign.company_id.id,
            "voucher_type": "gift",
            "nominal_amount": campaign.currency_id.round(nominal),
            "valid_from": valid_from,
            "valid_to": valid_to,
            "template_id": campaign.template_id.id,
        }

    def _vms_earned_values(self, nominal, holder, card, store):
        self.ensure_one()
        valid_from, valid_to = self._vms_validity(self.issue_validity_days, store)
        values = {
            "campaign_id": self.id,
            "company_id": self.company_id.id,
            "voucher_type": self.voucher_type,
            "nominal_amount": nominal,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "partner_id": holder.id,
            "card_id": card.id if card else False,
            "card_bound": bool(card) and self.kind == "card_activation",
            "min_activation_amount": self.min_activation_amount,
            "template_id": self.template_id.id,
        }
        if self.kind == "gift_campaign":
            # The two-group campaign: its vouchers pay only for the spending group.
            values.update(discount_scope="category", discount_category_id=self.spend_category_id.id)
        return values

    # ------------------------------------------------------------------
    # Refunded bills
    # ------------------------------------------------------------------

    @api.model
    def _vms_withdraw_issued(self, vouchers, reason):
        """A bill that issued ``vouchers`` was refunded: withdraw those not
        used yet (blocked for good, blocked already or not). Returns
        ``(blocked, used)``: the vouchers withdrawn now, and those already
        (partly) spent or held, which stay as they are."""
        blocked = used = self.env["vms.voucher"]
        for voucher in vouchers:
            if not voucher._vms_is_untouched():
                used |= voucher
            elif not voucher.withdrawn and lifecycle.allowed("withdraw", voucher.state):
                blocked |= voucher
        if blocked:
            # sudo: the engine withdraws the vouchers of a bill the caller was
            # allowed to refund.
            blocked.sudo().with_context(tracking_disable=True)._vms_withdraw(reason)
        return blocked, used
