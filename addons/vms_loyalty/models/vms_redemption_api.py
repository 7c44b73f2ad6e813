"""The engine's entry points for channels: one per route of the VMS API.

Each takes the plain values the controller parsed (``tools/api_input.py``),
finds what they name within the channel's store (club cards, items,
currencies) whatever the channel's own rights (it has none), calls the
engine, and answers with JSON-ready values, amounts as decimal strings.
"""

from odoo import _, api, fields, models

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
    def _vms_api_inputs(self, values):
        """A request's inputs as it came, for its fingerprint: an exact retry is
        recognised before what it names is looked up (an item archived since
        must not turn a retry into a refusal)."""
        inputs = {name: value for name, value in values.items() if name != "idempotency_key"}
        for secret in ("pin", "otp_code"):
            if inputs.get(secret):
                inputs[secret] = self._vms_secret_digest(inputs[secret])
        if "amount" in inputs:
            inputs["amount"] = rules.amount_key(inputs["amount"])
        return inputs

    @api.model
    def _vms_api_hold(self, values):
        answer = self._vms_hold_answer(
            values["code"],
            values["amount"],
            order_ref=values["order_ref"],
            idempotency_key=values["idempotency_key"],
            channel="api",
            ttl_seconds=values.get("ttl_seconds"),
            request_inputs=self._vms_api_inputs(values),
            sale_from=lambda: self._vms_api_sale(values),
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
            request_inputs=self._vms_api_inputs(values),
            sale_from=lambda: self._vms_api_sale(values),
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
        """Releasing twice changes nothing, so the key is optional; a key sent
        is bound to this release, as every mutating call's."""
        key = values.get("idempotency_key")
        if key is None:
            return self._vms_api_money(self._vms_get(hold_id)._vms_release()._vms_result())
        answer = self._vms_once(
            "release", key, {"redemption": hold_id}, lambda: self._vms_get(hold_id)._vms_release()
        )
        return self._vms_api_money(answer)

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
        store, facts, _method = self._vms_find_facts(code, pin=pin)
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
            voucher = self.env["vms.voucher"].sudo().browse(facts.id)
            self.env["vms.voucher.pin.failure"].sudo()._vms_try(voucher, pin)
        money = self.env["res.company"].browse(facts.company_id)._vms_store().money
        today = store.local_now(fields.Datetime.now()).date()
        return self._vms_api_money(
            {
                "decimal_places": money.decimal_places,
                "code": facts.code,
                "state": facts.state,
                # The store's day, as validate and redeem count it.
                "expired": bool(facts.valid_to and facts.valid_to < today),
                "balance": money.round(facts.balance),
                "available": money.round(facts.balance - facts.held),
                "currency": money.name,
                "valid_from": facts.valid_from.isoformat() if facts.valid_from else None,
                "valid_to": facts.valid_to.isoformat() if facts.valid_to else None,
            }
        )

    @api.model
    def _vms_api_otp(self, values):
        """Send the voucher's own holder a code approving a redemption: only
        for a voucher the channel could spend now (its store, campaign hours,
        way of presentation and PIN, state and validity), so that nobody uses
        a holder's allowance of codes up through a voucher they may not take.
        For points (``purpose`` "points"), the member behind the card."""
        if values.get("purpose") == "points":
            return self._vms_api_points_otp(values)
        if not values.get("code"):
            raise VmsError("code_required", _("A voucher OTP names the voucher (code)."))
        pin = values.get("pin")
        store, facts, method = self._vms_find_facts(values["code"], pin=pin)
        campaign = self.env["vms.campaign"]._vms_campaign_terms(facts.campaign_id)
        now = store.local_now(fields.Datetime.now())
        self._vms_check_access(facts, campaign, store, method=method, pin=pin, now=now)
        Voucher = self.env["vms.voucher"].sudo()  # sudo: the store was checked above
        rules.check_state(self.env, facts, Voucher._vms_state_label(facts.state))
        rules.check_validity(self.env, facts, now.date())
        voucher = Voucher.browse(facts.id)
        holder = voucher._vms_holder()
        if not holder:
            raise VmsError(
                "otp_not_needed",
                _("Voucher %(code)s belongs to no one: it needs no code.", code=facts.code),
            )
        return self._vms_api_otp_sent(
            holder,
            values,
            "voucher_redemption",
            voucher.company_id._vms_store().money,
            voucher.company_id,
        )

    # Helpers -----------------------------------------------------------------

    @api.model
    def _vms_api_otp_sent(self, holder, values, purpose, money, company):
        """Send ``holder`` the OTP of a redemption of the request's amount for
        its order; the API's answer, which names the phone only masked."""
        self._vms_check_order(values["order_ref"], "api")
        otp = self.env["vms.otp"]._vms_request(
            holder,
            rules.parse_amount(self.env, values["amount"], money),
            values["order_ref"],
            purpose,
            company=company,  # in its currency
        )
        return {
            "otp_id": otp.id,
            "masked_phone": otp._vms_masked_phone(),
            "expires_at": otp.expires_at.isoformat() + "Z",
        }

    @api.model
    def _vms_api_sale(self, values):
        """The records a request names, found within the channel's store."""
        store = self._vms_request_store()
        sale = {"pin": values.get("pin"), "bill_amount": values.get("bill_amount")}
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
