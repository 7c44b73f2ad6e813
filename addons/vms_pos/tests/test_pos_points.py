import copy
import secrets
from datetime import timedelta
from functools import partial
from unittest.mock import patch
from uuid import uuid4

from odoo import fields
from odoo.tests import tagged

from odoo.addons.sms.tests.common import MockSMS
from odoo.addons.vms_loyalty.exceptions import VmsError

from .common_points import VmsPosPointsCase
from .test_pos_otp import FixedCode


@tagged("post_install", "-at_install")
class TestPosPoints(VmsPosPointsCase, MockSMS):
    """The Loyalty Points tender on the server: balance, hold, release, OTP,
    confirmation at the order's sync, points earned, refunds and conversion."""

    def setUp(self):
        super().setUp()
        self.till = self.open_session()
        self.method = self.points_method.with_user(self.pos_user)

    def refused(self, code, callable_, *args, **kwargs):
        with self.assertRaises(VmsError) as caught:
            callable_(*args, **kwargs)
        self.assertEqual(caught.exception.code, code, caught.exception.args[0])
        return caught.exception

    def sale(self, qty=8, card=True, **extra):
        return self.order_data(
            self.till,
            [(self.desk_pad, qty, 10.0)],
            [],
            partner=self.holder,
            card=self.card if card else None,
            **extra,
        )

    def refund_of(self, order, session, method, payment_uuid):
        """The refund of ``order``'s eight desk pads at ``session``, and what
        the Loyalty Points tender proposes to give back for it."""
        refund = self.order_data(
            session,
            [(self.desk_pad, -8, 10.0)],
            [],
            partner=self.holder,
            card=self.card,
            **{
                f"line_{self.desk_pad.product_variant_id.id}": {
                    "refunded_orderline_id": order.lines.id
                }
            },
        )
        payload = self.sale_payload(refund)
        payload["lines"][0]["refunded_line_id"] = order.lines.id
        tried = method._vms_pos_points_refund(
            {
                "session_id": session.id,
                "order": payload,
                "payment": {"uuid": payment_uuid, "amount": -80.0},
            }
        )
        return refund, tried

    def test_balance_hold_capped_and_the_sync_confirms_and_earns_once(self):
        data = self.sale()
        info = self.method._vms_pos_points_info(
            {"session_id": self.till.id, "order": self.sale_payload(data)}
        )
        self.assertEqual((info["points_free"], info["value_free"]), (500, 50.0))
        self.assertEqual((info["card"], info["holder_key"]), (self.card.number, self.holder.id))
        payment_uuid, line = self.points_hold(self.till, data, 80.0)
        # The line is capped at what the points are worth.
        self.assertEqual((line["amount"], line["requested"], line["points"]), (50.0, 80.0, 500))
        self.assertEqual(line["points_available"], 0)
        self.assertEqual(self.points(), (500, 0))
        # The same request again (a lost answer) gets the same hold.
        _uuid, again = self.points_hold(self.till, data, 80.0, payment_uuid=payment_uuid)
        self.assertEqual(again["transaction_id"], line["transaction_id"])
        paid = self.with_payments(
            data,
            (self.points_method, 50.0, payment_uuid, line["transaction_id"]),
            (self.cash_method, 30.0, None, None),
        )
        retry = copy.deepcopy(paid)
        order = self.sync(paid)
        hold = self.env["vms.redemption"].browse(int(line["transaction_id"]))
        self.assertEqual((order.state, hold.state), ("paid", "confirmed"))
        # 80.00 of goods, 50.00 paid with points: the 30.00 paid in cash earns 30 points.
        self.assertEqual(self.points(), (30, 30))
        self.assertEqual(self.sync(retry), order)
        self.assertEqual(len(self.moves("redeem")), 1)
        self.assertEqual(len(self.moves("earn")), 1)
        self.assertEqual(self.moves("redeem").bill_amount, 80.0)
        receipt = order.vms_receipt["points"]
        self.assertEqual(
            (receipt["points_paid"], receipt["paid_amount"], receipt["points_earned"]),
            (500, 50.0, 30),
        )
        self.assertEqual((receipt["points_balance"], receipt["card"]), (30, self.card.number))
        self.assertEqual(
            receipt["next_expiry_date"],
            fields.Date.to_string(self.company._vms_today() + timedelta(days=365)),
        )
        self.assertEqual(order.vms_receipt["payments"], [], "no voucher line for points")
        self.assertEqual(self.account._vms_check_ledger(), [])

    def test_points_never_pay_more_than_the_bill(self):
        data = self.sale(qty=2)
        _uuid, line = self.points_hold(self.till, data, 45.0)
        self.assertEqual((line["amount"], line["points"]), (20.0, 200))
        # A forged order paying more with points than it costs is refused at sync.
        payment_uuid, line = self.points_hold(self.till, self.sale(qty=2), 20.0)
        forged = self.sale(qty=2)
        hold = self.env["vms.redemption"].browse(int(line["transaction_id"]))
        hold.sudo().pos_order_uuid = forged["uuid"]
        forged["lines"][0][2].update(
            {"qty": 1, "price_subtotal": 10.0, "price_subtotal_incl": 10.0}
        )
        forged["amount_total"] = 10.0
        self.refused(
            "points_change",
            self.sync,
            self.with_payments(
                forged,
                (self.points_method, 20.0, payment_uuid, line["transaction_id"]),
                (self.cash_method, -10.0, None, None),
            ),
        )

    def test_release_frees_the_points(self):
        data = self.sale()
        payment_uuid, line = self.points_hold(self.till, data, 30.0)
        self.assertEqual(self.points(), (500, 200))
        released = self.method._vms_pos_release(
            {"session_id": self.till.id, "order_uuid": data["uuid"], "payment_uuid": payment_uuid}
        )
        self.assertEqual(released, {"released": 1})
        hold = self.env["vms.redemption"].browse(int(line["transaction_id"]))
        self.assertEqual(hold.state, "released")
        self.assertEqual(self.points(), (500, 500))
        # Removing a points line of a draft order synced earlier frees it too.
        payment_uuid, line = self.points_hold(self.till, data, 30.0, attempt=1)
        draft = self.with_payments(
            data, (self.points_method, 30.0, payment_uuid, line["transaction_id"])
        )
        draft["state"] = "draft"
        order = self.sync(draft)
        self.assertEqual(order.state, "draft")
        order.payment_ids.unlink()
        self.assertEqual(self.points(), (500, 500))

    def test_refusals_come_as_json_and_change_nothing(self):
        self.authenticate("pos_user", "pos_user")
        data = self.sale(card=False)
        data["partner_id"] = False
        params = {
            "payment_method_id": self.points_method.id,
            "session_id": self.till.id,
            "order": self.sale_payload(data),
            "payment": {"uuid": "route-points-1", "amount": 20.0},
        }
        answer = self.make_jsonrpc_request("/vms_pos/tender/points_hold", params)
        self.assertEqual((answer["ok"], answer["error"]["code"]), (False, "member_required"))
        # Another member, with no points.
        params["order"]["partner_id"] = self.other_partner.id
        answer = self.make_jsonrpc_request("/vms_pos/tender/points_hold", params)
        self.assertEqual(answer["error"]["code"], "insufficient_points")
        # The voucher tender does not take points, nor the points tender vouchers.
        answer = self.make_jsonrpc_request(
            "/vms_pos/tender/points_hold", {**params, "payment_method_id": self.voucher_method.id}
        )
        self.assertEqual(answer["error"]["code"], "not_a_points_tender")
        answer = self.make_jsonrpc_request("/vms_pos/tender/hold", {**params, "code": "VMSXXXX"})
        self.assertEqual(answer["error"]["code"], "not_a_voucher_tender")
        for bad in ({"amount": -5}, {"amount": "ten"}, {"amount": float("1e30")}):
            answer = self.make_jsonrpc_request(
                "/vms_pos/tender/points_hold",
                {**params, "payment": {"uuid": "route-points-2", **bad}},
            )
            self.assertEqual(answer["error"]["code"], "invalid_amount", bad)
        params["order"]["partner_id"] = self.holder.id
        answer = self.make_jsonrpc_request("/vms_pos/tender/points_hold", params)
        self.assertEqual((answer["ok"], answer["amount"], answer["points"]), (True, 20.0, 200))
        self.assertFalse(
            self.env["vms.redemption"].search([("pos_payment_uuid", "=", "route-points-2")])
        )
        self.assertEqual(self.points(), (500, 300))

    def test_otp_is_required_from_the_minimum(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 30.0})
        data = self.sale()
        payment_uuid, line = self.points_hold(self.till, data, 40.0)
        self.assertEqual(line["otp"], {"mandatory": True, "min_amount": 30.0, "verified": False})
        paid = self.with_payments(
            data,
            (self.points_method, 40.0, payment_uuid, line["transaction_id"]),
            (self.cash_method, 40.0, None, None),
        )
        self.refused("otp_required", self.sync, copy.deepcopy(paid))
        otp_params = {
            "session_id": self.till.id,
            "order_uuid": data["uuid"],
            "payment_uuid": payment_uuid,
        }
        with (
            self.mockSMSGateway(),
            patch("odoo.addons.vms_loyalty.models.vms_otp.secrets", FixedCode(secrets, 424242)),
        ):
            sent = self.method._vms_pos_otp_request(otp_params)
        self.assertEqual(len(self._sms), 1)
        self.assertEqual((self._sms[0]["number"], sent["amount"]), ("+14155552671", 40.0))
        self.refused(
            "otp_invalid",
            self.method._vms_pos_otp_verify,
            {**otp_params, "otp_id": sent["otp_id"], "otp_code": "000000"},
        )
        verified = self.method._vms_pos_otp_verify(
            {**otp_params, "otp_id": sent["otp_id"], "otp_code": "424242"}
        )
        self.assertEqual(verified["payment_uuids"], [payment_uuid])
        order = self.sync(paid)
        hold = self.env["vms.redemption"].browse(int(line["transaction_id"]))
        otp = hold.sudo().otp_id
        self.assertEqual(hold.state, "confirmed")
        self.assertEqual(
            (otp.state, otp.purpose, otp.partner_id), ("used", "points_redemption", self.holder)
        )
        self.assertEqual(order.state, "paid")

    def test_otp_minimum_counts_vouchers_and_points_of_one_holder(self):
        """20.00 of points and 20.00 of the holder's voucher: under the 30.00
        minimum each, over it together."""
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 30.0})
        voucher = self.new_voucher(20.0, partner_id=self.holder.id)
        data = self.sale(qty=4)
        points_uuid, points_line = self.points_hold(self.till, data, 20.0)
        voucher_uuid, voucher_line = self.hold(self.till, data, voucher.code, 20.0)
        paid = self.with_payments(
            data,
            (self.points_method, 20.0, points_uuid, points_line["transaction_id"]),
            (self.voucher_method, 20.0, voucher_uuid, voucher_line["transaction_id"]),
        )
        self.refused("otp_required", self.sync, paid)

    def test_two_tills_never_overdraw_the_points(self):
        other_user = self.pos_admin
        config = self.main_pos_config.copy({"name": "Till Two"})
        config.payment_method_ids = self.points_method | self.bank_payment_method
        other_till = self.open_session(config, other_user)
        first = self.sale()
        first_uuid, first_line = self.points_hold(self.till, first, 50.0)
        second = self.order_data(
            other_till, [(self.desk_pad, 8, 10.0)], [], partner=self.holder, card=self.card
        )
        # The second till is refused at once: the first holds every point.
        self.refused(
            "insufficient_points", self.points_hold, other_till, second, 50.0, user=other_user
        )
        # The first till's hold lapses (a crashed till); the second spends the points ...
        hold = self.env["vms.redemption"].browse(int(first_line["transaction_id"]))
        hold.sudo().expires_at = fields.Datetime.now() - timedelta(seconds=1)
        hold.sudo().flush_recordset()
        second_uuid, second_line = self.points_hold(other_till, second, 50.0, user=other_user)
        self.sync(
            self.with_payments(
                second,
                (self.points_method, 50.0, second_uuid, second_line["transaction_id"]),
                (self.bank_payment_method, 30.0, None, None),
            ),
            user=other_user,
        )
        # ... and the first order, synced late, is saved with the conflict said: no overdraw.
        order = self.sync(
            self.with_payments(
                first,
                (self.points_method, 50.0, first_uuid, first_line["transaction_id"]),
                (self.cash_method, 30.0, None, None),
            )
        )
        self.assertEqual(order.state, "paid")
        self.assertIn("could not be taken again", order.vms_note)
        self.assertTrue(order.payment_ids.filtered(lambda p: p._vms_is_points()).vms_conflict)
        self.assertEqual(len(self.moves("redeem")), 1)
        self.assertGreaterEqual(self.points()[1], 0)
        self.assertEqual(self.account._vms_check_ledger(), [])

    def test_no_points_on_points_nor_on_vouchers_without_bonus(self):
        voucher = self.new_voucher(30.0, bonus_points_accrue=False)
        data = self.sale(qty=10)
        payment_uuid, line = self.points_hold(self.till, data, 20.0)
        voucher_uuid, voucher_line = self.hold(self.till, data, voucher.code, 30.0)
        order = self.sync(
            self.with_payments(
                data,
                (self.points_method, 20.0, payment_uuid, line["transaction_id"]),
                (self.voucher_method, 30.0, voucher_uuid, voucher_line["transaction_id"]),
                (self.cash_method, 50.0, None, None),
            )
        )
        # 100.00 of goods: only the 50.00 in cash earns.
        self.assertEqual(order.vms_points_receipt["earned"]["points_earned"], 50)
        self.assertEqual(self.points(), (500 - 200 + 50, 350))

    def test_refund_gives_the_points_back_and_takes_the_earned_ones(self):
        data = self.sale()
        payment_uuid, line = self.points_hold(self.till, data, 50.0)
        order = self.sync(
            self.with_payments(
                data,
                (self.points_method, 50.0, payment_uuid, line["transaction_id"]),
                (self.cash_method, 30.0, None, None),
            )
        )
        self.assertEqual(self.points(), (30, 30))
        refund, tried = self.refund_of(order, self.till, self.method, "refund-points")
        self.assertEqual(tried["amount"], -50.0)
        self.assertEqual(self.points(), (30, 30), "trying changes nothing")
        # The voucher tender gives back voucher payments only (it offered the
        # points payment, which its refund's sync then refused).
        with self.assertRaises(VmsError) as caught:
            self.voucher_method.with_user(self.pos_user)._vms_pos_refund(
                {
                    "session_id": self.till.id,
                    "order": {**self.sale_payload(refund), "refunded_line_ids": order.lines.ids},
                    "payment": {"uuid": "refund-by-voucher", "amount": -50.0},
                }
            )
        self.assertEqual(caught.exception.code, "nothing_to_refund")
        # Cash for what points paid is refused: the points go back as points.
        self.refused(
            "points_refund_amount",
            self.sync,
            self.with_payments(refund, (self.cash_method, -80.0, None, None)),
        )
        done = self.sync(
            self.with_payments(
                refund,
                (self.points_method, -50.0, "refund-points", None),
                (self.cash_method, -30.0, None, None),
            )
        )
        self.assertEqual(done.state, "paid")
        self.assertEqual(self.points(), (500, 500))
        receipt = done.vms_receipt["points"]
        self.assertEqual((receipt["points_given_back"], receipt["points_taken_back"]), (500, 30))
        self.assertEqual(self.account._vms_check_ledger(), [])

    def test_a_branch_till_refunds_the_points_it_was_paid(self):
        """The chain's points are the root's, the till is a branch's: the
        points it took are spent at the branch and go back when it refunds
        the order, not as cash. Each call of the till is a request of its
        own (the cache cleared): the branch reads the holds it made on the
        root's points, as a retried payment and the sync do."""
        branch = self.branch_of_the_shop()
        points_method = self.env["pos.payment.method"]._vms_pos_setup_points_tender(branch)
        cash_method = self.cash_method.copy({"company_id": branch.id})
        till, at_branch = self.open_branch_till(branch, points_method | cash_method)
        method = points_method.with_env(at_branch)
        sync = partial(self.sync, env=at_branch)

        data = self.order_data(
            till, [(self.desk_pad, 8, 10.0)], [], partner=self.holder, card=self.card
        )
        payment_uuid, line = self.points_hold(till, data, 50.0, method=method)
        self.env.invalidate_all()
        _same, retried = self.points_hold(
            till, data, 50.0, payment_uuid=payment_uuid, method=method
        )
        self.assertEqual(retried["transaction_id"], line["transaction_id"])
        self.env.invalidate_all()
        order = sync(
            self.with_payments(
                data,
                (points_method, 50.0, payment_uuid, line["transaction_id"]),
                (cash_method, 30.0, None, None),
            )
        )
        self.env.invalidate_all()
        hold = self.env["vms.redemption"].browse(int(line["transaction_id"]))
        self.assertEqual((order.company_id, hold.state), (branch, "confirmed"))
        self.assertEqual(hold.points_move_id.store_id, branch)
        self.assertEqual(self.points(), (30, 30))
        self.env.invalidate_all()
        refund, tried = self.refund_of(order, till, method, "branch-refund-points")
        self.assertEqual(tried["amount"], -50.0)
        self.env.invalidate_all()
        with self.assertRaises(VmsError) as caught:
            sync(self.with_payments(refund, (cash_method, -80.0, None, None)))
        self.assertEqual(caught.exception.code, "points_refund_amount")
        self.env.invalidate_all()
        done = sync(
            self.with_payments(
                refund,
                (points_method, -50.0, "branch-refund-points", None),
                (cash_method, -30.0, None, None),
            )
        )
        self.assertEqual((done.state, self.points()), ("paid", (500, 500)))
        self.assertEqual(self.account._vms_check_ledger(), [])

    def test_convert_points_to_a_voucher_at_the_till(self):
        data = self.sale(qty=1)
        request = str(uuid4())
        params = {
            "session_id": self.till.id,
            "order": self.sale_payload(data),
            "points": 200,
            "request": request,
        }
        answer = self.method._vms_pos_points_convert(params)
        self.assertEqual((answer["voucher_amount"], answer["points"]), (20.0, 200))
        self.assertEqual(answer["points_available"], 300)
        again = self.method._vms_pos_points_convert(params)
        self.assertEqual(again["voucher_code"], answer["voucher_code"], "a retry converts once")
        voucher = self.env["vms.voucher"].search([("code", "=", answer["voucher_code"])])
        self.assertEqual((voucher.state, voucher.partner_id), ("active", self.holder))
        self.assertEqual(self.points(), (300, 300))
        self.refused(
            "insufficient_points",
            self.method._vms_pos_points_convert,
            {**params, "points": 400, "request": str(uuid4())},
        )
        order = self.sync(self.with_payments(data, (self.cash_method, 10.0, None, None)))
        printed = [v["code"] for v in order.vms_receipt["vouchers"]]
        self.assertEqual(printed, [voucher.code])

    def test_convert_asks_the_otp_from_the_minimum(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 10.0})
        data = self.sale(qty=1)
        params = {
            "session_id": self.till.id,
            "order": self.sale_payload(data),
            "points": 200,
            "request": str(uuid4()),
        }
        self.refused("otp_required", self.method._vms_pos_points_convert, params)
        with (
            self.mockSMSGateway(),
            patch("odoo.addons.vms_loyalty.models.vms_otp.secrets", FixedCode(secrets, 515151)),
        ):
            sent = self.method._vms_pos_points_convert_otp(params)
        verified = self.method._vms_pos_points_convert_verify(
            {**params, "otp_id": sent["otp_id"], "otp_code": "515151"}
        )
        answer = self.method._vms_pos_points_convert({**params, "otp_id": verified["otp_id"]})
        self.assertEqual(answer["voucher_amount"], 20.0)
        self.assertEqual(self.points(), (300, 300))

    def test_demo_shop_has_the_loyalty_points_tender(self):
        # sudo: the demo shop belongs to the main company, not to the test user's.
        config = self.env.ref("point_of_sale.pos_config_main", raise_if_not_found=False).sudo()
        if not config:
            self.skipTest("no demo shop")
        names = config.payment_method_ids.mapped("name")
        self.assertIn("Loyalty Points", names)
        method = config.payment_method_ids.filtered(lambda m: m.name == "Loyalty Points")
        self.assertEqual(method.use_payment_terminal, "vms_points")
        # Ava Holder, the demo card's member, has points to try it with.
        holder = self.env.ref("vms_pos.vms_pos_demo_holder")
        account, _card = self.env["vms.points.account"]._vms_account_for(
            holder, company=config.company_id
        )
        self.assertEqual(account.points_balance, 5000)

    def test_an_offline_voucher_the_sync_cannot_replay_earns_nothing(self):
        """A voucher taken while the till was offline and blocked before the
        sync: the order is saved with the conflict, and the member earns on
        the cash part alone (the sync had failed, looking for its hold)."""
        self.company.write(
            {
                "vms_offline_redemption": True,
                "vms_offline_max_amount": 50.0,
                "vms_offline_session_max_amount": 200.0,
            }
        )
        blocked = self.new_voucher(30.0)
        data = self.order_data(
            self.till,
            [(self.desk_pad, 3, 10.0)],
            [(self.voucher_method, 10.0, str(uuid4()), None), (self.cash_method, 20.0, None, None)],
            partner=self.holder,
            card=self.card,
        )
        data["payment_ids"][0][2].update(
            {
                "payment_status": "done",
                "vms_tender": {
                    "offline": True,
                    "pending": True,
                    "code": blocked.code,
                    "payload": self.env["vms.signing.key"]._vms_sign_voucher(blocked),
                    "amount": 10.0,
                },
            }
        )
        blocked.action_block("reported stolen")
        order = self.sync(data)
        self.assertEqual(order.state, "paid")
        self.assertEqual(order.payment_ids.filtered("vms_conflict").amount, 10.0)
        self.assertEqual(self.points(), (520, 520))
