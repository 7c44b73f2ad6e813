import base64
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from ..tools import codes
from .common_points import PointsCase
from .test_otp import refusal


@tagged("post_install", "-at_install")
class TestRewards(PointsCase):
    """The reward catalogue: a claim holds the points and gives a random,
    single-use code with a lifetime; handing the reward over spends them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mug_product = cls.env["product.product"].create({"name": "Club Mug"})
        Reward = cls.env["vms.reward"]
        cls.mug = Reward.create(
            {
                "name": "Club Mug",
                "code": "MUG",
                "company_id": cls.company.id,
                "reward_type": "product",
                "product_id": cls.mug_product.id,
                "points_cost": 600,
                "cash_price": 2.0,
            }
        )
        cls.voucher_reward = Reward.create(
            {
                "name": "10.00 Voucher",
                "code": "V10",
                "company_id": cls.company.id,
                "reward_type": "voucher",
                "voucher_amount": 10.0,
                "points_cost": 900,
                "claim_days": 3,
            }
        )

    def claim(self, reward=None, key="app-claim-0001", holder=None):
        return (
            self.env["vms.redemption"]
            .with_user(self.vms_user)
            ._vms_reward_claim(
                holder or self.card, reward or self.mug, idempotency_key=key, channel="backoffice"
            )
        )

    def redeem(self, code, key="desk-redeem-0001"):
        return self.Engine._vms_reward_redeem(code, idempotency_key=key, channel="panel")

    def test_claim_holds_the_points_and_handing_over_spends_them(self):
        self.give(1000)
        hold = self.claim()
        claim = hold.sudo().reward_claim_id
        self.assertEqual((claim.state, claim.points, claim.cash_price), ("claimed", 600, 2.0))
        self.assertEqual(
            (hold.state, hold.points_purpose, hold.expires_at), ("held", "reward", claim.expires_at)
        )
        self.assertTrue(codes.luhn_mod_n_valid(claim.code[2:]) and claim.code.startswith("RW"))
        self.assertTrue(base64.b64decode(claim.qr_image).startswith(b"\x89PNG"))
        self.assertAlmostEqual(
            claim.expires_at, fields.Datetime.now() + timedelta(days=14), delta=timedelta(minutes=1)
        )
        self.assertEqual((self.balance(), self.available()), (1000, 400))
        self.assertEqual(refusal(self.claim, key="app-claim-0002").code, "insufficient_points")
        # The claim's hold is settled by the handover, not by the core's
        # confirm or release (which would part the points from the reward).
        self.assertEqual(refusal(hold._vms_confirm, "app-conf-0001").code, "reward_claim_open")
        self.assertEqual(refusal(hold._vms_release).code, "reward_claim_open")
        self.assertEqual((hold.state, self.available()), ("held", 400))
        # A store user scans the QR (a scanner may add dashes and lower case).
        scanned = f"{claim.code[:6].lower()}-{claim.code[6:]}"
        redeemed = self.redeem(scanned)
        self.assertEqual(redeemed, hold)
        claim.invalidate_recordset()
        self.assertEqual(
            (claim.state, claim.redeemed_user_id, claim.redeemed_store_id),
            ("redeemed", self.store_user, self.company),
        )
        self.assertEqual(claim.redeemed_channel, "panel")
        move = self.moves(move_type="redeem")
        self.assertEqual(
            (move.points, move.redemption_id, move.reason), (-600, hold, "reward Club Mug")
        )
        self.assertEqual(self.balance(), 400)
        # A retry gets the first answer; another scan is refused.
        self.assertEqual(self.redeem(claim.code), hold)
        error = refusal(self.redeem, claim.code, key="desk-redeem-0002")
        self.assertEqual((error.code, error.http_status), ("reward_redeemed", 409))
        self.assert_ledger()

    def test_a_voucher_reward_issues_its_voucher_when_handed_over(self):
        self.give(1000)
        claim = self.claim(self.voucher_reward).sudo().reward_claim_id
        self.assertAlmostEqual(
            claim.expires_at, fields.Datetime.now() + timedelta(days=3), delta=timedelta(minutes=1)
        )
        # While its card is blocked, the claim is not handed over.
        self.card.sudo().state = "blocked"
        self.assertEqual(refusal(self.redeem, claim.code).code, "card_blocked")
        self.assertEqual(claim.state, "claimed")
        self.card.sudo().state = "active"
        hold = self.redeem(claim.code, key="desk-redeem-0003")
        voucher = hold.sudo().points_voucher_id
        self.assertEqual(
            (voucher.nominal_amount, voucher.voucher_type, voucher.state),
            (10.0, "points", "active"),
        )
        self.assertEqual(
            (claim.voucher_id, hold._vms_result()["voucher_code"]), (voucher, voucher.code)
        )

    def test_a_reward_given_back_returns_its_points_whole_and_cancels_its_claim(self):
        self.give(1000)
        hold = self.redeem(self.claim().sudo().reward_claim_id.code)
        claim = hold.sudo().reward_claim_id
        self.assertEqual((claim.state, self.balance()), ("redeemed", 400))
        # Another store does not take it back (it was handed over here).
        branch = self.env["res.company"].create({"name": "Branch", "parent_id": self.company.id})
        self.manager.company_ids |= branch
        error = refusal(
            self.as_manager(hold).with_company(branch)._vms_reverse,
            "bo-reward-rev-0000",
            reason="r",
        )
        self.assertEqual((error.code, claim.state), ("reward_handed_over_elsewhere", "redeemed"))
        # Half a mug does not come back: the points neither.
        reverse = self.as_manager(hold)._vms_reverse
        error = refusal(reverse, "bo-reward-rev-0001", amount=hold.amount / 2, reason="r")
        self.assertEqual(
            (error.code, claim.state, self.balance()), ("invalid_amount", "redeemed", 400)
        )
        reverse("bo-reward-rev-0002", reason="mug returned")
        claim.invalidate_recordset()
        self.assertEqual((claim.state, self.balance()), ("canceled", 1000))
        self.assertEqual(
            (claim.redeemed_user_id, hold._vms_result()["reward_state"]),
            (self.store_user, "canceled"),
        )
        # The code stays spent.
        self.assertEqual(
            refusal(self.redeem, claim.code, key="desk-redeem-0009").code, "reward_canceled"
        )
        # A voucher reward comes back with its voucher withdrawn.
        voucher_hold = self.redeem(
            self.claim(self.voucher_reward, key="app-claim-0009").sudo().reward_claim_id.code,
            key="desk-redeem-0010",
        )
        self.as_manager(voucher_hold)._vms_reverse("bo-reward-rev-0003", reason="returned")
        voucher_claim = voucher_hold.sudo().reward_claim_id
        self.assertEqual(
            (voucher_claim.state, voucher_hold.sudo().points_voucher_id.withdrawn, self.balance()),
            ("canceled", True, 1000),
        )
        self.assert_ledger()

    def test_canceled_and_lapsed_claims_free_their_points(self):
        self.give(2000)
        first = self.claim().sudo().reward_claim_id
        second = self.claim(key="app-claim-0002").sudo().reward_claim_id
        self.assertEqual(self.available(), 800)
        first.with_user(self.vms_user).action_cancel()
        self.assertEqual(
            (first.state, first.redemption_id.state, self.available()),
            ("canceled", "released", 1400),
        )
        self.assertEqual(refusal(self.redeem, first.code).code, "reward_canceled")
        with freeze_time(fields.Datetime.now() + timedelta(days=15)):
            self.assertEqual(refusal(self.redeem, second.code).code, "reward_expired")
            self.Account._cron_expire_points()
            self.assertEqual((second.state, second.redemption_id.state), ("expired", "expired"))
            self.assertEqual(self.available(), 2000)
        self.assertEqual(
            refusal(first.with_user(self.vms_user).action_cancel).code, "reward_not_claimed"
        )

    def test_a_claim_lasts_no_longer_than_the_points_it_holds(self):
        self.give(400, days=5)
        self.give(400, days=100)
        claim = self.claim().sudo().reward_claim_id
        # 600 of 800 points: after the first lot's last day only 400 are left.
        end = claim.expires_at
        self.assertLess(end, fields.Datetime.now() + timedelta(days=7))
        self.assertGreater(end, fields.Datetime.now() + timedelta(days=5))

    def test_codes_are_looked_up_on_the_server_within_the_retailer(self):
        self.give(1000)
        claim = self.claim().sudo().reward_claim_id
        for code, error_code in (
            ("RW", "invalid_reward_code"),
            (claim.code[:-1] + ("2" if claim.code[-1] != "2" else "3"), "invalid_reward_code"),
            ("RW" + codes.random_codes(1, "", 14)[0], "reward_code_not_found"),
            (12345, "invalid_reward_code"),
        ):
            with self.subTest(code=code):
                self.assertEqual(refusal(self.redeem, code).code, error_code)
        # Another retailer's store user does not know the code.
        outsider = self.env["res.users"].create(
            {
                "name": "Outsider",
                "login": "outsider_rw",
                "company_id": self.other_company.id,
                "company_ids": [fields.Command.set(self.other_company.ids)],
                "group_ids": [
                    fields.Command.set([self.env.ref("vms_loyalty.group_vms_store_user").id])
                ],
            }
        )
        Foreign = (
            self.env["vms.redemption"]
            .with_user(outsider)
            .with_context(allowed_company_ids=self.other_company.ids)
        )
        error = refusal(
            Foreign._vms_reward_redeem,
            claim.code,
            idempotency_key="outsider-rw-01",
            channel="panel",
        )
        self.assertEqual(error.code, "reward_code_not_found")
        self.assertEqual(claim.state, "claimed")
        # An archived reward or another retailer's cannot be claimed.
        self.mug.active = False
        self.assertEqual(refusal(self.claim, key="app-claim-0003").code, "reward_not_found")
