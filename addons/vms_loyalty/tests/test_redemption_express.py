from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from .test_otp import refusal
from .test_redemption import RedemptionCase


class LaneCase(RedemptionCase):
    """Runs redemptions through either writer and collects what they leave."""

    maxDiff = None

    def redeem(self, voucher, amount, key, express, order_ref="WEB/0001", **kwargs):
        return self.Redemption._vms_redeem_answer(
            voucher.code,
            amount,
            order_ref=order_ref,
            idempotency_key=key,
            channel="api",
            express=express,
            **kwargs,
        )

    def lane(self, voucher, amount, key, **kwargs):
        """Which writer the engine chose for a request: "express" or "full"."""
        Redemption = type(self.env["vms.redemption"])
        with patch.object(
            Redemption,
            "_vms_redeem_express",
            autospec=True,
            side_effect=Redemption._vms_redeem_express,
        ) as express:
            self.redeem(voucher, amount, key, express=True, **kwargs)
        return "express" if express.called else "full"

    def effects(self, answer, key):
        """Everything a redemption left, without what differs by nature (ids, codes)."""
        hold = self.env["vms.redemption"].browse(answer["id"])
        hold.invalidate_recordset()
        voucher = hold.voucher_id
        voucher.invalidate_recordset()
        answer = dict(answer)
        for name in ("id", "code", "expires_at"):
            answer.pop(name)
        request = self.env["vms.idempotency"].search(
            [("key", "=", key), ("user_id", "=", self.store_user.id)]
        )
        self.assertEqual(request.redemption_id, hold)
        self.assertEqual(request.response["id"], hold.id)
        self.assertEqual(hold.use_transaction_id, self.rows(voucher, "use")[-1:])
        self.assertEqual(hold.use_transaction_id.idempotency_key, f"{self.store_user.id}:use:{key}")
        self.assert_replay(voucher)
        return {
            "answer": answer,
            "stored answer": {
                k: v for k, v in request.response.items() if k not in ("id", "code", "expires_at")
            },
            "request": (request.operation, len(request.fingerprint)),
            "voucher": (
                voucher.state,
                voucher.spent_amount,
                voucher.balance,
                voucher.write_uid,
                voucher.write_date == self.env.cr.now(),
            ),
            "hold": (
                hold.kind,
                hold.state,
                hold.amount,
                hold.reversed_amount,
                hold.order_ref,
                hold.channel,
                hold.user_id,
                hold.company_id,
                hold.store_id,
                hold.currency_id,
                # The card by what it is (examples each have a holder and cards of their own).
                (hold.card_id.state, hold.card_id.partner_id.name),
                hold.otp_id,
                hold.remainder_voucher_id,
                hold.create_uid,
                hold.write_uid,
                # The ORM stamps create and write dates with the transaction's start.
                hold.create_date == hold.write_date == self.env.cr.now(),
                round((hold.expires_at - hold.confirmed_at).total_seconds() / 60),
                abs(fields.Datetime.now() - hold.confirmed_at) < timedelta(minutes=1),
            ),
            "rows": [
                (
                    row.type,
                    row.state,
                    row.amount,
                    row.bill_ref,
                    row.bill_amount,
                    row.cash_point_serial,
                    row.channel,
                    row.store_id,
                    row.user_id,
                    row.company_id,
                    row.origin_id,
                    row.reason,
                    abs(fields.Datetime.now() - row.date) < timedelta(minutes=1),
                )
                for row in self.rows(voucher)
            ],
        }


