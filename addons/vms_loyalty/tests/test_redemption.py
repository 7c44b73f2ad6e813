from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.sms.tests.common import MockSMS

from ..exceptions import VmsError
from .common import VmsCase
from .test_otp import refusal


class RedemptionCase(VmsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Redemption = cls.env["vms.redemption"].with_user(cls.store_user)

    def foreign_voucher(self):
        """An active voucher of another retailer (company)."""
        campaign = (
            self.env["vms.campaign"]
            .sudo()
            .create(
                {
                    "name": "Elsewhere",
                    "code": "ELSE",
                    "company_id": self.other_company.id,
                    "state": "running",
                }
            )
        )
        return (
            self.env["vms.voucher"]
            .sudo()
            .create(
                {
                    "campaign_id": campaign.id,
                    "company_id": self.other_company.id,
                    "nominal_amount": 10.0,
                    "state": "active",
                }
            )
        )

    def _forget_pin_failures(self, *vouchers):
        # Wrong PINs are committed on a connection of their own: clean up after the test.
        with self.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM vms_voucher_pin_failure WHERE voucher_id = ANY(%s)",
                [[v.id for v in vouchers]],
            )

    def e_voucher(self, **vals):
        voucher = self.new_voucher(state="active", **vals)
        voucher.with_user(self.manager)._vms_set_pin("4711")
        self.addCleanup(self._forget_pin_failures, voucher)
        return voucher

    def hold(self, voucher, amount, key, order_ref="POS/0001", **kwargs):
        return self.Redemption._vms_hold(
            voucher.code,
            amount,
            order_ref=order_ref,
            idempotency_key=key,
            channel="pos",
            **kwargs,
        )


