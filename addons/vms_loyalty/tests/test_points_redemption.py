from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from odoo.addons.sms.tests.common import MockSMS

from .common_points import PointsCase
from .test_otp import refusal


class PointsRedemptionCase(PointsCase):
    def hold(self, points=None, amount=None, key="till-1-hold-0001", order_ref="POS/0001", **kw):
        return self.Engine._vms_points_hold(
            kw.pop("holder", self.card),
            points=points,
            amount=amount,
            order_ref=order_ref,
            idempotency_key=key,
            channel=kw.pop("channel", "pos"),
            **kw,
        )


@tagged("post_install", "-at_install")
class TestPointsRedemption(PointsRedemptionCase):
    """Points as a tender: hold, confirm, release, reverse through the engine
    core, partial and hybrid payments, retries and refusals."""

    def test_hold_confirm_release_like_a_voucher(self):
        self.give(1000)
        hold = self.hold(points=600)
        self.assertEqual(
            (hold.kind, hold.state, hold.points, hold.amount), ("points", "held", 600, 6.0)
        )
        self.assertEqual((self.balance(), self.available()), (1000, 400))
        # A second till sees what is held at once.
        error = refusal(self.hold, points=500, key="till-2-hold-0001", order_ref="POS/0002")
        self.assertEqual((error.code, error.http_status), ("insufficient_points", 409))
        self.assertIn("400", error.args[0])
        other = self.hold(points=400, key="till-2-hold-0002", order_ref="POS/0002")
        self.assertEqual(self.available(), 0)
        other._vms_release()
        self.assertEqual((other.state, self.available()), ("released", 400))
        # Holding spent nothing; confirming spends once.
        self.assertFalse(self.moves(move_type="redeem"))
        first = hold._vms_confirm("till-1-conf-0001", bill_amount=25.0)._vms_result()
        self.assertEqual(
            hold._vms_confirm("till-1-conf-0001", bill_amount=25.0)._vms_result(), first
        )
        move = self.moves(move_type="redeem")
        self.assertEqual(
            (len(move), move.points, move.order_ref, move.redemption_id),
            (1, -600, "POS/0001", hold),
        )
        self.assertEqual(
            (move.user_id, move.channel, move.card_id), (self.store_user, "pos", self.card)
        )
        self.assertEqual(move.bill_amount, 25.0)
        self.assertEqual(hold.points_move_id, move)
        self.assertEqual(
            (first["points_balance"], first["points_available"], first["points"]), (400, 400, 600)
        )
        self.assertEqual(first["kind"], "points")
        self.assertEqual(refusal(hold._vms_release).code, "hold_confirmed")
        self.assert_ledger()

    def test_partial_use_and_hybrid_amounts(self):
        self.give(1234)
        # 20.00 bill: 12.34 in points (all of them), the rest in cash.
        hold = self.hold(amount="12.34")
        self.assertEqual((hold.points, hold.amount), (1234, 12.34))
        hold._vms_confirm("till-1-conf-0001")
        self.assertEqual(self.balance(), 0)
        # A point worth 3 cents: 1.00 takes 34 points (rounded up), 34 points pay 1.02.
        self.program.point_value = 0.03
        self.give(100)
        hold = self.hold(amount=1.0, key="till-1-hold-0002", order_ref="POS/0002")
        self.assertEqual((hold.points, hold.amount), (34, 1.0))
        hold = self.hold(points=34, key="till-1-hold-0003", order_ref="POS/0003")
        self.assertEqual((hold.points, hold.amount), (34, 1.02))
        for kwargs, code in (
            ({"amount": "1.001"}, "invalid_amount"),
            ({"amount": -5}, "invalid_amount"),
            ({"points": "1.5"}, "invalid_points"),
            ({"points": 0}, "invalid_points"),
            ({"points": 10, "amount": 1}, "points_or_amount"),
            ({}, "points_required"),
            ({"amount": 100}, "insufficient_points"),
        ):
            with self.subTest(kwargs=kwargs):
                self.assertEqual(refusal(self.hold, key="till-1-hold-bad", **kwargs).code, code)
        self.program.point_value = 0.001
        error = refusal(self.hold, points=1, key="till-1-hold-tiny")
        self.assertEqual(error.code, "points_worth_nothing")
        self.assert_ledger()

    def test_idempotent_retries(self):
        self.give(1000)
        redeem = self.Engine._vms_points_redeem_answer
        request = {"order_ref": "WEB/7", "idempotency_key": "web-7-redeem-01", "channel": "api"}
        first = redeem(self.card, points=100, **request)
        self.assertEqual(redeem(self.card, points=100, **request), first)
        self.assertEqual(redeem(self.card, points="100", **request), first)
        self.assertEqual(len(self.moves(move_type="redeem")), 1)
        for change in ({"points": 101}, {"amount": 1}):
            with self.subTest(change=change):
                self.assertEqual(
                    refusal(redeem, self.card, **{**request, **change}).code,
                    "idempotency_key_reused",
                )
        self.assertEqual(
            refusal(redeem, self.partner, points=100, **request).code, "idempotency_key_reused"
        )
        self.assertEqual(self.balance(), 900)

    def test_refusals_change_nothing(self):
        self.give(500)
        blocked = self.env["vms.card"].create({"partner_id": self.partner.id, "state": "blocked"})
        new = self.env["vms.card"].create({"partner_id": self.partner.id, "state": "new"})
        orphan = self.env["vms.card"].create({"state": "active"})
        for holder, code in (
            (blocked, "card_blocked"),
            (new, "card_not_active"),
            (orphan, "card_without_member"),
            (self.env["res.partner"], "member_required"),
            (self.partner_2, "insufficient_points"),
        ):
            with self.subTest(code=code):
                self.assertEqual(refusal(self.hold, points=10, holder=holder).code, code)
        self.assertEqual(refusal(self.hold, points=10, order_ref="").code, "order_ref_required")
        error = refusal(
            self.Engine._vms_points_hold,
            self.card,
            points=10,
            order_ref="X",
            idempotency_key="short",
            channel="pos",
        )
        self.assertEqual(error.code, "idempotency_key_required")
        self.assertEqual(refusal(self.hold, points=10, channel="fax").code, "invalid_channel")
        # A user of another retailer finds no such card.
        outsider = self.env["res.users"].create(
            {
                "name": "Outsider",
                "login": "outsider",
                "company_id": self.other_company.id,
                "company_ids": [fields.Command.set(self.other_company.ids)],
                "group_ids": [
                    fields.Command.set([self.env.ref("vms_loyalty.group_vms_store_user").id])
                ],
            }
        )
        error = refusal(
            self.env["vms.redemption"]
            .with_user(outsider)
            .with_context(allowed_company_ids=self.other_company.ids)
            ._vms_points_hold,
            self.card,
            points=10,
            order_ref="X/1",
            idempotency_key="outsider-0001",
            channel="pos",
        )
        self.assertIn(error.code, ("card_not_found", "points_not_configured"))
        holds = (
            self.env["vms.redemption"]
            .sudo()
            .search([("points_account_id", "=", self.account().id)])
        )
        self.assertFalse(holds)
        self.assertEqual(self.balance(), 500)

    def test_reverse_gives_the_points_back_to_their_lots(self):
        soon = self.give(100, days=10)
        late = self.give(100, days=100)
        hold = self.hold(points=150)
        hold._vms_confirm("till-1-conf-0001")
        self.assertEqual((soon.remaining, late.remaining), (0, 50))
        # Part of it, through the core: 0.60 of 1.50 gives 60 points back,
        # to the lot drawn last first.
        self.as_manager(hold)._vms_reverse(
            "till-1-rev-00001", amount="0.60", reason="returned a mug"
        )
        self.assertEqual((soon.remaining, late.remaining), (10, 100))
        self.assertEqual((hold.reversed_amount, hold.points_reversed), (0.6, 60))
        self.as_manager(hold)._vms_reverse("till-1-rev-00002", reason="the rest")
        self.assertEqual((soon.remaining, late.remaining), (100, 100))
        self.assertEqual((hold.reversed_amount, hold.points_reversed), (1.5, 150))
        reverses = self.moves(move_type="reverse")
        self.assertEqual(reverses.mapped("points"), [60, 90])
        self.assertEqual(set(reverses.origin_id.ids), {hold.points_move_id.id})
        self.assertEqual(
            refusal(self.as_manager(hold)._vms_reverse, "till-1-rev-00003", reason="x").code,
            "invalid_amount",
        )
        # A store user may not reverse.
        self.assertEqual(
            refusal(hold._vms_reverse, "till-1-rev-00004", reason="x").code, "reverse_not_allowed"
        )
        self.assert_ledger()

    def test_a_lapsed_hold_frees_its_points(self):
        self.give(100)
        hold = self.hold(points=100, ttl_seconds=60)
        self.assertEqual(self.available(), 0)
        with freeze_time(fields.Datetime.now() + timedelta(seconds=61)):
            self.assertEqual(self.available(), 100)
            self.env["vms.redemption"]._cron_expire_holds()
            self.assertEqual(hold.state, "expired")
            self.assertEqual(refusal(hold._vms_confirm, "till-1-conf-late").code, "hold_expired")

    def test_points_that_expired_while_held_are_not_spent(self):
        self.give(100, days=0)
        hold = self.hold(points=100)
        with freeze_time(fields.Datetime.now() + timedelta(days=1)):
            hold.sudo().expires_at = fields.Datetime.now() + timedelta(minutes=5)
            error = refusal(hold._vms_confirm, "till-1-conf-0001")
        self.assertEqual(error.code, "insufficient_points")
        self.assertEqual(hold.state, "held")


