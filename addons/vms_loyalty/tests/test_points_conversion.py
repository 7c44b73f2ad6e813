from unittest.mock import patch

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.sms.tests.common import MockSMS

from .common_points import PointsCase
from .test_otp import refusal


@tagged("post_install", "-at_install")
class TestPointsConversion(MockSMS, PointsCase):
    """Points to a voucher of the "versus bonus points" type, in one
    transaction: all of it or nothing."""

    def convert(self, points, key="bo-convert-0001", **kwargs):
        return (
            self.env["vms.redemption"]
            .with_user(self.vms_user)
            ._vms_points_convert(
                kwargs.pop("holder", self.card),
                points,
                idempotency_key=key,
                channel="backoffice",
                **kwargs,
            )
        )

    def pay(self, voucher, amount, order_ref, key):
        """The store pays with ``voucher`` at the till, for the member."""
        return (
            self.env["vms.redemption"]
            .with_user(self.store_user)
            ._vms_redeem(
                voucher.code,
                amount,
                order_ref=order_ref,
                idempotency_key=key,
                channel="pos",
                partner=self.partner,
            )
        )

    def test_points_become_an_active_voucher_with_its_rows(self):
        self.give(2500)
        hold = self.convert(1500)
        voucher = hold.sudo().points_voucher_id
        self.assertEqual(
            (hold.state, hold.points_purpose, hold.amount), ("confirmed", "convert", 15.0)
        )
        self.assertEqual(
            (voucher.state, voucher.voucher_type, voucher.nominal_amount, voucher.campaign_id),
            ("active", "points", 15.0, self.points_campaign),
        )
        self.assertEqual((voucher.partner_id, voucher.card_id), (self.partner, self.card))
        self.assertEqual((voucher.valid_from, voucher.valid_to), (self.today, self.days(90)))
        self.assertFalse(voucher.bonus_points_accrue)
        self.assertEqual(self.rows(voucher).mapped("type"), ["generate", "activate"])
        move = self.moves(move_type="convert")
        self.assertEqual((move.points, move.voucher_id, move.redemption_id), (-1500, voucher, hold))
        self.assertEqual(move.user_id, self.vms_user)
        self.assertEqual(self.balance(), 1000)
        result = hold._vms_result()
        self.assertEqual((result["voucher_code"], result["points_balance"]), (voucher.code, 1000))
        # A retry: the same voucher, nothing more.
        self.assertEqual(self.convert(1500), hold)
        self.assertEqual(len(self.moves(move_type="convert")), 1)
        # The voucher pays like any other.
        self.pay(voucher, 15.0, "POS/9", "pay-voucher-01")
        self.assertEqual(voucher.state, "used")
        self.assert_ledger()

    def test_reversing_a_conversion_takes_its_voucher_back(self):
        """The points come back only with the voucher they bought: whole, the
        voucher unspent, which is then blocked; never both."""
        self.give(3000)
        hold = self.convert(1500)
        voucher = hold.sudo().points_voucher_id
        reverse = self.as_manager(hold)._vms_reverse
        self.assertEqual(
            refusal(reverse, "bo-conv-rev-0001", amount="5.00", reason="part").code,
            "invalid_amount",
        )
        self.assertEqual((voucher.state, self.balance()), ("active", 1500))
        reverse("bo-conv-rev-0002", reason="changed their mind")
        self.assertEqual(
            (voucher.state, voucher.withdrawn, self.balance()), ("blocked", True, 3000)
        )
        self.assertEqual(hold.points_reversed, 1500)
        self.assertEqual(
            refusal(self.pay, voucher, 1.0, "POS/10", "pay-voucher-02").code,
            "voucher_blocked",
        )
        # A voucher already (partly) spent keeps its points spent.
        spent = self.convert(1000, key="bo-convert-0009")
        bought = spent.sudo().points_voucher_id
        payment = self.pay(bought, 1.0, "POS/11", "pay-voucher-03")
        self.assertEqual(
            refusal(self.as_manager(spent)._vms_reverse, "bo-conv-rev-0003", reason="r").code,
            "voucher_already_used",
        )
        self.assertEqual((bought.state, bought.spent_amount, self.balance()), ("active", 1.0, 2000))
        # Its payment reversed, the voucher is unspent again; a till's hold
        # that expired holds nothing, swept or not: the points come back.
        self.as_manager(payment)._vms_reverse("pos-rev-0011", reason="returned")
        stale = self.Engine._vms_hold(
            bought.code,
            2.0,
            order_ref="POS/12",
            idempotency_key="hold-voucher-04",
            channel="pos",
            partner=self.partner,
        ).sudo()
        stale.expires_at = "2000-01-01 00:00:00"
        self.assertEqual(stale.state, "held")
        self.as_manager(spent)._vms_reverse("bo-conv-rev-0004", reason="r")
        self.assertEqual(
            (bought.state, bought.spent_amount, self.balance()), ("blocked", 0.0, 3000)
        )
        # A voucher a manager blocked first is withdrawn all the same.
        lost = self.convert(500, key="bo-convert-0010")
        lost_voucher = lost.sudo().points_voucher_id
        self.as_manager(lost_voucher).action_block("card lost")
        self.as_manager(lost)._vms_reverse("bo-conv-rev-0005", reason="r")
        self.assertEqual((lost_voucher.state, lost_voucher.withdrawn), ("blocked", True))
        with self.assertRaisesRegex(UserError, "withdrawn"):
            self.as_manager(lost_voucher).action_unblock("found")
        self.assertEqual(self.balance(), 3000)
        self.assert_ledger()

    def test_a_failure_issuing_the_voucher_leaves_the_points_untouched(self):
        self.give(2500)
        Voucher = type(self.env["vms.voucher"])
        with (
            patch.object(
                Voucher, "create", autospec=True, side_effect=ValidationError("no more vouchers")
            ),
            self.assertRaises(ValidationError),
        ):
            self.convert(1500)
        self.assertEqual((self.balance(), self.available()), (2500, 2500))
        self.assertFalse(self.moves(move_type="convert"))
        holds = (
            self.env["vms.redemption"]
            .sudo()
            .search([("points_account_id", "=", self.account().id)])
        )
        self.assertFalse(holds)
        self.assertFalse(
            self.env["vms.voucher"].sudo().search([("campaign_id", "=", self.points_campaign.id)])
        )
        self.assert_ledger()

    def test_refusals(self):
        self.give(1000)
        self.assertEqual(refusal(self.convert, 1001).code, "insufficient_points")
        self.assertEqual(refusal(self.convert, "1.5", key="bo-convert-0002").code, "invalid_points")
        self.points_campaign.action_close()
        self.assertEqual(
            refusal(self.convert, 100, key="bo-convert-0003").code, "conversion_closed"
        )
        self.assertEqual(self.balance(), 1000)

    def test_an_otp_from_the_minimum_value(self):
        self.company.write(
            {
                "vms_otp_mandatory": True,
                "vms_otp_min_amount": 10.0,
                "country_id": self.env.ref("base.be").id,
            }
        )
        self.give(2500)
        error = refusal(self.convert, 1500, order_ref="BO-CONVERT-1")
        self.assertEqual((error.code, error.http_status), ("otp_required", 403))
        self.assertFalse(
            self.env["vms.voucher"].sudo().search([("campaign_id", "=", self.points_campaign.id)])
        )
        with self.mockSMSGateway():
            otp = self.env["vms.otp"]._vms_request(
                self.partner, 15.0, "BO-CONVERT-1", "points_redemption"
            )
        code = self._sms[0]["body"][:6]
        hold = self.convert(
            1500, key="bo-convert-0002", order_ref="BO-CONVERT-1", otp_id=otp.id, otp_code=code
        )
        self.assertEqual((hold.state, otp.state), ("confirmed", "used"))
        self.assertEqual(self.balance(), 1000)
