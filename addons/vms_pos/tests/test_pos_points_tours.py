import binascii
import os
import secrets
from pathlib import Path
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from odoo.addons.sms.tests.common import MockSMS

from .common_points import VmsPosPointsCase
from .test_pos_otp import FixedCode

# Set to a folder to photograph the till where the tours say so (the README's
# screenshots); unset, the tours only log their "vms-screenshot" lines.
SCREENSHOTS_ENV = "VMS_SCREENSHOTS"


def _screenshooting_console(original, folder):
    def handle_console(browser, **params):
        args = params.get("args")
        if params.get("type") == "log" and args:
            message = str(browser._from_remoteobject(args[0]))
            if message.startswith("vms-screenshot "):
                name = message.split(" ", 1)[1].strip()
                future = browser._websocket_send("Page.captureScreenshot", with_future=True)

                def save(done, name=name):
                    data = done.result(timeout=0)["data"]
                    (folder / f"{name}.png").write_bytes(binascii.a2b_base64(data))

                future.add_done_callback(save)
        return original(browser, **params)

    return handle_console


@tagged("post_install", "-at_install")
class TestVmsPosPointsTours(VmsPosPointsCase, MockSMS):
    """The Loyalty Points tender in the real POS, in headless Chromium."""

    def start_points_tour(self, name):
        folder = os.environ.get(SCREENSHOTS_ENV)
        if not folder:
            return self.start_pos_tour(name)
        Path(folder).mkdir(parents=True, exist_ok=True)
        handler = _screenshooting_console(ChromeBrowser._handle_console, Path(folder))
        with patch.object(ChromeBrowser, "_handle_console", handler):
            return self.start_pos_tour(name)

    def session_orders(self):
        return self.env["pos.order"].search(
            [("session_id", "=", self.main_pos_config.current_session_id.id)], order="id"
        )

    def test_pay_part_with_points_and_the_rest_in_cash_with_otp(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 30.0})
        self.main_pos_config.with_user(self.pos_user).open_ui()
        with (
            self.mockSMSGateway(),
            patch("odoo.addons.vms_loyalty.models.vms_otp.secrets", FixedCode(secrets, 424242)),
        ):
            self.start_points_tour("vms_pos_points_and_cash_otp")
        self.assertEqual(len(self._sms), 1, "one code sent")
        order = self.session_orders()
        self.assertEqual(len(order), 1)
        self.assertRecordValues(
            order.payment_ids.sorted(lambda p: p.payment_method_id != self.points_method),
            [
                {"payment_method_id": self.points_method.id, "amount": 40.0},
                {"payment_method_id": self.cash_method.id, "amount": 40.0},
            ],
        )
        hold = self.env["vms.redemption"].search(
            [("pos_order_uuid", "=", order.uuid), ("kind", "=", "points")]
        )
        self.assertEqual((hold.state, hold.points), ("confirmed", 400))
        self.assertEqual(hold.sudo().otp_id.state, "used")
        self.assertEqual(self.points(), (140, 140))
        self.assertEqual(order.vms_points_receipt["earned"]["points_earned"], 40)

    def test_convert_points_to_a_voucher_at_the_till(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_points_tour("vms_pos_points_convert")
        order = self.session_orders()
        self.assertEqual(len(order), 1)
        hold = self.env["vms.redemption"].search(
            [("pos_order_uuid", "=", order.uuid), ("points_purpose", "=", "convert")]
        )
        voucher = hold.sudo().points_voucher_id
        self.assertEqual((voucher.nominal_amount, voucher.state), (20.0, "active"))
        self.assertEqual(voucher.campaign_id, self.points_campaign)
        self.assertEqual([v["code"] for v in order.vms_receipt["vouchers"]], [voucher.code])
        self.assertEqual(self.points(), (320, 320))