@tagged("post_install", "-at_install")
class TestPointsOtp(MockSMS, PointsRedemptionCase):
    """Seed 003 on points: from the minimum value (in money), no points are
    spent without the code sent to the member's mobile."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "vms_otp_mandatory": True,
                "vms_otp_min_amount": 5.0,
                "country_id": cls.env.ref("base.be").id,
            }
        )

    def test_otp_from_the_minimum_value(self):
        self.give(2000)
        small = self.hold(points=499)
        small._vms_confirm("till-1-conf-0001")  # 4.99: no code
        hold = self.hold(points=500, key="till-1-hold-0002", order_ref="POS/0002")
        error = refusal(hold._vms_confirm, "till-1-conf-0002")
        self.assertEqual((error.code, error.http_status), ("otp_required", 403))
        with self.mockSMSGateway():
            otp = hold._vms_request_otp()
        self.assertEqual(
            (otp.purpose, otp.partner_id, otp.phone),
            ("points_redemption", self.partner, "+32470123456"),
        )
        self.assertEqual((otp.amount, otp.reference), (5.0, "POS/0002"))
        code = self._sms[0]["body"][:6]
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        self.assertEqual(
            refusal(hold._vms_confirm, "till-1-conf-0002", otp_id=otp.id, otp_code=wrong).code,
            "otp_invalid",
        )
        self.assertEqual((hold.state, self.balance()), ("held", 1501))
        hold._vms_confirm("till-1-conf-0002", otp_id=otp.id, otp_code=code)
        self.assertEqual((hold.state, hold.otp_id, otp.state), ("confirmed", otp, "used"))
        self.assertEqual(self.balance(), 1001)

    def test_the_tills_verified_code(self):
        self.give(2000)
        hold = self.hold(points=800)
        with self.mockSMSGateway():
            otp = hold._vms_request_otp()
        code = self._sms[0]["body"][:6]
        # The cashier types the code in the popup; the sync confirms with it.
        verified = self.env["vms.otp"]._vms_verify(
            otp.id,
            code,
            partner=self.partner,
            amount=8.0,
            reference="POS/0001",
            purpose="points_redemption",
        )
        hold._vms_confirm("till-1-conf-0001", verified_otp=verified)
        self.assertEqual(hold.state, "confirmed")

    def test_a_voucher_code_approves_no_points(self):
        self.give(2000)
        voucher = self.new_voucher(state="active", partner_id=self.partner.id, nominal_amount=50.0)
        voucher_hold = self.Engine._vms_hold(
            voucher.code,
            10.0,
            order_ref="POS/0009",
            idempotency_key="till-1-vhold-01",
            channel="pos",
            partner=self.partner,
        )
        with self.mockSMSGateway():
            voucher_otp = voucher_hold._vms_request_otp()
        voucher_code = self._sms[0]["body"][:6]
        points_hold = self.hold(points=1000, key="till-1-hold-0009", order_ref="POS/0009")
        error = refusal(
            points_hold._vms_confirm,
            "till-1-conf-0009",
            otp_id=voucher_otp.id,
            otp_code=voucher_code,
        )
        self.assertEqual(error.code, "otp_mismatch")

    def test_redeem_in_one_call_leaves_no_hold_when_refused(self):
        self.give(2000)
        error = refusal(
            self.Engine._vms_points_redeem,
            self.card,
            points=1000,
            order_ref="WEB/1",
            idempotency_key="web-1-redeem-01",
            channel="api",
        )
        self.assertEqual(error.code, "otp_required")
        holds = (
            self.env["vms.redemption"]
            .sudo()
            .search([("points_account_id", "=", self.account().id)])
        )
        self.assertFalse(holds)
        self.assertEqual(self.balance(), 2000)
