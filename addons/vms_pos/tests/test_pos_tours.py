import secrets
from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon
from odoo.addons.sms.tests.common import MockSMS

from .common import VmsPosCase
from .test_pos_otp import FixedCode

# The codes the tours type or scan (static/tests/tours/vms_pos_voucher_tours.js).
CODES = {
    "cash": "VMSTVRPAYCASH26",
    "blocked": "VMSTVRBLKD2222G",
    "expired": "VMSTVREXPRD222F",
    "store": "VMSTVRSTRE2222B",
    "holder": "VMSTVRHLDR2222P",
}


@tagged("post_install", "-at_install")
class TestVmsPosTours(TestPointOfSaleHttpCommon):
    def test_sell_for_cash_and_close(self):
        """A cashier opens the till, sells a desk pad for cash and closes the session."""
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id
        self.start_pos_tour("vms_pos_sell_for_cash")
        order = self.env["pos.order"].search([("session_id", "=", session.id)])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.amount_total, 10.0)
        self.assertEqual(order.payment_ids.payment_method_id.type, "cash")
        self.assertEqual(session.state, "closed")
        self.assertEqual(self.main_pos_config.last_session_closing_cash, 10.0)


@tagged("post_install", "-at_install")
class TestVmsPosVoucherTours(VmsPosCase, MockSMS):
    """The Voucher tender in the real POS, in headless Chromium."""

    def session_orders(self):
        return self.env["pos.order"].search(
            [("session_id", "=", self.main_pos_config.current_session_id.id)], order="id"
        )

    def test_scan_a_voucher_pay_part_and_the_rest_in_cash(self):
        voucher = self.new_voucher(30.0, code=CODES["cash"])
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vms_pos_voucher_and_cash")
        order = self.session_orders()
        self.assertEqual(len(order), 1)
        self.assertRecordValues(
            order.payment_ids.sorted("amount"),
            [
                {"payment_method_id": self.cash_method.id, "amount": 20.0},
                {"payment_method_id": self.voucher_method.id, "amount": 30.0},
            ],
        )
        self.assertEqual((voucher.balance, voucher.state), (0.0, "used"))
        holds = voucher.redemption_ids.sorted("id")
        self.assertEqual(holds.mapped("state"), ["released", "confirmed"])
        self.assertEqual(holds[-1].pos_order_uuid, order.uuid)
        self.assertEqual(
            order.payment_ids.filtered("transaction_id").transaction_id, str(holds[-1].id)
        )

    def test_blocked_expired_and_foreign_store_vouchers_are_refused(self):
        blocked = self.new_voucher(20.0, code=CODES["blocked"])
        blocked.action_block("reported stolen")
        expired = self.new_voucher(20.0, code=CODES["expired"])
        expired._vms_change_validity(
            self.today - timedelta(days=30), self.today - timedelta(days=2)
        )
        elsewhere = self.env["res.company"].sudo().create({"name": "Other Store"})
        campaign = (
            self.env["vms.campaign"]
            .sudo()
            .create(
                {
                    "name": "Other store",
                    "code": "ELSEWHERE",
                    "company_id": elsewhere.id,
                    "state": "running",
                }
            )
        )
        store = (
            self.env["vms.voucher"]
            .sudo()
            .create(
                {
                    "campaign_id": campaign.id,
                    "company_id": elsewhere.id,
                    "nominal_amount": 20.0,
                    "state": "active",
                    "code": CODES["store"],
                }
            )
        )
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vms_pos_voucher_refusals")
        order = self.session_orders()
        self.assertEqual(order.payment_ids.payment_method_id, self.cash_method)
        for voucher in blocked | expired | store.with_env(self.env):
            self.assertFalse(voucher.sudo().redemption_ids)
            self.assertEqual(voucher.spent_amount, 0.0)

    def test_otp_wrong_then_right_code(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 50.0})
        voucher = self.new_voucher(80.0, code=CODES["holder"], partner_id=self.holder.id)
        self.main_pos_config.with_user(self.pos_user).open_ui()
        with (
            self.mockSMSGateway(),
            patch("odoo.addons.vms_loyalty.models.vms_otp.secrets", FixedCode(secrets, 424242)),
        ):
            self.start_pos_tour("vms_pos_voucher_otp")
        self.assertEqual(len(self._sms), 1, "one code sent")
        self.assertEqual(self._sms[0]["number"], "+14155552671")
        order = self.session_orders()
        self.assertEqual((order.partner_id, order.vms_card_id), (self.holder, self.card))
        self.assertEqual(voucher.balance, 0.0)
        otp = voucher.redemption_ids.sudo().otp_id
        self.assertEqual((otp.state, otp.partner_id, otp.amount), ("used", self.holder, 80.0))

    def test_sell_a_gift_voucher_pay_with_it_and_earn_one(self):
        threshold = self.env["vms.campaign"].create(
            {
                "name": "Spend 100",
                "code": "SPEND100",
                "kind": "gift_threshold",
                "company_id": self.company.id,
                "bill_text": "Your voucher for the next visit",
                "threshold_ids": [Command.create({"bill_amount": 100.0, "nominal_amount": 10.0})],
            }
        )
        threshold.action_start()
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("vms_pos_gift_vouchers")
        sale, paid, earned = self.session_orders()
        sold = sale.vms_issued_voucher_ids
        self.assertRecordValues(
            sold,
            [
                {
                    "nominal_amount": 40.0,
                    "campaign_id": self.gift_campaign.id,
                    "balance": 10.0,
                    "state": "active",
                }
            ],
        )
        self.assertFalse(sale.lines.tax_ids, "a gift voucher is sold without tax")
        self.assertEqual(paid.payment_ids.payment_method_id, self.voucher_method)
        self.assertRecordValues(
            earned.vms_issued_voucher_ids, [{"nominal_amount": 10.0, "campaign_id": threshold.id}]
        )
