import logging
import os
from unittest.mock import patch
from uuid import uuid4

from odoo.tests import tagged

from odoo.addons.sms.tests.common import MockSMS
from odoo.addons.vms_loyalty.exceptions import VmsError

from ..tools import sms_simulator
from .common import VmsPosCase


class FixedCode:
    """``secrets`` for the OTP model, drawing a known code (the SMS is mocked)."""

    def __init__(self, real, code):
        self._real = real
        self._code = code

    def randbelow(self, _limit):
        return self._code

    def __getattr__(self, name):
        return getattr(self._real, name)


@tagged("post_install", "-at_install")
class TestPosOtp(VmsPosCase, MockSMS):
    """Seed 003 at the tender: the holder's code approves the order's vouchers."""

    def setUp(self):
        super().setUp()
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 50.0})
        self.till = self.open_session()
        self.method = self.voucher_method.with_user(self.pos_user)

    def otp_params(self, data, payment_uuid, **extra):
        return {
            "session_id": self.till.id,
            "order_uuid": data["uuid"],
            "payment_uuid": payment_uuid,
            **extra,
        }

    def paid(self, data, *payments):
        return self.order_data(
            self.till,
            [(self.desk_pad, 8, 10.0)],
            [(self.voucher_method, amount, uuid, tid) for amount, uuid, tid in payments],
            uuid=data["uuid"],
            pos_reference=data["pos_reference"],
            partner=self.holder,
        )

    def test_split_payment_needs_the_code_and_one_code_approves_both(self):
        voucher = self.new_voucher(80.0, partner_id=self.holder.id)
        data = self.order_data(self.till, [(self.desk_pad, 8, 10.0)], [], partner=self.holder)
        first_uuid, first = self.hold(self.till, data, voucher.code, 40.0)
        second_uuid, second = self.hold(self.till, data, voucher.code, 40.0)
        self.assertTrue(first["otp"]["mandatory"])
        self.assertEqual(first["otp"]["min_amount"], 50.0)
        self.assertEqual(first["holder_key"], self.holder.id)
        payments = [
            (40.0, first_uuid, first["transaction_id"]),
            (40.0, second_uuid, second["transaction_id"]),
        ]
        # Each half is under the minimum; together they are not: no sync without the code.
        with self.assertRaises(VmsError) as caught:
            self.sync(self.paid(data, *payments))
        self.assertEqual(caught.exception.code, "otp_required")
        with (
            self.mockSMSGateway(),
            patch(
                "odoo.addons.vms_loyalty.models.vms_otp.secrets",
                FixedCode(__import__("secrets"), 424242),
            ),
        ):
            sent = self.method._vms_pos_otp_request(self.otp_params(data, first_uuid))
        self.assertEqual(sent["amount"], 80.0)
        self.assertEqual(self._sms[0]["number"], "+14155552671")
        self.assertIn("424242", self._sms[0]["body"])
        self.assertNotIn("424242", str(sent))
        self.assertFalse(self.env["sms.sms"].sudo().search([("body", "ilike", "424242")]))
        wrong = self.otp_params(data, first_uuid, otp_id=sent["otp_id"], otp_code="000000")
        try:  # no savepoint: the attempt must stay spent whatever rolls back
            self.method._vms_pos_otp_verify(wrong)
        except VmsError as error:
            self.assertEqual(error.code, "otp_invalid")
            self.assertEqual(error.details["attempts_left"], 4)
        else:
            self.fail("a wrong code was accepted")
        otp = self.env["vms.otp"].sudo().browse(sent["otp_id"])
        self.assertEqual((otp.state, otp.attempts_left), ("pending", 4))
        right = self.otp_params(data, second_uuid, otp_id=sent["otp_id"], otp_code="424242")
        verified = self.method._vms_pos_otp_verify(right)
        self.assertEqual(verified["amount"], 80.0)
        self.assertCountEqual(verified["payment_uuids"], [first_uuid, second_uuid])
        order = self.sync(self.paid(data, *payments))
        self.assertEqual(order.state, "paid")
        self.assertEqual(voucher.balance, 0.0)
        holds = voucher.redemption_ids
        self.assertEqual(set(holds.mapped("state")), {"confirmed"})
        # Each payment is under the minimum: the engine asks no code of either,
        # the till's rule (the holder's total) had the code checked once.
        self.assertEqual(holds.sudo().pos_otp_id.state, "verified")

    def test_a_branch_till_asks_the_code_for_a_voucher_of_the_head_office(self):
        """The head office's OTP settings ask the code of a voucher of its own
        at a branch's till; each call is a request of its own (the cache
        cleared), in the branch alone, as Odoo's point of sale runs."""
        branch = self.branch_of_the_shop()
        voucher_method = branch._vms_pos_setup_voucher_tender()
        till, at_branch = self.open_branch_till(branch, voucher_method)
        method = voucher_method.with_env(at_branch)
        voucher = self.new_voucher(80.0, partner_id=self.holder.id)
        data = self.order_data(till, [(self.desk_pad, 8, 10.0)], [], partner=self.holder)
        payment_uuid = str(uuid4())
        line = method._vms_pos_hold(
            {
                "session_id": till.id,
                "order": self.sale_payload(data),
                "payment": {"uuid": payment_uuid, "amount": 80.0, "attempt": 0},
                "code": voucher.code,
            }
        )
        self.assertEqual(line["otp"], {"mandatory": True, "min_amount": 50.0, "verified": False})
        self.env.invalidate_all()
        params = {"session_id": till.id, "order_uuid": data["uuid"], "payment_uuid": payment_uuid}
        with (
            self.mockSMSGateway(),
            patch(
                "odoo.addons.vms_loyalty.models.vms_otp.secrets",
                FixedCode(__import__("secrets"), 424242),
            ),
        ):
            sent = method._vms_pos_otp_request(params)
        self.assertEqual((sent["amount"], self._sms[0]["number"]), (80.0, "+14155552671"))
        self.env.invalidate_all()
        verified = method._vms_pos_otp_verify(
            {**params, "otp_id": sent["otp_id"], "otp_code": "424242"}
        )
        self.assertEqual(verified["payment_uuids"], [payment_uuid])
        self.env.invalidate_all()
        paid = self.order_data(
            till,
            [(self.desk_pad, 8, 10.0)],
            [(voucher_method, 80.0, payment_uuid, line["transaction_id"])],
            uuid=data["uuid"],
            pos_reference=data["pos_reference"],
            partner=self.holder,
        )
        order = self.sync(paid, env=at_branch)
        self.env.invalidate_all()
        self.assertEqual((order.company_id, order.state, voucher.balance), (branch, "paid", 0.0))

    def test_each_payment_of_the_minimum_or_more_needs_its_own_code(self):
        """The engine uses a code up with the redemption it approves: two
        payments of one holder at or above the minimum take a code each."""
        voucher = self.new_voucher(200.0, partner_id=self.holder.id)
        data = self.order_data(self.till, [(self.desk_pad, 12, 10.0)], [], partner=self.holder)
        first_uuid, first = self.hold(self.till, data, voucher.code, 60.0)
        second_uuid, second = self.hold(self.till, data, voucher.code, 60.0)
        payments = [
            (self.voucher_method, 60.0, first_uuid, first["transaction_id"]),
            (self.voucher_method, 60.0, second_uuid, second["transaction_id"]),
        ]
        for index, (payment_uuid, code) in enumerate(((first_uuid, 111111), (second_uuid, 222222))):
            with (
                self.mockSMSGateway(),
                patch(
                    "odoo.addons.vms_loyalty.models.vms_otp.secrets",
                    FixedCode(__import__("secrets"), code),
                ),
            ):
                # The resend pause has passed since the first code.
                self.env.cr.execute(
                    "UPDATE vms_otp_send SET date = date - interval '1 minute' "
                    "WHERE partner_id = %s",
                    [self.holder.id],
                )
                sent = self.method._vms_pos_otp_request(self.otp_params(data, payment_uuid))
            self.assertEqual(sent["amount"], 60.0, "a code for this payment alone")
            verified = self.method._vms_pos_otp_verify(
                self.otp_params(data, payment_uuid, otp_id=sent["otp_id"], otp_code=str(code))
            )
            self.assertEqual(verified["payment_uuids"], [payment_uuid])
            if index == 0:
                with self.assertRaises(VmsError) as caught:
                    self.sync(
                        self.order_data(
                            self.till,
                            [(self.desk_pad, 12, 10.0)],
                            payments,
                            uuid=data["uuid"],
                            pos_reference=data["pos_reference"],
                            partner=self.holder,
                        )
                    )
                self.assertEqual(caught.exception.code, "otp_required")
        order = self.sync(
            self.order_data(
                self.till,
                [(self.desk_pad, 12, 10.0)],
                payments,
                uuid=data["uuid"],
                pos_reference=data["pos_reference"],
                partner=self.holder,
            )
        )
        self.assertEqual(order.state, "paid")
        self.assertEqual(voucher.balance, 80.0)
        self.assertEqual(voucher.redemption_ids.sudo().otp_id.mapped("state"), ["used", "used"])

    def test_bearer_vouchers_and_small_amounts_need_no_code(self):
        bearer = self.new_voucher(80.0)
        data = self.order_data(self.till, [(self.desk_pad, 8, 10.0)], [], partner=self.holder)
        payment_uuid, info = self.hold(self.till, data, bearer.code, 80.0)
        self.assertFalse(info["otp"]["mandatory"])
        with self.assertRaises(VmsError) as caught:
            self.method._vms_pos_otp_request(self.otp_params(data, payment_uuid))
        self.assertEqual(caught.exception.code, "otp_not_needed")
        self.sync(self.paid(data, (80.0, payment_uuid, info["transaction_id"])))
        self.assertEqual(bearer.balance, 0.0)

    def test_no_mobile_is_a_clear_refusal(self):
        self.holder.phone = False
        voucher = self.new_voucher(80.0, partner_id=self.holder.id)
        data = self.order_data(self.till, [(self.desk_pad, 8, 10.0)], [], partner=self.holder)
        payment_uuid, _info = self.hold(self.till, data, voucher.code, 80.0)
        with self.mockSMSGateway(), self.assertRaises(VmsError) as caught:
            self.method._vms_pos_otp_request(self.otp_params(data, payment_uuid))
        self.assertEqual(caught.exception.code, "no_valid_mobile")
        self.assertFalse(self._sms)

    def test_the_simulated_gateway_keeps_the_code_out_of_the_database_and_logs(self):
        voucher = self.new_voucher(80.0, partner_id=self.holder.id)
        data = self.order_data(self.till, [(self.desk_pad, 8, 10.0)], [], partner=self.holder)
        payment_uuid, _info = self.hold(self.till, data, voucher.code, 80.0)
        sms_simulator.clear()
        with (
            patch.dict(os.environ, {"VMS_SMS_SIMULATOR": "1"}),
            self.assertLogs("odoo", level=logging.DEBUG) as logs,
        ):
            self.method._vms_pos_otp_request(self.otp_params(data, payment_uuid))
            delivered = sms_simulator.delivered()
            self.assertEqual(len(delivered), 1)
            code = delivered[0]["body"][:6]
            self.assertTrue(code.isdigit())
            self.authenticate("pos_user", "pos_user")
            page = self.url_open("/vms_pos/sms")
            self.assertEqual(page.status_code, 200)
            self.assertIn(code, page.text)
            # The code read out by the customer goes back through the route.
            verified = self.make_jsonrpc_request(
                "/vms_pos/tender/otp_verify",
                {
                    **self.otp_params(data, payment_uuid),
                    "payment_method_id": self.voucher_method.id,
                    "otp_id": self.env["vms.otp"].sudo().search([], limit=1).id,
                    "otp_code": code,
                },
            )
            self.assertTrue(verified["ok"], verified)
        self.assertNotIn(code, "\n".join(logs.output))
        self.env.cr.execute("SELECT count(*) FROM vms_otp WHERE code_hash LIKE %s", [f"%{code}%"])
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertFalse(self.env["sms.sms"].sudo().search([("body", "ilike", code)]))
        # Without make run's switch the page does not exist.
        self.assertEqual(self.url_open("/vms_pos/sms").status_code, 404)
