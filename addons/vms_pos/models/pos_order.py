import base64
import io
from collections import defaultdict

import barcode
import qrcode
import qrcode.image.svg
from barcode.writer import SVGWriter
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.vms_loyalty.exceptions import VmsConflict, VmsError

from .pos_payment_method import otp_scope


def _svg_data_uri(svg_bytes):
    return "data:image/svg+xml;base64," + base64.b64encode(svg_bytes).decode()


def voucher_symbol(payload, symbology):
    """The voucher's barcode or QR code as an SVG data URI for the receipt."""
    buffer = io.BytesIO()
    if symbology == "qr":
        image = qrcode.make(payload, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
        image.save(buffer)
    else:
        name = "ean13" if symbology == "ean13" else "code128"
        value = payload[:12] if name == "ean13" else payload
        symbol = barcode.get(name, value, writer=SVGWriter())
        symbol.write(buffer, options={"module_height": 10.0, "font_size": 0, "quiet_zone": 2})
    return _svg_data_uri(buffer.getvalue())


class PosOrder(models.Model):
    """The order's sync settles its vouchers, in the sync's own transaction.

    When the till syncs a paid order, ``_process_order`` (after Odoo saved the
    order) confirms each voucher payment's hold, keyed by the order's and the
    payment's uuids, reverses the voucher payments of a refund, and issues the
    vouchers the bill sold or earned. Draft orders (Odoo syncs them too, over
    and over) settle nothing. A retried sync of an order already paid is
    skipped by Odoo before it gets here, and every engine call is idempotent
    on its key, so nothing is spent or issued twice; anything refused rolls
    the whole sync back, except a hold that expired and cannot be taken
    again: then the order is saved and the conflict reported.
    """

    _name = "pos.order"
    _inherit = ["pos.order", "vms.pos.order.points"]

    vms_card_id = fields.Many2one(
        "vms.card", string="Club Card", readonly=True, index="btree_not_null", copy=False
    )
    vms_note = fields.Text(
        string="Voucher Notes",
        readonly=True,
        copy=False,
        help="What the sync has to tell the cashier: vouchers not issued over a limit, "
        "conflicts, vouchers blocked by a refund.",
    )
    vms_issued_voucher_ids = fields.One2many(
        "vms.voucher", "pos_order_id", string="Issued Vouchers", readonly=True
    )
    vms_receipt = fields.Json(
        string="Vouchers on the Receipt",
        compute="_compute_vms_receipt",
        help="The issued vouchers and voucher payments, as the till prints them.",
    )

    # ------------------------------------------------------------------
    # The receipt
    # ------------------------------------------------------------------

    @api.depends("vms_issued_voucher_ids", "payment_ids", "vms_points_receipt")
    def _compute_vms_receipt(self):
        holds_by_order = defaultdict(lambda: self.env["vms.redemption"])
        uuids = [order.uuid for order in self if order.uuid and order.state != "draft"]
        if uuids:
            holds = self.env["vms.redemption"].search(
                [("pos_order_uuid", "in", uuids), ("state", "=", "confirmed")]
            )
            for hold in holds:
                holds_by_order[hold.pos_order_uuid] |= hold
        for order in self:
            if order.state == "draft":
                order.vms_receipt = False
                continue
            holds = holds_by_order[order.uuid]
            # Points turned into vouchers at the till are printed with the others.
            vouchers = (
                order.vms_issued_voucher_ids
                | holds.remainder_voucher_id
                | holds.sudo().points_voucher_id.with_env(self.env)
            )
            order.vms_receipt = {
                "vouchers": [order._vms_receipt_voucher(v) for v in vouchers.sorted("id")],
                "payments": [
                    {
                        "payment_uuid": hold.pos_payment_uuid,
                        "code": hold.code,
                        "amount": hold.amount,
                        "balance": hold.voucher_id.balance,
                    }
                    for hold in holds.filtered(lambda h: h.kind == "voucher")
                ],
                "points": order._vms_receipt_points(holds),
                "offline": [
                    {
                        "payment_uuid": payment.uuid,
                        "code": payment.vms_tender.get("code"),
                        "state": payment.vms_tender.get("state") or "pending",
                    }
                    for payment in order.payment_ids
                    if isinstance(payment.vms_tender, dict) and payment.vms_tender.get("offline")
                ],
                "note": order.vms_note or "",
            }

    def _vms_receipt_voucher(self, voucher):
        company = voucher.company_id
        symbology = company.vms_barcode_format or "code128"
        # The QR carries the signed payload a till can check offline.
        payload = {"ean13": voucher.barcode_payload, "qr": voucher.qr_payload}.get(
            symbology, voucher.code
        )
        return {
            "code": voucher.code,
            "symbology": symbology,
            "symbol": voucher_symbol(payload, symbology),
            "nominal": voucher.nominal_amount,
            "nominal_text": voucher.currency_id.format(voucher.nominal_amount),
            "valid_from": fields.Date.to_string(voucher.valid_from) if voucher.valid_from else "",
            "valid_to": fields.Date.to_string(voucher.valid_to) if voucher.valid_to else "",
            "campaign": voucher.campaign_id.name,
            "bill_text": voucher.campaign_id.bill_text or "",
            "holder": voucher.partner_id.name or "",
            "card": voucher.card_id.number or "",
            "sold": bool(voucher.pos_order_line_id),
        }

    # ------------------------------------------------------------------
    # The sync
    # ------------------------------------------------------------------

    @api.model
    def _process_order(self, order, existing_order):
        order_id = super()._process_order(order, existing_order)
        pos_order = self.browse(order_id)
        if pos_order.state not in ("draft", "cancel"):
            # In the till's store: the engine takes it from env.company, which
            # is the cashier's, not necessarily the till's.
            pos_order.with_company(pos_order.company_id)._vms_settle()
        return order_id

    def _vms_settle(self):
        """Confirm, reverse and issue the vouchers of a paid order."""
        self.ensure_one()
        notes = []
        payments = self.payment_ids.filtered(lambda p: p._vms_is_voucher())
        spends = payments.filtered(lambda p: self.currency_id.compare_amounts(p.amount, 0) > 0)
        refunds = payments - spends
        points = self.payment_ids.filtered(
            lambda p: p._vms_is_points() and self.currency_id.compare_amounts(p.amount, 0) > 0
        )
        if spends:
            notes += self._vms_confirm_spends(spends)
        if points:
            notes += self._vms_confirm_points(points)
        if refunds:
            notes += self._vms_refund_payments(refunds)
        if self.lines.refunded_orderline_id or self.payment_ids.filtered(
            lambda p: p._vms_is_points() and p.amount < 0
        ):
            notes += self._vms_refund_points()
        else:
            notes += self._vms_earn_points()
        if self.currency_id.compare_amounts(self.amount_total, 0) >= 0:
            notes += self._vms_issue_vouchers()
        if self.lines.refunded_orderline_id:
            notes += self._vms_withdraw_refunded()
        if notes:
            self.vms_note = "\n".join(notes)

    def _vms_keys_base(self, payment):
        return f"pos:{self.uuid}:{payment.uuid}"

    def _vms_sale_proof(self):
        """What the saved order proves: the engine checks the holds against it."""
        lines = [
            {"product": line.product_id, "qty": line.qty, "subtotal": line.price_subtotal_incl}
            for line in self.lines
            if line.qty
        ]
        return self.env["pos.payment.method"]._vms_pos_proof(
            lines, self.amount_total, self.partner_id, self._vms_card(), self.currency_id
        )

    def _vms_card(self):
        card = self.vms_card_id
        if card and card.company_id not in (self.company_id | self.company_id.parent_ids):
            return self.env["vms.card"]
        return card

    def _vms_till_row(self):
        return {
            "bill_amount": self.amount_total,
            "cash_point_serial": self.config_id.name,
            "zeroing_number": self.session_id.name,
        }

    def _vms_confirm_spends(self, payments):
        if self.currency_id.compare_amounts(sum(payments.mapped("amount")), self.amount_total) > 0:
            raise VmsError(
                "voucher_change",
                _(
                    "Vouchers pay at most the bill (%(total)s): no change is given on a "
                    "voucher. Lower the voucher payment.",
                    total=self.currency_id.format(self.amount_total),
                ),
            )
        # Vouchers accepted while the till was offline have no hold: replayed below.
        Offline = self.env["vms.pos.offline"]
        offline = payments.filtered(Offline._vms_is_offline)
        payments -= offline
        holds, found = {}, self._vms_payment_holds(payments)
        for payment in payments:
            hold = found[payment]
            if not hold:
                raise VmsError(
                    "hold_not_found",
                    _(
                        "The voucher payment of %(amount)s has no hold at the server; remove "
                        "it and take the voucher again.",
                        amount=self.currency_id.format(payment.amount),
                    ),
                )
            if self.currency_id.compare_amounts(hold.amount, payment.amount) != 0:
                raise VmsError(
                    "amount_changed",
                    _(
                        "Voucher %(code)s holds %(held)s, the payment line says %(amount)s: "
                        "remove the line and take the voucher again.",
                        code=hold.code,
                        held=hold.currency_id.format(hold.amount),
                        amount=self.currency_id.format(payment.amount),
                    ),
                )
            holds[payment] = hold
        sale = self._vms_sale_proof()

        def confirm(payment, hold, key, otp):
            current, confirm_key = hold, f"{key}:confirm"
            if hold.pos_fingerprint != sale["fingerprint"]:
                current = self._vms_hold_again(hold, sale, f"{key}:resync", payment)
                confirm_key = f"{key}:resync:confirm"
            current._vms_confirm(confirm_key, verified_otp=otp, **self._vms_till_row())

        def retake(payment, hold, key, otp):
            return self._vms_retake(hold, sale, key, payment, otp)[1]

        notes = self._vms_confirm_holds(holds, confirm, retake)
        if offline:
            notes += Offline._vms_replay(self, offline, sale)
        return notes

    def _vms_confirm_holds(self, holds, confirm, retake):
        """Confirm the holds of the order's loyalty payments (payment -> hold)
        in its sync: ``confirm(payment, hold, key, otp)`` a live one,
        ``retake(payment, hold, key, otp)`` one that lapsed before the sync
        (it may return a note for the order). Returns the notes."""
        approvals = self._vms_otp_approvals(list(holds.values()))
        notes = []
        now = fields.Datetime.now()
        for payment, hold in holds.items():
            if hold.state == "confirmed":
                continue
            key = self._vms_keys_base(payment)
            otp = approvals.get(hold.id)
            if hold.state == "held" and hold.expires_at > now:
                confirm(payment, hold, key, otp)
                continue
            note = retake(payment, hold, key, otp)
            if note:
                notes.append(note)
        return notes

    def _vms_otp_approvals(self, holds):
        """hold id -> the verified OTP the holder approved it with, for the
        holders whose vouchers pay the OTP minimum or more on the order (see
        ``otp_scope``); a refusal when one is missing."""
        by_holder = defaultdict(lambda: self.env["vms.redemption"])
        # The holder's other loyalty tenders on the order count too (vouchers
        # and points, confirmed earlier in this sync or not).
        for hold in [*holds, *self._vms_other_loyalty_holds(holds)]:
            # The balance's company sets the OTP rules (read as the engine reads
            # them: a branch's till may not read its head office).
            if hold.partner_id and hold.company_id._vms_store().otp_mandatory:
                by_holder[hold.partner_id] |= hold
        wanted = {hold.id for hold in holds if hold.state != "confirmed"}
        approvals = {}
        for holder_holds in by_holder.values():
            store = holder_holds[0].company_id._vms_store()
            currency = holder_holds[0].currency_id
            total = sum(holder_holds.mapped("amount"))
            if currency.compare_amounts(total, store.otp_min_amount) < 0:
                continue
            for hold in holder_holds.filtered(lambda h: h.id in wanted):
                scope = otp_scope(hold, holder_holds)
                # sudo: the approval's terms are checked, the OTP itself stays hidden.
                otp = hold.sudo().pos_otp_id
                if (
                    not otp
                    or otp.state != "verified"
                    or currency.compare_amounts(otp.amount, sum(scope.mapped("amount"))) < 0
                    or any(h.sudo().pos_otp_id != otp for h in scope)
                ):
                    raise VmsError(
                        "otp_required",
                        _(
                            "%(amount)s paid by vouchers or points of one customer needs the "
                            "code sent to the customer's mobile: use Generate OTP on the "
                            "payment line.",
                            amount=currency.format(total),
                        ),
                        http_status=403,
                    )
                approvals[hold.id] = otp
        return approvals

    def _vms_hold_again(self, hold, sale, key, payment):
        """The order changed since the hold was made: check it again against
        the saved order (release and hold anew, in this transaction)."""
        hold._vms_release()
        new = self.env["vms.redemption"]._vms_hold(
            hold.code,
            hold.amount,
            order_ref=hold.order_ref,
            idempotency_key=key,
            channel="pos",
            **sale["proof"],
        )
        if hold.currency_id.compare_amounts(new.amount, hold.amount) < 0:
            raise VmsError(
                "eligible_amount_changed",
                _(
                    "Voucher %(code)s may pay only %(amount)s of the order as it is now: remove "
                    "the voucher payment and take the voucher again.",
                    code=hold.code,
                    amount=hold.currency_id.format(new.amount),
                ),
            )
        self._vms_adopt(new, hold, sale, payment)
        return new

    def _vms_adopt(self, new, old, sale, payment):
        # sudo: the till's bookkeeping on the hold that replaces the payment's first one.
        new.sudo().write(
            {
                "pos_session_id": old.pos_session_id.id,
                "pos_order_uuid": old.pos_order_uuid,
                "pos_payment_uuid": old.pos_payment_uuid,
                "pos_fingerprint": sale["fingerprint"],
                "pos_otp_id": old.sudo().pos_otp_id.id,
            }
        )
        payment.transaction_id = str(new.id)

    def _vms_retake(self, hold, sale, key, payment, otp):
        """The hold expired before the sync: take it again if the balance still
        allows, else save the order and report the conflict."""
        try:
            with self.env.cr.savepoint():
                new = self.env["vms.redemption"]._vms_hold(
                    hold.code,
                    hold.amount,
                    order_ref=hold.order_ref,
                    idempotency_key=f"{key}:retake",
                    channel="pos",
                    **sale["proof"],
                )
                if hold.currency_id.compare_amounts(new.amount, hold.amount) < 0:
                    raise VmsConflict(
                        "insufficient_balance",
                        _(
                            "only %(amount)s of it may be paid now",
                            amount=hold.currency_id.format(new.amount),
                        ),
                    )
                new._vms_confirm(f"{key}:retake:confirm", verified_otp=otp, **self._vms_till_row())
                self._vms_adopt(new, hold, sale, payment)
            return new, None
        except VmsError as error:
            self.env.invalidate_all()
            reason = error.args[0]
            payment.sudo().vms_conflict = True  # sudo: the sync flags its own payment line
            # sudo: the voucher may be the head office's, taken at a branch's till.
            hold.sudo().voucher_id._vms_pos_report_conflict(self, payment, reason, error.code)
            note = _(
                "Voucher %(code)s: the hold of %(amount)s expired before the order was saved "
                "and could not be taken again (%(reason)s). The order is saved with this "
                "payment; a VMS Manager settles the difference.",
                code=hold.code,
                amount=hold.currency_id.format(hold.amount),
                reason=reason,
            )
            self.message_post(body=Markup("<p>%s</p>") % note)
            return None, note

    def _vms_refund_payments(self, payments):
        """A refund to a voucher gives back a redemption of the refunded order."""
        refunded = self.lines.refunded_orderline_id.order_id
        notes = []
        # A refund line names the refunded order's hold (not a hold of its own).
        found = self._vms_named_holds(payments)
        for payment in payments:
            hold = found[payment]
            if (
                not hold
                or hold.state != "confirmed"
                or hold.kind != "voucher"
                or hold.channel != "pos"
                or hold.pos_order_uuid not in refunded.mapped("uuid")
            ):
                raise VmsError(
                    "not_a_refund",
                    _(
                        "Refund to a voucher only what was paid by voucher on the refunded "
                        "order: remove the voucher line of %(amount)s.",
                        amount=self.currency_id.format(payment.amount),
                    ),
                )
            if not self.env.user.has_group("point_of_sale.group_pos_user"):
                raise VmsError(
                    "refund_not_allowed",
                    _("Only point of sale users refund at the till."),
                    http_status=403,
                )
            # sudo: reversing is a VMS right of its own; a refund at the till is
            # made by a user with the POS refund right (checked above), of a
            # voucher payment of the refunded order (checked above too).
            new_voucher = hold.sudo()._vms_refund(
                f"{self._vms_keys_base(payment)}:refund",
                amount=-payment.amount,
                reason=_("Refund %(order)s", order=self.name),
                bill_ref=self.pos_reference or self.name,
            )
            if new_voucher:
                # sudo: the refund's voucher is printed on the refund's receipt.
                new_voucher.sudo().pos_order_id = self
                notes.append(
                    _(
                        "Refunded to the new voucher %(code)s (%(amount)s).",
                        code=new_voucher.code,
                        amount=new_voucher.currency_id.format(new_voucher.nominal_amount),
                    )
                )
        return notes

    def _vms_issue_vouchers(self):
        """Gift vouchers sold on the bill, and the vouchers the bill earns."""
        sold, sold_lines, goods = [], [], []
        for line in self.lines:
            product = line.product_id
            if product.vms_gift_voucher and line.qty > 0:
                if line.tax_ids:
                    raise VmsError(
                        "gift_voucher_taxed",
                        _(
                            "Gift vouchers are sold without tax (the tax is due when they pay "
                            "for goods): remove the tax from the gift voucher line."
                        ),
                    )
                if line.qty != int(line.qty):
                    raise VmsError(
                        "invalid_quantity",
                        _("Gift vouchers are sold in whole numbers, not %s.", line.qty),
                    )
                nominal = line.price_subtotal_incl / line.qty
                for _unit in range(int(line.qty)):
                    sold.append(
                        {
                            "campaign": product.vms_gift_campaign_id,
                            "nominal": nominal,
                            "validity_days": product.vms_gift_validity_days,
                        }
                    )
                    sold_lines.append(line)
            elif line.qty > 0:
                goods.append(
                    {
                        "product": product,
                        "qty": line.qty,
                        "price_unit": line.price_subtotal_incl / line.qty,
                    }
                )
        for entry in sold:
            if not entry["campaign"]:
                raise UserError(_("A gift voucher product has no campaign; set it first."))
        bill_amount = sum(g["qty"] * g["price_unit"] for g in goods)
        result = self.env["vms.campaign"]._vms_issue_for_bill(
            bill_ref=self.pos_reference or self.name,
            idempotency_key=f"pos:{self.uuid}:issue",
            lines=goods,
            bill_amount=self.currency_id.round(bill_amount),
            partner=self.partner_id or None,
            card=self._vms_card() or None,
            sold=sold,
            store=self.company_id,
            channel="pos",
            cash_point_serial=self.config_id.name,
            zeroing_number=self.session_id.name,
        )
        vouchers = result["vouchers"]
        if vouchers:
            # sudo: the order's own vouchers are linked to it for the receipt.
            vouchers.sudo().write({"pos_order_id": self.id})
            for voucher, line in zip(vouchers[: len(sold_lines)], sold_lines, strict=True):
                voucher.sudo().pos_order_line_id = line
        return result["refused"]

    def _vms_withdraw_refunded(self):
        """Refunding an order that issued vouchers blocks those not yet used."""
        refunded_lines = self.lines.refunded_orderline_id
        notes = []
        for original in refunded_lines.order_id:
            issued = original.vms_issued_voucher_ids
            if not issued:
                continue
            targets = issued.filtered(lambda v: not v.pos_order_line_id)
            for line in refunded_lines.filtered(lambda ln, o=original: ln.order_id == o):
                sold = issued.filtered(lambda v, ln=line: v.pos_order_line_id == ln)
                count = int(
                    -sum(
                        self.lines.filtered(
                            lambda r, ln=line: r.refunded_orderline_id == ln
                        ).mapped("qty")
                    )
                )
                if not sold or count <= 0:
                    continue
                # Free: neither spent nor held now, and not withdrawn by an
                # earlier refund of this line (else that refund counts twice).
                free = sold.filtered(lambda v: not v.withdrawn and v._vms_is_untouched())
                if len(free) < count:
                    raise VmsError(
                        "gift_voucher_used",
                        _(
                            "Gift voucher %(codes)s was already used: it cannot be refunded.",
                            codes=", ".join((sold - free).mapped("code")),
                        ),
                    )
                targets |= free[:count]
            blocked, used = self.env["vms.campaign"]._vms_withdraw_issued(
                targets,
                _("Bill %(order)s refunded by %(refund)s", order=original.name, refund=self.name),
            )
            if blocked:
                notes.append(
                    _("Blocked, the bill being refunded: %s.", ", ".join(blocked.mapped("code")))
                )
            if used:
                notes.append(
                    _(
                        "Already used, not blocked: %s.",
                        ", ".join(used.mapped("code")),
                    )
                )
        return notes

    # ------------------------------------------------------------------
    # Orders deleted at the till
    # ------------------------------------------------------------------

    def action_pos_order_cancel(self):
        self._vms_release_holds()
        return super().action_pos_order_cancel()

    @api.model
    def remove_from_ui(self, server_ids):
        orders = self.search([("id", "in", server_ids), ("state", "=", "draft")])
        orders._vms_release_holds()
        return super().remove_from_ui(server_ids)

    def _vms_release_holds(self):
        # sudo: the order is deleted by someone allowed to; its till's holds go
        # with it (an order's uuid is the till's text: another till's could be sent).
        Redemption = self.env["vms.redemption"].sudo()
        for order in self:
            domain = order.config_id._vms_till_holds_domain(order.uuid)
            for hold in Redemption.search([*domain, ("state", "=", "held")]):
                hold._vms_release()
