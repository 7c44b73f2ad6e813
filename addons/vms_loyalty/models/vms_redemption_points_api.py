"""The engine's entry points for the points routes of the VMS API.

Like ``vms.redemption.api`` for vouchers: each takes the plain values the
controller parsed (``tools/api_input.py``), finds what they name within the
channel's retailer (the club card, the reward, the items), calls the engine
and answers with JSON-ready values: amounts of money and points as decimal
strings.
"""

from odoo import _, api, models

from ..exceptions import VmsError
from ..tools import rules
from .vms_redemption import EARN_GROUP

POINT_KEYS = (
    "points",
    "points_reversed",
    "points_balance",
    "points_available",
    "points_held",
    "points_debt",
    "next_expiry_points",
    "points_earned",
    "points_taken_back",
    "points_given_back",
)
VALUE_KEYS = ("value",)


class VmsRedemptionPointsApi(models.AbstractModel):
    """The points entry points of ``vms.redemption``."""

    _name = "vms.redemption.points.api"
    _description = "Points API Entry Points"

    @api.model
    def _vms_api_member_points(self, number):
        """Balance, value and next expiry of the member behind card ``number``."""
        self._vms_check_redeemer()
        Account = self.env["vms.points.account"]
        company = self._vms_request_company()
        card = Account._vms_card_by_number(number, company)
        account, card = Account._vms_account_for(card, company=company)
        return self._vms_api_points(
            {"card": card.number, "card_state": card.state, **account._vms_summary()}
        )

    @api.model
    def _vms_api_points_redeem(self, values):
        # The card by its number: the express lane finds it in its own query.
        answer = self._vms_points_redeem_answer(
            values["card"],
            points=values.get("points"),
            amount=values.get("amount"),
            order_ref=values["order_ref"],
            idempotency_key=values["idempotency_key"],
            channel="api",
            otp_id=values.get("otp_id"),
            otp_code=values.get("otp_code"),
            bill_amount=float(values["bill_amount"]) if values.get("bill_amount") else None,
        )
        return self._vms_api_points(answer)

    @api.model
    def _vms_api_points_convert(self, values):
        answer = self._vms_points_convert_answer(
            self._vms_api_card(values["card"]),
            values["points"],
            idempotency_key=values["idempotency_key"],
            channel="api",
            order_ref=values.get("order_ref"),
            otp_id=values.get("otp_id"),
            otp_code=values.get("otp_code"),
        )
        return self._vms_api_points(answer)

    @api.model
    def _vms_api_reward_claim(self, values):
        reward = self.env["vms.reward"]._vms_find(values["reward"], self._vms_request_company())
        answer = self._vms_reward_claim_answer(
            self._vms_api_card(values["card"]),
            reward,
            idempotency_key=values["idempotency_key"],
            channel="api",
            order_ref=values.get("order_ref"),
            otp_id=values.get("otp_id"),
            otp_code=values.get("otp_code"),
        )
        return self._vms_api_points(answer)

    @api.model
    def _vms_api_reward_redeem(self, code, values):
        answer = self._vms_reward_redeem_answer(
            code, idempotency_key=values["idempotency_key"], channel="api"
        )
        return self._vms_api_points(answer)

    @api.model
    def _vms_api_points_earn(self, values):
        """Points of a bill paid on the channel (a web shop order), for a
        channel allowed to award them (``vms.channel.can_earn``)."""
        self._vms_check_right(
            EARN_GROUP,
            "earn_not_allowed",
            _("This channel may not award points; ask the store's VMS manager."),
        )
        store = self._vms_request_store()
        lines = self._vms_api_lines(values["lines"], store)
        payments = []
        for payment in values.get("payments") or []:
            item = {"kind": payment["kind"], "amount": float(payment["amount"])}
            if payment["kind"] == "voucher":
                item["voucher"] = self._vms_api_payment_voucher(payment.get("code"))
            payments.append(item)
        answer = self.env["vms.points.account"]._vms_earn_for_bill(
            self._vms_api_card(values["card"]),
            lines,
            payments,
            values["order_ref"],
            idempotency_key=values["idempotency_key"],
            channel="api",
        )
        return self._vms_api_points(answer)

    @api.model
    def _vms_api_points_otp(self, values):
        """Send the member behind the card a code approving a points redemption."""
        self._vms_check_redeemer()
        if not values.get("card"):
            raise VmsError("card_required", _("A points OTP is sent for a club card."))
        account, card = self._vms_points_account(self._vms_api_card(values["card"]))
        return self._vms_api_otp_sent(
            account._vms_holder(),
            values,
            "points_redemption",
            account._vms_program().money,
            account.company_id,
        )

    # Helpers -----------------------------------------------------------------

    @api.model
    def _vms_api_card(self, number):
        return self.env["vms.points.account"]._vms_card_by_number(
            number, self._vms_request_company()
        )

    @api.model
    def _vms_api_payment_voucher(self, code):
        if not code:
            raise VmsError("voucher_required", _("A voucher payment names its voucher's code."))
        Voucher = self.env["vms.voucher"].sudo()  # sudo: only the voucher's flag is read
        company = self._vms_request_company()
        method, value = Voucher._vms_presentation(code, company)
        facts = Voucher._vms_facts(method, value)
        if facts is None:
            raise Voucher._vms_refuse_unknown(method, code, company)
        rules.check_found(self.env, facts, self._vms_request_store())
        return Voucher.browse(facts.id)

    @api.model
    def _vms_api_points(self, answer):
        """Money and points as decimal strings."""
        return self._vms_api_money(self._vms_api_points_text(answer))

    @api.model
    def _vms_api_points_text(self, answer):
        """Points (and the value of points) as decimal strings; what is text already stays."""
        answer = dict(answer)
        digits = answer.get("points_decimals", 0)
        places = answer.get("decimal_places", 2)

        def text(value, decimals):
            return f"{value:.{decimals}f}" if isinstance(value, (int, float)) else value

        for name in VALUE_KEYS:
            if answer.get(name) is not None:
                answer[name] = text(answer[name], places)
        if isinstance(answer.get("point_value"), float):
            answer["point_value"] = f"{answer['point_value']:.6f}".rstrip("0").rstrip(".")
        for name in POINT_KEYS:
            if answer.get(name) is not None:
                answer[name] = text(answer[name], digits)
        answer["lots"] = [
            {**lot, "points": text(lot["points"], digits)} for lot in answer.get("lots") or []
        ] or answer.get("lots")
        return answer