@tagged("post_install", "-at_install")
class TestRedemption(RedemptionCase):
    """Hold, confirm, release, expiry and reversal (seed 004)."""

    def test_hold_reserves_and_a_second_till_is_refused_at_once(self):
        voucher = self.new_voucher(state="active", nominal_amount=50.0)
        till_1 = self.hold(voucher, 30.0, "till-1-key-0001")
        self.assertEqual(till_1.state, "held")
        self.assertEqual(till_1._vms_result()["available"], 20.0)
        error = refusal(self.hold, voucher, 30.0, "till-2-key-0001", order_ref="POS/0002")
        self.assertEqual((error.code, error.http_status), ("voucher_held", 409))
        self.assertIn("20.00", error.args[0])
        till_2 = self.hold(voucher, 20.0, "till-2-key-0002", order_ref="POS/0002")
        self.assertEqual(till_2._vms_result()["available"], 0.0)
        # Holding spends nothing: the chronology has no "using" row yet.
        self.assertEqual(voucher.spent_amount, 0.0)
        self.assertFalse(self.rows(voucher, "use"))

    def test_confirm_spends_once_and_uses_up_the_voucher(self):
        voucher = self.new_voucher(state="active", nominal_amount=50.0)
        hold = self.hold(voucher, 50.0, "hold-key-0001")
        hold._vms_confirm("confirm-key-0001")
        self.assertEqual(hold.state, "confirmed")
        self.assertEqual((voucher.spent_amount, voucher.balance, voucher.state), (50, 0, "used"))
        use = self.rows(voucher, "use")
        self.assertEqual(
            (len(use), use.amount, use.bill_ref, use.channel), (1, 50, "POS/0001", "pos")
        )
        self.assertEqual(hold.use_transaction_id, use)
        # The same confirmation again (a till retrying): same answer, nothing new.
        first = hold._vms_result()
        self.assertEqual(hold._vms_confirm("confirm-key-0001")._vms_result(), first)
        self.assertEqual(len(self.rows(voucher, "use")), 1)
        self.assert_replay(voucher)

    def test_partial_redemptions_leave_the_balance(self):
        voucher = self.new_voucher(state="active", nominal_amount=50.0)
        self.hold(voucher, 20.0, "hold-key-0001")._vms_confirm("confirm-key-0001")
        self.assertEqual((voucher.balance, voucher.state), (30.0, "active"))
        self.Redemption._vms_redeem(
            voucher.code,
            30.0,
            order_ref="WEB/7",
            idempotency_key="redeem-key-0001",
            channel="api",
        )
        self.assertEqual((voucher.balance, voucher.state), (0.0, "used"))
        error = refusal(self.hold, voucher, 1.0, "hold-key-0003")
        self.assertEqual((error.code, error.http_status), ("voucher_used", 409))
        self.assert_replay(voucher)

    def test_hold_idempotency(self):
        voucher = self.new_voucher(state="active")
        first = self.hold(voucher, 10.0, "same-key-0001")
        self.assertEqual(self.hold(voucher, 10.0, "same-key-0001"), first)
        self.assertEqual(len(voucher.redemption_ids), 1)
        error = refusal(self.hold, voucher, 10.0, "same-key-0001", order_ref="POS/OTHER")
        self.assertEqual(error.code, "idempotency_key_reused")
        for key in (None, "short", 42):
            with self.subTest(key=key):
                self.assertEqual(
                    refusal(self.hold, voucher, 10.0, key).code, "idempotency_key_required"
                )

    def test_release_and_expiry_free_the_amount(self):
        voucher = self.new_voucher(state="active", nominal_amount=50.0)
        released = self.hold(voucher, 50.0, "hold-key-0001")
        released._vms_release()
        self.assertEqual(released.state, "released")
        self.assertEqual(refusal(released._vms_confirm, "confirm-key-0001").code, "hold_released")
        abandoned = self.hold(voucher, 50.0, "hold-key-0002", order_ref="POS/0002")
        self.assertEqual(refusal(self.hold, voucher, 5.0, "hold-key-0003").code, "voucher_held")
        abandoned.sudo().expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(self.env["vms.redemption"]._cron_expire_holds(), 1)
        self.assertEqual(abandoned.state, "expired")
        self.assertEqual(refusal(abandoned._vms_confirm, "confirm-key-0002").code, "hold_expired")
        self.hold(voucher, 50.0, "hold-key-0004", order_ref="POS/0003")._vms_confirm(
            "confirm-key-0004"
        )
        self.assertEqual(voucher.state, "used")
        self.assert_replay(voucher)

    def test_confirm_after_the_hold_time_is_refused(self):
        voucher = self.new_voucher(state="active")
        hold = self.hold(voucher, 10.0, "hold-key-0001", ttl_seconds=30)
        hold.sudo().expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(refusal(hold._vms_confirm, "confirm-key-0001").code, "hold_expired")
        self.assertEqual(voucher.spent_amount, 0)

    def test_reverse_is_a_new_row_and_restores_the_balance(self):
        voucher = self.new_voucher(state="active", nominal_amount=50.0)
        hold = self.hold(voucher, 50.0, "hold-key-0001")._vms_confirm("confirm-key-0001")
        # Reversal gives money back: a right of its own, which store users lack.
        error = refusal(hold._vms_reverse, "reverse-key-0000", reason="refund")
        self.assertEqual((error.code, error.http_status), ("reverse_not_allowed", 403))
        hold = hold.with_user(self.manager)
        self.assertEqual(refusal(hold._vms_reverse, "reverse-key-0001").code, "reason_required")
        hold._vms_reverse("reverse-key-0001", amount=20.0, reason="one item returned")
        self.assertEqual((voucher.balance, voucher.state), (20.0, "active"))
        # Retried refund: nothing more.
        hold._vms_reverse("reverse-key-0001", amount=20.0, reason="one item returned")
        self.assertEqual(voucher.balance, 20.0)
        error = refusal(hold._vms_reverse, "reverse-key-0002", amount=40.0, reason="too much")
        self.assertEqual(error.code, "invalid_amount")
        hold._vms_reverse("reverse-key-0003", reason="whole bill refunded")
        self.assertEqual((voucher.balance, hold.reversed_amount), (50.0, 50.0))
        reversals = self.rows(voucher, "reverse")
        self.assertEqual(reversals.mapped("amount"), [20.0, 30.0])
        self.assertEqual(len(self.rows(voucher, "use")), 1, "the using row was never edited")
        self.assert_replay(voucher)

    def test_refusals_have_reasons_and_change_nothing(self):
        blocked = self.new_voucher(state="active")
        blocked.with_user(self.manager).action_block(reason="stolen")
        future = self.new_voucher(state="active", valid_from=self.days(3))
        past = self.new_voucher(state="active", valid_from=self.days(-30), valid_to=self.days(-1))
        not_active = self.new_voucher()
        bound = self.new_voucher(state="active", card_id=self.card.id, card_bound=True)
        minimum = self.new_voucher(state="active", min_payment_amount=100.0)
        usd = self.env.ref("base.USD")
        other = usd if self.company.currency_id != usd else self.env.ref("base.EUR")
        other.active = True
        cases = [
            (blocked, {}, "voucher_blocked"),
            (future, {}, "voucher_not_yet_valid"),
            (past, {}, "voucher_expired"),
            (not_active, {}, "voucher_not_active"),
            (bound, {}, "proof_required"),
            (minimum, {}, "proof_required"),
            (minimum, {"bill_amount": 50.0}, "below_min_payment"),
            (self.new_voucher(state="active"), {"currency": other}, "wrong_currency"),
        ]
        for voucher, kwargs, code in cases:
            with self.subTest(code=code):
                error = refusal(self.hold, voucher, 10.0, f"key-{code}", **kwargs)
                self.assertEqual(error.code, code, error.args[0])
                self.assertFalse(voucher.redemption_ids)
        other_card = self.env["vms.card"].create(
            {"partner_id": self.partner_2.id, "company_id": self.company.id, "state": "active"}
        )
        error = refusal(self.hold, bound, 10.0, "key-card-other", card=other_card)
        self.assertEqual(error.code, "card_required")
        self.assertEqual(self.hold(bound, 10.0, "key-card-ok", card=self.card).state, "held")
        for bad, reason in (
            ("TSTXXXXXXXXXXXX", "invalid_code"),
            ("", "code_required"),
            ("NOPE", "invalid_code"),
        ):
            with self.subTest(code=bad):
                error = refusal(
                    self.Redemption._vms_hold,
                    bad,
                    1.0,
                    order_ref="POS/1",
                    idempotency_key="bad-code-key",
                    channel="pos",
                )
                self.assertEqual(error.code, reason, error.args[0])

    def test_remainder_paid_out_as_a_new_voucher(self):
        self.campaign.remainder_as_voucher = True
        voucher = self.new_voucher(
            state="active",
            nominal_amount=50.0,
            partner_id=self.partner.id,
            min_payment_amount=15.0,
            bonus_points_accrue=True,
            valid_to=self.days(30),
        )
        hold = self.hold(
            voucher, 20.0, "hold-key-0001", partner=self.partner, bill_amount=20.0
        )._vms_confirm("confirm-key-0001")
        child = hold.remainder_voucher_id
        # Every term of the parent is the child's too.
        self.assertEqual(child._vms_terms_values(), voucher._vms_terms_values())
        self.assertEqual((voucher.state, voucher.spent_amount, voucher.balance), ("used", 50, 0))
        self.assertEqual(
            (child.state, child.nominal_amount, child.parent_id, child.partner_id),
            ("active", 30.0, voucher, self.partner),
        )
        self.assertNotEqual(child.code, voucher.code)
        self.assertEqual(hold._vms_result()["remainder_code"], child.code)
        remainder_row = self.rows(voucher, "remainder")
        self.assertEqual((remainder_row.amount, remainder_row.bill_ref), (30.0, "POS/0001"))
        self.assertIn(child.code, remainder_row.reason)
        self.assert_replay(voucher)
        self.assert_replay(child)
        # A retried confirmation pays nothing out twice.
        hold._vms_confirm("confirm-key-0001")
        self.assertEqual(len(voucher.child_ids), 1)
        # Spending the whole balance leaves nothing to pay out.
        whole = self.new_voucher(state="active", nominal_amount=10.0)
        done = self.hold(whole, 10.0, "hold-key-0002", order_ref="POS/0002")
        self.assertFalse(done._vms_confirm("confirm-key-0002").remainder_voucher_id)

    def test_remainder_leaves_what_other_sales_hold(self):
        self.campaign.remainder_as_voucher = True
        voucher = self.new_voucher(state="active", nominal_amount=50.0)
        other_till = self.hold(voucher, 15.0, "hold-key-other", order_ref="POS/OTHER")
        hold = self.hold(voucher, 20.0, "hold-key-0001")._vms_confirm("confirm-key-0001")
        child = hold.remainder_voucher_id
        # 50 - 20 spent - 15 another till holds: 15 paid out, 15 stay for the other till.
        self.assertEqual((child.nominal_amount, voucher.balance), (15.0, 15.0))
        self.assertEqual(voucher.state, "active")
        other_till._vms_confirm("confirm-key-other")
        self.assertEqual((voucher.balance, voucher.state), (0.0, "used"))
        self.assert_replay(voucher)

    def test_proof_the_terms_need(self):
        toys = self.env["product.category"].create({"name": "Toys"})
        kite = self.env["product.product"].create({"name": "Kite", "categ_id": toys.id})
        scoped = self.new_voucher(
            state="active", discount_scope="category", discount_category_id=toys.id
        )
        personal = self.new_voucher(state="active", partner_id=self.partner.id)
        minimum = self.new_voucher(state="active", min_payment_amount=30.0)
        for voucher, missing in (
            (scoped, ["lines"]),
            (personal, ["holder"]),
            (minimum, ["bill_amount"]),
        ):
            with self.subTest(missing=missing):
                error = refusal(self.Redemption._vms_validate, voucher.code, 5.0)
                self.assertEqual(
                    (error.code, error.details["missing"]), ("proof_required", missing)
                )
        lines = [{"product": kite, "qty": 1, "price_unit": 40.0}]
        self.assertEqual(self.Redemption._vms_validate(scoped.code, 5.0, lines=lines)[1], 5.0)
        self.assertEqual(self.Redemption._vms_validate(minimum.code, 5.0, lines=lines)[1], 5.0)
        # The holder is proved by the customer or by an active card of theirs.
        self.Redemption._vms_validate(personal.code, 5.0, partner=self.partner)
        self.Redemption._vms_validate(personal.code, 5.0, card=self.card)
        self.card.action_block()
        error = refusal(self.Redemption._vms_validate, personal.code, 5.0, card=self.card)
        self.assertEqual(error.code, "proof_required")

    def test_a_blocked_card_binds_nothing(self):
        bound = self.new_voucher(state="active", card_id=self.card.id, card_bound=True)
        self.assertTrue(self.Redemption._vms_validate(bound.code, 5.0, card=self.card))
        self.card.action_block()
        error = refusal(self.Redemption._vms_validate, bound.code, 5.0, card=self.card)
        self.assertEqual(error.code, "card_blocked")

    def test_amounts_off_the_currency_grid_are_refused(self):
        currency = self.env["res.currency"].create(
            {"name": "VGR", "symbol": "G", "rounding": 0.05, "decimal_places": 2}
        )
        self.company.currency_id = currency
        voucher = self.new_voucher(state="active", nominal_amount=50.0)
        for amount in (10.03, "10.03", "10.001"):
            with self.subTest(amount=amount):
                error = refusal(self.Redemption._vms_validate, voucher.code, amount)
                self.assertEqual(error.code, "invalid_amount")
        self.assertEqual(self.Redemption._vms_validate(voucher.code, "10.05")[1], 10.05)

    def test_time_rules_follow_the_store_not_the_user(self):
        """Validity and campaign hours are the store's: a user who sets another
        time zone on themselves changes nothing."""
        self.company.vms_tz = "Pacific/Kiritimati"  # UTC+14: already tomorrow there
        store_tomorrow = self.company._vms_today()
        voucher = self.new_voucher(state="active", valid_to=store_tomorrow - timedelta(days=1))
        self.store_user.tz = "Pacific/Pago_Pago"  # UTC-11: still yesterday for the user
        error = refusal(
            self.Redemption.with_context(tz="Pacific/Pago_Pago")._vms_validate, voucher.code, 5.0
        )
        self.assertEqual(error.code, "voucher_expired")
        self.assertTrue(voucher.is_expired)

    def test_campaign_window_store_scope_and_holder(self):
        voucher = self.new_voucher(state="active", partner_id=self.partner.id)
        error = refusal(self.hold, voucher, 5.0, "key-holder-01", partner=self.partner_2)
        self.assertEqual(error.code, "wrong_holder")
        branch = self.env["res.company"].create(
            {"name": "VMS Test Branch", "parent_id": self.company.id}
        )
        self.campaign.store_ids = branch
        self.assertEqual(refusal(self.hold, voucher, 5.0, "key-store-01").code, "wrong_store")
        self.campaign.store_ids = False
        weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        self.campaign.write({f"weekday_{day}": False for day in weekdays})
        self.assertEqual(refusal(self.hold, voucher, 5.0, "key-days-01").code, "campaign_closed")
        self.campaign.write({f"weekday_{day}": True for day in weekdays})
        self.campaign.action_close()
        self.assertEqual(refusal(self.hold, voucher, 5.0, "key-closed-1").code, "campaign_closed")
        self.assertFalse(voucher.redemption_ids)

    def test_item_group_scope_limits_the_eligible_amount(self):
        toys = self.env["product.category"].create({"name": "Toys"})
        food = self.env["product.category"].create({"name": "Food"})
        kite = self.env["product.product"].create({"name": "Kite", "categ_id": toys.id})
        bread = self.env["product.product"].create({"name": "Bread", "categ_id": food.id})
        voucher = self.new_voucher(
            state="active",
            value_type="discount",
            discount_type="percent",
            discount_value=10.0,
            discount_scope="category",
            discount_category_id=toys.id,
        )
        lines = [
            {"product": kite, "qty": 2, "price_unit": 15.0},
            {"product": bread, "qty": 1, "price_unit": 3.0},
        ]
        _voucher, eligible = self.Redemption._vms_validate(voucher.code, 33.0, lines=lines)
        self.assertEqual(eligible, 3.0, "10% of the 30.00 of toys, nothing of the bread")
        error = refusal(self.Redemption._vms_validate, voucher.code, 3.0, lines=[lines[1]])
        self.assertEqual(error.code, "no_eligible_items")

    def test_redeemed_by_flags_and_e_voucher_pin(self):
        self.company.vms_barcode_format = "ean13"
        voucher = self.e_voucher(external_qr_payload="PARTNER:QR:77")
        self.assertTrue(voucher.redeem_external_qr, "mapping a payload means taking it")
        voucher.with_user(self.manager).write(
            {"redeem_barcode": False, "redeem_qr": False, "redeem_external_qr": False}
        )
        self.assertEqual(refusal(self.hold, voucher, 5.0, "pin-key-0001").code, "pin_required")
        for presented in (voucher.barcode, "PARTNER:QR:77"):  # its EAN-13, the payload
            with self.subTest(presented=presented):
                error = refusal(
                    self.Redemption._vms_hold,
                    presented,
                    5.0,
                    order_ref="POS/1",
                    idempotency_key=f"pin-key-{len(presented)}-0001",
                    channel="pos",
                    pin="4711",  # a PIN does not open a way the voucher is not redeemed by
                )
                self.assertEqual(error.code, "method_not_allowed", error.args[0])
        error = refusal(self.hold, voucher, 5.0, "pin-key-0002", pin="0000")
        self.assertEqual((error.code, error.details["attempts_left"]), ("wrong_pin", 4))
        self.assertEqual(self.hold(voucher, 5.0, "pin-key-0003", pin="4711").amount, 5.0)
        # The right PIN forgot the failure; five wrong ones pause PIN entry,
        # even for the right PIN.
        lefts = []
        for attempt in range(5):
            error = refusal(self.hold, voucher, 5.0, f"pin-key-1{attempt}", pin="1234")
            lefts.append(error.details["attempts_left"])
        self.assertEqual(lefts, [4, 3, 2, 1, 0])
        error = refusal(self.hold, voucher, 5.0, "pin-key-0004", pin="4711")
        self.assertEqual((error.code, error.http_status), ("pin_locked", 429))
        self.assertEqual(len(voucher.redemption_ids), 1)
        # A PIN given for a voucher without one is ignored.
        plain = self.new_voucher(state="active")
        self.assertEqual(self.hold(plain, 5.0, "pin-key-0005", pin="4711").state, "held")
        with self.refused("must be redeemable some way"):
            voucher.with_user(self.manager).write({"redeem_pin": False})

    def test_a_pin_is_needed_whichever_way_the_code_comes(self):
        voucher = self.e_voucher()
        self.assertTrue(voucher.redeem_barcode and voucher.redeem_qr)
        self.assertEqual(refusal(self.hold, voucher, 5.0, "any-way-key-1").code, "pin_required")
        # A wrong PIN stays counted when the refused request is rolled back.
        with self.assertRaises(VmsError), self.env.cr.savepoint():
            self.hold(voucher, 5.0, "any-way-key-2", pin="0000")
        error = refusal(self.hold, voucher, 5.0, "any-way-key-3", pin="0001")
        self.assertEqual(error.details["attempts_left"], 3)
        # The remainder of an e-voucher is an e-voucher with the same PIN.
        self.campaign.remainder_as_voucher = True
        hold = self.hold(voucher, 20.0, "any-way-key-4", pin="4711")._vms_confirm("confirm-4")
        child = hold.remainder_voucher_id
        self.addCleanup(self._forget_pin_failures, child)
        self.assertEqual(refusal(self.hold, child, 5.0, "any-way-key-5").code, "pin_required")
        self.assertEqual(self.hold(child, 5.0, "any-way-key-6", pin="4711").amount, 5.0)

    def test_many_wrong_pins_block_until_a_new_pin(self):
        voucher = self.e_voucher()
        with self.registry.cursor() as cr:  # fifteen old failures, none recent
            cr.execute(
                """
                INSERT INTO vms_voucher_pin_failure (voucher_id, date)
                SELECT %s, now() at time zone 'UTC' - interval '1 hour' FROM generate_series(1, 15)
                """,
                [voucher.id],
            )
        error = refusal(self.hold, voucher, 5.0, "blocked-key-1", pin="4711")
        self.assertEqual((error.code, error.http_status), ("pin_blocked", 403))
        # Setting a new PIN forgets the failures (when its transaction commits).
        voucher.with_user(self.manager)._vms_set_pin("8080")
        self.env.cr.execute(
            "SELECT count(*) FROM vms_voucher_pin_failure WHERE voucher_id = %s", [voucher.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_foreign_company_voucher_is_not_found(self):
        foreign = self.foreign_voucher()
        error = refusal(
            self.Redemption.sudo()._vms_hold,
            foreign.code,
            5.0,
            order_ref="POS/1",
            idempotency_key="foreign-key-1",
            channel="pos",
        )
        self.assertIn(error.code, ("voucher_not_found", "invalid_code"))
        self.assertEqual(foreign.spent_amount, 0)


@tagged("post_install", "-at_install")
class TestRedemptionOtp(MockSMS, RedemptionCase):
    """Seed 003 on the engine: with OTP mandatory, no confirmation at or above
    the minimum without the holder's code."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "vms_otp_mandatory": True,
                "vms_otp_min_amount": 25.0,
                "country_id": cls.env.ref("base.be").id,
            }
        )
        cls.partner.phone = "+32 470 99 88 77"

    def test_otp_needed_at_or_above_the_minimum(self):
        voucher = self.new_voucher(state="active", nominal_amount=50.0, partner_id=self.partner.id)
        small = self.hold(voucher, 24.99, "small-key-0001", partner=self.partner)
        small._vms_confirm("small-confirm-1")  # below the minimum: no code asked
        hold = self.hold(voucher, 25.0, "otp-key-0001", order_ref="POS/0002", partner=self.partner)
        error = refusal(hold._vms_confirm, "otp-confirm-01")
        self.assertEqual((error.code, error.http_status), ("otp_required", 403))
        with self.mockSMSGateway():
            otp = hold._vms_request_otp()
        code = self._sms[0]["body"][:6]
        self.assertEqual(otp.phone, "+32470998877")
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        self.assertEqual(
            refusal(hold._vms_confirm, "otp-confirm-01", otp_id=otp.id, otp_code=wrong).code,
            "otp_invalid",
        )
        self.assertEqual(hold.state, "held")
        hold._vms_confirm("otp-confirm-01", otp_id=otp.id, otp_code=code)
        self.assertEqual((hold.state, hold.otp_id, otp.state), ("confirmed", otp, "used"))
        self.assertEqual(voucher.spent_amount, 49.99)

    def test_otp_of_another_hold_is_refused(self):
        voucher = self.new_voucher(state="active", nominal_amount=80.0, partner_id=self.partner.id)
        first = self.hold(voucher, 30.0, "otp-key-0001", partner=self.partner)
        second = self.hold(
            voucher, 30.0, "otp-key-0002", order_ref="POS/0002", partner=self.partner
        )
        with self.mockSMSGateway():
            otp = first._vms_request_otp()
        code = self._sms[0]["body"][:6]
        error = refusal(second._vms_confirm, "confirm-other", otp_id=otp.id, otp_code=code)
        self.assertEqual(error.code, "otp_mismatch")
        self.assertEqual(second.state, "held")

    def test_no_holder_no_otp(self):
        """A bearer voucher has nobody to send a code to: it needs none."""
        voucher = self.new_voucher(state="active", nominal_amount=50.0)
        hold = self.hold(voucher, 30.0, "otp-key-0001")
        with self.mockSMSGateway():
            error = refusal(hold._vms_request_otp)
        self.assertEqual(error.code, "otp_not_needed")
        self.assertFalse(self._sms)
        hold._vms_confirm("otp-key-conf1")
        self.assertEqual(hold.state, "confirmed")

    def test_the_code_goes_to_the_vouchers_holder_never_the_presenters(self):
        """A presenter's card names no holder for a voucher of someone else, nor
        approves a bearer voucher."""
        stranger = self.env["res.partner"].create({"name": "Stranger", "phone": "+32 470 11 11 11"})
        stranger_card = self.env["vms.card"].create(
            {"partner_id": stranger.id, "company_id": self.company.id, "state": "active"}
        )
        voucher = self.new_voucher(state="active", nominal_amount=50.0, card_id=self.card.id)
        hold = self.hold(voucher, 30.0, "otp-key-0001", card=stranger_card)
        with self.mockSMSGateway():
            otp = hold._vms_request_otp()
        self.assertEqual((otp.partner_id, otp.phone), (self.partner, "+32470998877"))
        self.assertEqual([sms["number"] for sms in self._sms], ["+32470998877"])
