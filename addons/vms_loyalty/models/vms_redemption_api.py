"""The engine's entry points for channels: one per route of the VMS API.

Each takes the plain values the controller parsed (``tools/api_input.py``),
finds what they name within the channel's store (club cards, items,
currencies) whatever the channel's own rights (it has none), calls the
engine, and answers with JSON-ready values, amounts as decimal strings.
"""

from odoo import _, api, models

from ..exceptions import VmsError, VmsNotFound
from ..tools import rules

MONEY_KEYS = ("amount", "reversed_amount", "balance", "available", "eligible_amount")


class VmsRedemptionApi(models.AbstractModel):
    """The entry points of ``vms.redemption`` for the VMS API's routes."""

    _name = "vms.redemption.api"
    _description = "Redemption API Entry Points"

    # Routes ------------------------------------------------------------------

    @api.model
    def _vms_api_validate(self, values):
        answer = self._vms_validate_answer(
            values["code"], values["amount"], **self._vms_api_sale(values)
        )
        return self._vms_api_money(answer)

    @api.model
    def _vms_api_hold(self, values):
        answer = self._vms_hold_answer(
            values["code"],
            values["amount"],
            order_ref=values["order_ref"],
            idempotency_key=values["idempotency_key"],
            channel="api",
            ttl_seconds=values.get("ttl_seconds"),
            **self._vms_api_sale(values),
        )
        return self._vms_api_money(answer)

    @api.model
    def _vms_api_redeem(self, values):
        answer = self._vms_redeem_answer(
            values["code"],
            values["amount"],
            order_ref=values["order_ref"],
            idempotency_key=values["idempotency_key"],
            channel="api",
            otp_id=values.get("otp_id"),
            otp_code=values.get("otp_code"),
            **self._vms_api_sale(values),
        )
        return self._vms_api_money(answer)

    @api.model
    def _vms_api_confirm(self, hold_id, values):
        hold = self._vms_get(hold_id)
        money = hold.sudo().company_id._vms_store().money
        bill_amount = values.get("bill_amount")
        answer = hold._vms_confirm_answer(
            values["idempotency_key"],
            otp_id=values.get("otp_id"),
            otp_code=values.get("otp_code"),
            bill_amount=rules.parse_amount(self.env, bill_amount, money, _("bill amount"))
            if bill_amount is not None
            else None,
        )
        return self._vms_api_money(answer)

    @api.model
    def _vms_api_release(self, hold_id, values):
        hold = self._vms_get(hold_id)._vms_release()
        return self._vms_api_money(hold._vms_result())

    @api.model
    def _vms_api_reverse(self, hold_id, values):
        hold = self._vms_get(hold_id, right="reverse")
        answer = hold._vms_reverse_answer(
            values["idempotency_key"], amount=values.get("amount"), reason=values["reason"]
        )
        return self._vms_api_money(answer)

    @api.model
    def _vms_api_voucher(self, code, pin=None):
        """State and balance of a voucher; an e-voucher's only with its PIN.
        Spends nothing, so any way of naming the voucher will do."""
        self._vms_check_redeemer()
        store = self._vms_request_store()
        Voucher = self.env["vms.voucher"].sudo()  # sudo: the store is checked below
        method, value = Voucher._vms_presentation(code, self._vms_request_company())
        facts = Voucher._vms_facts(method, value)
        if facts is None:
            raise Voucher._vms_refuse_unknown(method, code, self._vms_request_company())
        rules.check_found(self.env, facts, store)
        if facts.redeem_pin and facts.has_pin:
            if pin is None:
                raise VmsError(
                    "pin_required",
                    _(
                        "Voucher %(code)s is an e-voucher: send its PIN in the X-Voucher-PIN "
                        "header.",
                        code=facts.code,
                    ),
                    http_status=403,
                )
            self.env["vms.voucher.pin.failure"].sudo()._vms_try(Voucher.browse(facts.id), pin)
        voucher = Voucher.browse(facts.id)
        money = voucher.company_id._vms_store().money
        return self._vms_api_money(
            {
                "decimal_places": money.decimal_places,
                "code": facts.code,
                "state": facts.state,
                "expired": voucher.is_expired,
                "balance": money.round(facts.balance),
                "available": money.round(facts.balance - facts.held),
                "currency": money.name,
                "valid_from": facts.valid_from.isoformat() if facts.valid_from else None,
                "valid_to": facts.valid_to.isoformat() if facts.valid_to else None,
            }
        )

    @api.model
    def _vms_api_otp(self, values):
        """Send the voucher's own holder a code approving a redemption."""
        self._vms_check_redeemer()
        store = self._vms_request_store()
        Voucher = self.env["vms.voucher"].sudo()  # sudo: the store is checked below
        method, value = Voucher._vms_presentation(values["code"], self._vms_request_company())
        facts = Voucher._vms_facts(method, value)
        if facts is None:
            raise Voucher._vms_refuse_unknown(method, values["code"], self._vms_request_company())
        rules.check_found(self.env, facts, store)
        voucher = Voucher.browse(facts.id)
        holder = voucher._vms_holder()
        if not holder:
            raise VmsError(
                "otp_not_needed",
                _("Voucher %(code)s belongs to no one: it needs no code.", code=facts.code),
            )
        money = voucher.company_id._vms_store().money
        self._vms_check_order(values["order_ref"], "api")
        otp = self.env["vms.otp"]._vms_request(
            holder,
            rules.parse_amount(self.env, values["amount"], money),
            values["order_ref"],
            "voucher_redemption",
            currency=voucher.currency_id,
            company=voucher.company_id,
        )
        return {
            "otp_id": otp.id,
            "masked_phone": otp._vms_masked_phone(),
            "expires_at": otp.expires_at.isoformat() + "Z",
        }

    # Helpers -----------------------------------------------------------------

    @api.model
    def _vms_api_sale(self, values):
        """The records a request names, found within the channel's store."""
        store = self._vms_request_store()
        sale = {"pin": values.get("pin"), "bill_amount": None}
        if values.get("bill_amount") is not None:
            sale["bill_amount"] = float(values["bill_amount"])
        if values.get("currency"):
            # sudo: currencies are reference data a channel may name.
            currency = (
                self.env["res.currency"].sudo().search([("name", "=", values["currency"])], limit=1)
            )
            if not currency:
                raise VmsError(
                    "invalid_currency", _("Unknown currency %(name)s.", name=values["currency"])
                )
            sale["currency"] = currency
        if values.get("card"):
            # A channel reads no cards itself; only one of its store is taken.
            self.env.cr.execute(
                "SELECT id, state, COALESCE(partner_id, 0) FROM vms_card "
                "WHERE number = %s AND company_id = ANY(%s)",
                [values["card"], list(store.company_ids)],
            )
            row = self.env.cr.fetchone()
            if not row:
                raise VmsNotFound(
                    "card_not_found", _("No club card %(number)s.", number=values["card"])
                )
            sale["card"] = rules.Card(*row)
        if values.get("lines") is not None:
            sale["lines"] = self._vms_api_lines(values["lines"], store)
        return sale

    @api.model
    def _vms_api_lines(self, lines, store):
        """Bill lines as the engine takes them, their items found by barcode or
        internal reference among the store's (or shared) products, in one query
        (a channel reads no products itself)."""
        self.env["product.product"].flush_model(["barcode", "default_code", "active"])
        self.env.cr.execute(
            """
            SELECT pp.barcode, pp.default_code, pp.id, COALESCE(pc.parent_path, '')
              FROM product_product pp
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              LEFT JOIN product_category pc ON pc.id = pt.categ_id
             WHERE pp.active
               AND (pp.barcode = ANY(%(items)s) OR pp.default_code = ANY(%(items)s))
               AND (pt.company_id IS NULL OR pt.company_id = ANY(%(companies)s))
             ORDER BY pp.id
            """,
            {"items": [line["item"] for line in lines], "companies": list(store.company_ids)},
        )
        found = {}
        for barcode, default_code, product_id, path in self.env.cr.fetchall():
            found.setdefault(("barcode", barcode), (product_id, path))
            found.setdefault(("default_code", default_code), (product_id, path))
        result = []
        for index, line in enumerate(lines):
            product = found.get((line["by"], line["item"]))
            if not product:
                raise VmsNotFound(
                    "item_not_found", _("No item %(item)s.", item=line["item"]), line=index
                )
            result.append(
                rules.Line(product[0], product[1], float(line["qty"]), float(line["price_unit"]))
            )
        return result

    @api.model
    def _vms_api_money(self, answer):
        """Amounts as decimal strings of the answer's currency."""
        answer = dict(answer)
        places = answer.pop("decimal_places", 2)
        for name in MONEY_KEYS:
            if answer.get(name) is not None:
                answer[name] = f"{answer[name]:.{places}f}"
        return answer