@tagged("post_install", "-at_install")
class TestRedemptionExpress(LaneCase):
    """The express lane writes what the full engine writes, for the requests
    the engine decides are plain; both take the one decision of the rules."""

    def test_same_effects_as_the_full_engine(self):
        toys = self.env["product.category"].create({"name": "Toys"})
        kite = self.env["product.product"].create({"name": "Kite", "categ_id": toys.id})
        lines = [{"product": kite, "qty": 2, "price_unit": 20.0}]
        for label, amount, other_hold, terms, sale in (
            ("partial", 20.0, 0, {}, {}),
            ("whole balance", 50.0, 0, {}, {}),
            ("as an API string", "12.50", 0, {}, {}),
            ("beside another sale's hold", 40.0, 10.0, {}, {}),
            (
                "with the bill, its lines and a card",
                15.0,
                0,
                {
                    "min_payment_amount": 30.0,
                    "discount_scope": "category",
                    "discount_category_id": toys.id,
                },
                {"lines": lines, "bill_amount": 40.0, "card": self.card},
            ),
            (
                "a personal voucher",
                10.0,
                0,
                {"partner_id": self.partner.id},
                {"partner": self.partner},
            ),
        ):
            with self.subTest(label):
                effects = []
                for express in (True, False):
                    voucher = self.new_voucher(state="active", **terms)
                    if other_hold:
                        self.hold(voucher, other_hold, f"other-{label}-{express}", "POS/9")
                    key = f"{label}-{express}-key"
                    if express:
                        self.assertEqual(self.lane(voucher, amount, key, **sale), "express")
                        answer = self.env["vms.idempotency"].search([("key", "=", key)]).response
                    else:
                        answer = self.redeem(voucher, amount, key, express=False, **sale)
                    effects.append(self.effects(answer, key))
                self.assertEqual(effects[0], effects[1])

    def test_the_engine_chooses_the_full_lane_for_pin_otp_remainder_and_discount(self):
        self.assertEqual(
            self.lane(self.new_voucher(state="active"), 30.0, "plain-key-01"), "express"
        )
        e_voucher = self.new_voucher(state="active")
        e_voucher.with_user(self.manager)._vms_set_pin("4711")
        self.addCleanup(self._forget_pin_failures, e_voucher)
        self.assertEqual(self.lane(e_voucher, 5.0, "e-voucher-key-1", pin="4711"), "full")
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 30.0})
        personal = self.new_voucher(state="active", partner_id=self.partner.id)
        error = refusal(self.redeem, personal, 30.0, "otp-key-0002", True, partner=self.partner)
        self.assertEqual(error.code, "otp_required")
        self.assertEqual(self.lane(personal, 29.0, "otp-key-0003", partner=self.partner), "express")
        # A bearer voucher has nobody to send a code to: no OTP, the express lane.
        self.assertEqual(self.lane(self.new_voucher(state="active"), 30.0, "otp-key-04"), "express")
        self.company.vms_otp_mandatory = False
        self.campaign.remainder_as_voucher = True
        voucher = self.new_voucher(state="active")
        self.assertEqual(self.lane(voucher, 20.0, "remainder-key-1"), "full")
        self.assertEqual(voucher.child_ids.nominal_amount, 30.0)
        whole = self.new_voucher(state="active")
        self.assertEqual(self.lane(whole, 50.0, "remainder-key-2"), "express", "nothing left")
        discount = self.new_voucher(
            state="active", value_type="discount", discount_type="percent", discount_value=10.0
        )
        self.assertEqual(self.lane(discount, 20.0, "discount-key-1"), "full")
        self.assertEqual(discount.redemption_ids.amount, 2.0)

    def test_retry_returns_the_first_answer_and_changes_nothing(self):
        voucher = self.new_voucher(state="active")
        first = self.redeem(voucher, 20.0, "retry-key-001", express=True)
        # Meanwhile the campaign closed: the retry is answered, not refused.
        self.campaign.action_close()
        self.assertEqual(self.redeem(voucher, 20.0, "retry-key-001", express=True), first)
        self.assertEqual(self.redeem(voucher, "20.00", "retry-key-001", express=False), first)
        self.assertEqual(voucher.balance, 30.0)
        self.assertEqual(len(self.rows(voucher, "use")), 1)
        for other in ({"order_ref": "WEB/OTHER"}, {"amount": 21.0}):
            with self.subTest(other=other):
                request = {"amount": 20.0, **other}
                error = refusal(
                    self.redeem, voucher, request.pop("amount"), "retry-key-001", True, **request
                )
                self.assertEqual(error.code, "idempotency_key_reused")
        # The key is the caller's: another user's same key is a request of its own.
        self.campaign.action_reset_to_draft()
        self.campaign.action_start()
        other_user = self.env["vms.redemption"].with_user(self.manager)
        other_user._vms_redeem_answer(
            voucher.code, 5.0, order_ref="WEB/0001", idempotency_key="retry-key-001", channel="api"
        )
        self.assertEqual(voucher.balance, 25.0)

    def test_codes_of_an_earlier_prefix_are_not_found(self):
        voucher = self.new_voucher(state="active")
        # The engine caches the company's terms: a change must reach it at once.
        self.assertTrue(self.redeem(self.new_voucher(state="active"), 5.0, "primer-key-01", True))
        self.company.vms_code_prefix = "NEW"
        error = refusal(self.redeem, voucher, 5.0, "old-prefix-key-2", True)
        self.assertEqual(error.code, "voucher_not_found")
        self.assertEqual(voucher.spent_amount, 0)

    def test_unknown_channel_and_order_reference(self):
        voucher = self.new_voucher(state="active")
        for request, code in (
            ({"channel": "carrier pigeon"}, "invalid_channel"),
            ({"order_ref": ""}, "order_ref_required"),
            ({"order_ref": "x" * 129}, "invalid_order_ref"),
        ):
            with self.subTest(code=code):
                values = {"order_ref": "WEB/1", "channel": "api", **request}
                error = refusal(
                    self.Redemption._vms_redeem_answer,
                    voucher.code,
                    5.0,
                    idempotency_key=f"key-{code}",
                    **values,
                )
                self.assertEqual(error.code, code)

    def test_vouchers_of_another_retailer_are_not_found(self):
        foreign = self.foreign_voucher()
        error = refusal(self.redeem, foreign, 5.0, "foreign-key-01", True)
        self.assertIn(error.code, ("voucher_not_found", "invalid_code"))
        self.assertEqual(foreign.spent_amount, 0)
