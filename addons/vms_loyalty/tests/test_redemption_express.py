from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .test_otp import refusal
from .test_redemption import RedemptionCase


@tagged("post_install", "-at_install")
class TestRedemptionExpress(RedemptionCase):
    """The express lane writes what the full engine writes, and leaves every
    request it is not sure of to the full engine (which gives the refusal)."""

    def redeem(self, voucher, amount, key, express, order_ref="WEB/0001", **kwargs):
        return self.Redemption._vms_redeem(
            voucher.code,
            amount,
            order_ref=order_ref,
            idempotency_key=key,
            channel="api",
            express=express,
            **kwargs,
        )

    def express(self, voucher, amount, key="express-key-01"):
        return self.Redemption._vms_redeem_express(
            voucher.code, amount, order_ref="WEB/0001", idempotency_key=key, channel="api"
        )

    def effects(self, hold, key):
        """Everything a redemption left, without what differs by nature (ids, codes, keys)."""
        hold.invalidate_recordset()
        voucher = hold.voucher_id
        voucher.invalidate_recordset()
        result = hold._vms_result()
        for name in ("id", "code", "expires_at"):
            result.pop(name)
        self.assertEqual(hold.hold_key, key)
        self.assertEqual(hold.confirm_key, f"{key}:confirm")
        self.assertEqual(hold.use_transaction_id.idempotency_key, f"{key}:confirm")
        self.assertEqual(hold.use_transaction_id, self.rows(voucher, "use")[-1:])
        self.assert_replay(voucher)
        return {
            "result": result,
            "voucher": (
                voucher.state,
                voucher.spent_amount,
                voucher.balance,
                voucher.write_uid,
                voucher.write_date == self.env.cr.now(),
            ),
            "hold": (
                hold.state,
                hold.amount,
                hold.reversed_amount,
                hold.order_ref,
                hold.channel,
                hold.user_id,
                hold.company_id,
                hold.currency_id,
                hold.card_id,
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

    def test_same_effects_as_the_full_engine(self):
        for label, amount, other_hold in (
            ("partial", 20.0, 0),
            ("whole balance", 50.0, 0),
            ("as an API string", "12.50", 0),
            ("beside another sale's hold", 40.0, 10.0),
        ):
            with self.subTest(label):
                effects = []
                for express in (True, False):
                    voucher = self.new_voucher(state="active")
                    if other_hold:
                        self.hold(voucher, other_hold, f"other-{label}-{express}", "POS/9")
                    key = f"{label}-{express}-key"
                    if express:
                        self.assertTrue(self.express(voucher, amount, key))
                        hold = voucher.redemption_ids.filtered(lambda r, k=key: r.hold_key == k)
                    else:
                        hold = self.redeem(voucher, float(amount), key, express=False)
                    effects.append(self.effects(hold, key))
                self.assertEqual(effects[0], effects[1])

    def test_express_answer_is_the_engine_answer(self):
        answers = []
        for express in (True, False):
            voucher = self.new_voucher(state="active")
            self.hold(voucher, 5.0, f"other-sale-key-{express}", "POS/9")
            key = f"answer-key-{express}"
            if express:
                answer = self.express(voucher, "20.00", key)
                self.assertEqual(answer.pop("decimal_places"), voucher.currency_id.decimal_places)
            else:
                answer = self.redeem(voucher, 20.0, key, express=False)._vms_result()
            self.assertEqual(answer["code"], voucher.code)
            for name in ("id", "code", "expires_at"):
                answer.pop(name)
            answers.append(answer)
        self.assertEqual(answers[0], answers[1])
        self.assertEqual((answers[0]["balance"], answers[0]["available"]), (30.0, 25.0))

    def test_retry_returns_the_first_redemption_and_changes_nothing(self):
        voucher = self.new_voucher(state="active")
        first = self.redeem(voucher, 20.0, "retry-key-001", express=True)
        self.assertIsNone(self.express(voucher, 20.0, "retry-key-001"), "a used key: engine")
        again = self.redeem(voucher, 20.0, "retry-key-001", express=True)
        self.assertEqual(again, first)
        self.assertEqual(voucher.balance, 30.0)
        self.assertEqual(len(self.rows(voucher, "use")), 1)
        error = refusal(
            self.redeem, voucher, 20.0, "retry-key-001", express=True, order_ref="WEB/OTHER"
        )
        self.assertEqual(error.code, "idempotency_key_reused")

    def test_anything_not_plain_goes_to_the_full_engine(self):
        """The lane declines, and ``_vms_redeem`` gives the full engine's reason."""
        blocked = self.new_voucher(state="active")
        blocked.with_user(self.manager).action_block(reason="stolen")
        branch = self.env["res.company"].create({"name": "Express Branch", "parent_id": False})
        cases = [
            ("voucher_blocked", blocked, 10.0, None),
            (
                "voucher_not_yet_valid",
                self.new_voucher(state="active", valid_from=self.days(2)),
                10.0,
                None,
            ),
            (
                "voucher_expired",
                self.new_voucher(state="active", valid_from=self.days(-9), valid_to=self.days(-1)),
                10.0,
                None,
            ),
            ("voucher_not_active", self.new_voucher(), 10.0, None),
            (
                "card_required",
                self.new_voucher(state="active", card_id=self.card.id, card_bound=True),
                10.0,
                None,
            ),
            ("insufficient_balance", self.new_voucher(state="active"), 60.0, None),
            ("invalid_amount", self.new_voucher(state="active"), "1.005", None),
            ("invalid_amount", self.new_voucher(state="active"), "-5", None),
            (
                "wrong_store",
                self.new_voucher(state="active"),
                10.0,
                lambda: setattr(self.campaign, "store_ids", branch),
            ),
            (
                "campaign_closed",
                self.new_voucher(state="active"),
                10.0,
                lambda: self.campaign.write({"store_ids": False}) and self.campaign.action_close(),
            ),
        ]
        for reason, voucher, amount, setup in cases:
            with self.subTest(reason=reason, amount=amount):
                if setup:
                    setup()
                self.assertIsNone(self.express(voucher, amount, f"decline-{reason}-1"))
                if isinstance(amount, str):
                    continue  # the API refuses the text itself (test_api)
                error = refusal(self.redeem, voucher, amount, f"decline-{reason}-2", True)
                self.assertEqual(error.code, reason, error.args[0])
                self.assertFalse(voucher.redemption_ids)

    def test_otp_remainder_and_discount_vouchers_take_the_full_engine(self):
        self.assertTrue(self.express(self.new_voucher(state="active"), 30.0, "primer-key-03"))
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 30.0})
        voucher = self.new_voucher(state="active", partner_id=self.partner.id)  # bearer: no OTP
        self.assertIsNone(self.express(voucher, 30.0, "otp-key-0001"))
        self.assertEqual(
            refusal(self.redeem, voucher, 30.0, "otp-key-0002", True).code, "otp_required"
        )
        below = self.new_voucher(state="active")
        self.assertTrue(self.express(below, 29.0, "otp-key-0003"), "below the minimum")
        self.company.vms_otp_mandatory = False

        self.campaign.remainder_as_voucher = True
        voucher = self.new_voucher(state="active")
        self.assertIsNone(self.express(voucher, 20.0, "remainder-key-1"))
        hold = self.redeem(voucher, 20.0, "remainder-key-2", express=True)
        self.assertEqual(hold.remainder_voucher_id.nominal_amount, 30.0)
        self.assertTrue(
            self.express(self.new_voucher(state="active"), 50.0, "remainder-key-3"),
            "nothing left to pay out: plain",
        )

        discount = self.new_voucher(
            state="active", value_type="discount", discount_type="percent", discount_value=10.0
        )
        self.assertIsNone(self.express(discount, 20.0, "discount-key-1"))
        self.assertEqual(self.redeem(discount, 20.0, "discount-key-2", express=True).amount, 2.0)

    def test_currency_rounding_and_empty_settings(self):
        """A currency rounding to 0.05: the engine rounds 10.03 to 10.05 and
        refuses 0.01 (nothing to pay); the lane takes neither."""
        self.company.currency_id = self.env["res.currency"].create(
            {"name": "VMR", "symbol": "R", "rounding": 0.01}
        )
        self.assertTrue(self.express(self.new_voucher(state="active"), "10.03", "primer-key-02"))
        self.company.currency_id.rounding = 0.05
        voucher = self.new_voucher(state="active", partner_id=self.partner.id)  # OTP: a holder
        self.assertIsNone(self.express(voucher, "10.03", "rounding-key-1"))
        self.assertIsNone(self.express(voucher, "0.01", "rounding-key-2"))
        self.assertEqual(self.redeem(voucher, 10.03, "rounding-key-3", True).amount, 10.05)
        self.assertEqual(
            refusal(self.redeem, voucher, 0.01, "rounding-key-4", True).code, "invalid_amount"
        )
        self.assertTrue(self.express(voucher, "10.05", "rounding-key-5"))
        # OTP made mandatory with no minimum ever saved (an empty column): every
        # amount needs a code, in both lanes.
        self.company.vms_otp_mandatory = True
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_company SET vms_otp_min_amount = NULL WHERE id = %s", [self.company.id]
        )
        self.env.registry.clear_cache()
        self.company.invalidate_recordset()
        self.assertIsNone(self.express(voucher, "1.00", "empty-min-key-1"))
        self.assertEqual(
            refusal(self.redeem, voucher, 1.0, "empty-min-key-2", True).code, "otp_required"
        )

    def test_e_vouchers_and_other_presentations_take_the_full_engine(self):
        self.company.vms_barcode_format = "ean13"
        e_voucher = self.new_voucher(state="active")
        e_voucher.with_user(self.manager)._vms_set_pin("4711")
        e_voucher.with_user(self.manager).write({"redeem_barcode": False, "redeem_qr": False})
        self.assertIsNone(self.express(e_voucher, 5.0, "e-voucher-key-1"))
        self.assertEqual(
            refusal(self.redeem, e_voucher, 5.0, "e-voucher-key-2", True).code, "pin_required"
        )
        with_pin = self.new_voucher(state="active")
        with_pin.with_user(self.manager)._vms_set_pin("4711")
        self.assertIsNone(self.express(with_pin, 5.0, "e-voucher-key-3"), "a PIN is needed")
        scanned = self.new_voucher(state="active")
        self.assertIsNone(
            self.Redemption._vms_redeem_express(
                scanned.barcode,
                5.0,
                order_ref="POS/1",
                idempotency_key="ean13-key-0001",
                channel="pos",
            ),
            "an EAN-13 is looked up by the full engine",
        )

    def test_codes_of_an_earlier_prefix_are_not_found(self):
        voucher = self.new_voucher(state="active")
        # The lane caches the company's terms: a change must reach it at once.
        self.assertTrue(self.express(self.new_voucher(state="active"), 5.0, "primer-key-01"))
        self.company.vms_code_prefix = "NEW"
        self.assertIsNone(self.express(voucher, 5.0, "old-prefix-key-1"))
        error = refusal(self.redeem, voucher, 5.0, "old-prefix-key-2", True)
        self.assertEqual(error.code, "voucher_not_found")
        self.assertEqual(voucher.spent_amount, 0)

    def test_a_voucher_already_looked_up_takes_the_full_engine(self):
        voucher, other = self.new_voucher(state="active"), self.new_voucher(state="active")
        hold = self.Redemption._vms_redeem(
            other.code,
            5.0,
            order_ref="WEB/2",
            idempotency_key="looked-up-key-1",
            channel="api",
            voucher=voucher,
        )
        self.assertEqual(hold.voucher_id, voucher, "the voucher given wins, as in the engine")
        self.assertIsNone(
            self.Redemption._vms_redeem_express(
                voucher.code,
                5.0,
                order_ref="WEB/3",
                idempotency_key="bad-channel-1",
                channel="carrier pigeon",
            )
        )

    def test_record_rules_apply(self):
        """A rule hiding vouchers from tills: the lane does not find them either."""
        code = self.new_voucher(state="active", partner_id=self.partner.id).code
        self.env["ir.rule"].create(
            {
                "name": "Tills see anonymous vouchers only",
                "model_id": self.env["ir.model"]._get_id("vms.voucher"),
                "groups": [Command.link(self.env.ref("vms_loyalty.group_vms_store_user").id)],
                "domain_force": "[('partner_id', '=', False)]",
                "perm_create": False,
                "perm_write": False,
                "perm_unlink": False,
            }
        )
        request = {"order_ref": "WEB/1", "channel": "api"}
        express = self.Redemption._vms_redeem_express
        self.assertIsNone(express(code, 5.0, idempotency_key="hidden-key-01", **request))
        error = refusal(
            self.Redemption._vms_redeem, code, 5.0, idempotency_key="hidden-key-02", **request
        )
        self.assertEqual(error.code, "voucher_not_found")
        anonymous = self.new_voucher(state="active")
        self.assertTrue(express(anonymous.code, 5.0, idempotency_key="visible-key-1", **request))

    def test_vouchers_the_user_may_not_see_are_not_found(self):
        foreign = self.foreign_voucher()
        self.assertIsNone(self.express(foreign, 5.0, "foreign-key-01"))
        self.assertEqual(foreign.spent_amount, 0)
