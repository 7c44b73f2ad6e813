import base64
import copy
from datetime import date
from uuid import uuid4

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.vms_loyalty.exceptions import VmsError

from .common import VmsPosCase


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@tagged("post_install", "-at_install")
class TestPosOffline(VmsPosCase):
    """Vouchers accepted while the till was offline, replayed at the order's sync."""

    def setUp(self):
        super().setUp()
        self.company.write(
            {
                "vms_offline_redemption": True,
                "vms_offline_max_amount": 50.0,
                "vms_offline_session_max_amount": 200.0,
            }
        )
        self.till = self.open_session()

    def offline_order(self, session, voucher, amount, *, lines=None, cash=0.0, payload=None):
        """An order paid offline as the till books it: the signed payload on
        the voucher payment, no hold."""
        lines = lines or [(self.desk_pad, 1, amount + cash)]
        payments = [(self.voucher_method, amount, str(uuid4()), None)]
        if cash:
            payments.append((self.cash_method, cash, None, None))
        data = self.order_data(session, lines, payments)
        payload = payload or self.env["vms.signing.key"]._vms_sign_voucher(voucher)
        vals = data["payment_ids"][0][2]
        vals["payment_status"] = "done"
        vals["vms_tender"] = {
            "offline": True,
            "pending": True,
            "code": voucher.code,
            "payload": payload,
            "amount": amount,
        }
        return data

    def conflicts(self, order):
        return self.env["vms.offline.conflict"].search([("order_id", "=", order.id)])

    def test_replayed_once_even_when_the_answer_is_lost(self):
        voucher = self.new_voucher(30.0)
        data = self.offline_order(self.till, voucher, 20.0, cash=5.0)
        retry = copy.deepcopy(data)
        order = self.sync(data)
        self.assertEqual(order.state, "paid")
        payment = order.payment_ids.filtered(lambda p: p.payment_method_id == self.voucher_method)
        redemption = self.env["vms.redemption"].browse(int(payment.transaction_id))
        self.assertEqual((redemption.state, redemption.amount), ("confirmed", 20.0))
        self.assertEqual(redemption.pos_order_uuid, order.uuid)
        self.assertEqual(payment.vms_tender["state"], "confirmed")
        self.assertFalse(payment.vms_conflict)
        self.assertEqual(voucher.balance, 10.0)
        # The server committed, the answer was lost: the till sends it again.
        again = self.sync(retry)
        self.assertEqual(again, order)
        self.assertEqual(len(self.uses(voucher)), 1, "confirmed once")
        self.assertEqual(voucher.spent_amount, 20.0)
        self.assertFalse(self.conflicts(order))
        # The receipt says it was paid offline, and now confirmed.
        self.assertEqual(order.vms_receipt["offline"][0]["state"], "confirmed")

    def test_two_tills_offline_on_one_full_balance(self):
        voucher = self.new_voucher(30.0)
        clerk = new_test_user(
            self.env, login="second_cashier", groups="base.group_user,point_of_sale.group_pos_user"
        )
        other_till = self.second_till("Till 2", clerk)
        first = self.offline_order(self.till, voucher, 30.0)
        second = self.offline_order(other_till, voucher, 30.0)
        second["user_id"] = clerk.id
        order_1 = self.sync(first)
        order_2 = self.sync(second, user=clerk)
        self.assertEqual((order_1.state, order_2.state), ("paid", "paid"), "both orders saved")
        self.assertEqual(voucher.spent_amount, 30.0, "nothing above the nominal")
        self.assertEqual(len(self.uses(voucher)), 1)
        self.assertFalse(self.conflicts(order_1))
        conflict = self.conflicts(order_2)
        self.assertRecordValues(
            conflict,
            [
                {
                    "kind": "offline",
                    "state": "open",
                    "voucher_id": voucher.id,
                    "config_id": other_till.config_id.id,
                    "user_id": clerk.id,
                    "amount": 30.0,
                    "confirmed_amount": 0.0,
                    "shortfall": 30.0,
                }
            ],
        )
        payment = order_2.payment_ids
        self.assertEqual(payment.payment_method_id, self.voucher_method, "stays booked")
        self.assertEqual(payment.amount, 30.0)
        self.assertTrue(payment.vms_conflict)
        self.assertTrue(voucher.pos_conflict_open, "the voucher is flagged")
        self.assertIn("could not be confirmed", order_2.vms_note)
        activity = conflict.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertTrue(activity.user_id.has_group("vms_loyalty.group_vms_manager"))
        self.assertIn(order_2.name, str(activity.note))
        # The exposure of each till session.
        exposure = self.env["vms.offline.exposure"].search(
            [("session_id", "in", (self.till | other_till).ids)], order="id"
        )
        self.assertRecordValues(
            exposure,
            [
                {
                    "session_id": self.till.id,
                    "offline_amount": 30.0,
                    "clean_amount": 30.0,
                    "conflict_count": 0,
                    "shortfall": 0.0,
                    "limit_voucher": 50.0,
                    "limit_session": 200.0,
                },
                {
                    "session_id": other_till.id,
                    "offline_amount": 30.0,
                    "clean_amount": 0.0,
                    "conflict_count": 1,
                    "shortfall": 30.0,
                    "limit_voucher": 50.0,
                    "limit_session": 200.0,
                },
            ],
        )
        # A cashier does not settle; a VMS Manager does.
        with self.assertRaises(UserError):
            conflict.with_user(clerk).action_write_off()
        conflict.action_collect()
        self.assertEqual(conflict.state, "collected")
        self.assertFalse(conflict.activity_ids)
        self.assertFalse(voucher.pos_conflict_open)

    def test_what_is_left_pays_its_part_and_the_rest_is_the_shortfall(self):
        voucher = self.new_voucher(30.0)
        self.sync(self.offline_order(self.till, voucher, 20.0))
        order = self.sync(self.offline_order(self.till, voucher, 20.0))
        self.assertEqual(voucher.spent_amount, 30.0)
        self.assertEqual(voucher.state, "used")
        conflict = self.conflicts(order)
        self.assertEqual((conflict.confirmed_amount, conflict.shortfall), (10.0, 10.0))

    def test_blocked_meanwhile_and_forged_payloads_conflict(self):
        blocked = self.new_voucher(30.0)
        data = self.offline_order(self.till, blocked, 10.0)
        blocked.action_block("reported stolen")
        order = self.sync(data)
        self.assertEqual(order.state, "paid")
        self.assertEqual(self.conflicts(order).error_code, "voucher_blocked")
        self.assertEqual(blocked.spent_amount, 0.0)

        voucher = self.new_voucher(30.0)
        code, payload, signature = self.env["vms.signing.key"]._vms_sign_voucher(voucher).split(".")
        forged = f"{code}.{payload}.{signature[:-4]}AAAA"
        order = self.sync(self.offline_order(self.till, voucher, 10.0, payload=forged))
        self.assertEqual(order.state, "paid")
        self.assertEqual(self.conflicts(order).error_code, "payload_signature_invalid")
        self.assertEqual(voucher.spent_amount, 0.0, "a forged payload spends nothing")

    def test_in_date_on_the_stores_day_of_the_sale(self):
        """21:00 in New York on the voucher's last day is already the next day
        in UTC: the sync checks the payload on the store's date, as the till
        did, and files no conflict."""
        self.company.vms_tz = "America/New_York"
        voucher = self.new_voucher(30.0, valid_from=date(2026, 4, 1), valid_to=date(2026, 4, 30))
        with freeze_time("2026-05-01 01:00:00"):
            order = self.sync(self.offline_order(self.till, voucher, 10.0))
        self.assertFalse(self.conflicts(order))
        self.assertEqual(voucher.spent_amount, 10.0)

    def test_online_a_scanned_qr_holds_by_its_code(self):
        voucher = self.new_voucher(30.0)
        data = self.order_data(self.till, [(self.desk_pad, 1, 20.0)], [])
        qr = self.env["vms.signing.key"]._vms_sign_voucher(voucher)
        _payment_uuid, info = self.hold(self.till, data, qr, 20.0)
        self.assertEqual((info["code"], info["amount"]), (voucher.code, 20.0))

    def test_hostile_tenders_spend_nothing_and_are_filed(self):
        """What the sync gets in a payment's ``vms_tender`` is the caller's: a
        tender no till books is filed as a conflict (the order is kept, nothing
        is spent), never a server error."""
        voucher = self.new_voucher(30.0)
        signed = self.env["vms.signing.key"]._vms_sign_voucher(voucher)
        code, _payload, signature = signed.split(".")
        kid_number = b64(b'{"kid": 1}')
        not_utf8 = b64(b"\xff\xfe{")
        surrogate = b64(b'"\\ud800"')
        hostile = {
            "code and payload are lists": {"code": [code], "payload": [signed]},
            "a number for the payload": {"code": {"a": 1}, "payload": 5},
            "not base64": {"payload": f"{code}.!!!.{signature}"},
            "not an object": {"payload": f"{code}.{b64(b'[1, 2]')}.{signature}"},
            "a number for the key id": {"payload": f"{code}.{kid_number}.{signature}"},
            "not UTF-8": {"payload": f"{code}.{not_utf8}.{signature}"},
            "a lone surrogate in the QR": {"payload": f"{code}.{surrogate}.x"},
            "a long QR": {"payload": "A" * 4000},
        }
        for name, tender in hostile.items():
            with self.subTest(name):
                data = self.offline_order(self.till, voucher, 10.0)
                payment = data["payment_ids"][0][2]
                payment["vms_tender"] = {"offline": True, "pending": True, **tender}
                order = self.sync(data)
                self.assertEqual(order.state, "paid")
                self.assertTrue(self.conflicts(order), name)
                voucher.invalidate_recordset()
                self.assertEqual(voucher.spent_amount, 0.0, name)
        # Details no till sends, which PostgreSQL cannot store or that are
        # unbounded, refuse the order before anything is saved.
        unreadable = {
            "a NUL": {"code": f"{code}\x00", "payload": signed},
            "a lone surrogate": {"code": code, "payload": f"{signed}\ud800"},
            "huge": {"code": code, "payload": "A" * 100_000},
            "nested": {"code": code, "payload": [[[[[[[signed]]]]]]]},
        }
        for name, tender in unreadable.items():
            with self.subTest(name):
                data = self.offline_order(self.till, voucher, 10.0)
                data["payment_ids"][0][2]["vms_tender"] = {"offline": True, **tender}
                with self.assertRaises(VmsError) as caught:
                    self.sync(data)
                self.assertEqual(caught.exception.code, "invalid_tender")
                self.assertFalse(self.env["pos.order"].search([("uuid", "=", data["uuid"])]))
        voucher.invalidate_recordset()
        self.assertEqual(voucher.spent_amount, 0.0)

    def test_an_offline_line_names_no_one_elses_redemption(self):
        """An offline line was taken as replayed when a confirmed redemption
        had its order's and its own uuids: sent without uuids, it matched a
        web shop's, and the order was saved as paid by a voucher that spent
        nothing. The till's conflict flag is the sync's alone."""
        voucher = self.new_voucher(30.0)
        self.env["vms.redemption"]._vms_redeem(
            voucher.code, 10.0, order_ref="WEB/7", idempotency_key="web-shop-0007", channel="api"
        )
        data = self.offline_order(self.till, voucher, 10.0)
        data["uuid"] = False
        data["payment_ids"][0][2]["uuid"] = False
        with self.assertRaises(VmsError) as caught:
            self.sync(data)
        self.assertEqual(caught.exception.code, "invalid_payment")
        self.assertEqual(voucher.spent_amount, 10.0)
        data = self.offline_order(self.till, voucher, 10.0)
        data["payment_ids"][0][2]["vms_conflict"] = True
        order = self.sync(data)
        self.assertEqual((order.state, order.payment_ids.vms_conflict), ("paid", False))
        self.assertEqual(voucher.spent_amount, 20.0)

    def test_a_replay_is_found_by_its_own_order_and_line(self):
        """The replay's key joins the order's and the line's uuids with ':';
        uuids are the till's text, so another order's could spell the same key."""
        voucher = self.new_voucher(30.0)
        first = self.offline_order(self.till, voucher, 1.0)
        first["uuid"] = "order-a:line-b"
        first["payment_ids"][0][2]["uuid"] = "tail-c"
        self.assertEqual(self.sync(first).state, "paid")
        second = self.offline_order(self.till, voucher, 10.0, payload="not-a-payload")
        second["uuid"] = "order-a"
        second["payment_ids"][0][2]["uuid"] = "line-b:tail-c"
        order = self.sync(second)
        self.assertEqual(self.conflicts(order).error_code, "payload_malformed")
        self.assertEqual(voucher.spent_amount, 1.0)
