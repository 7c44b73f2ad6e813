from unittest.mock import patch

from odoo.tests import tagged

from .common_points import PointsCase
from .test_otp import refusal


@tagged("post_install", "-at_install")
class TestPointsExpress(PointsCase):
    """The express lane writes what the full engine writes, for the points
    redemptions the rules decide are plain; anything else goes to the full
    engine."""

    maxDiff = None

    def redeem(self, key, express, points=120, order_ref="WEB/0001", holder=None, **kwargs):
        return self.Engine._vms_points_redeem_answer(
            holder or self.card,
            points=points,
            order_ref=order_ref,
            idempotency_key=key,
            channel="api",
            express=express,
            **kwargs,
        )

    def effects(self, answer, key):
        """Everything a redemption left, but what differs by nature (ids, times)."""
        hold = self.env["vms.redemption"].sudo().browse(answer["id"])
        hold.invalidate_recordset()
        move = hold.points_move_id
        request = (
            self.env["vms.idempotency"]
            .sudo()
            .search([("key", "=", key), ("user_id", "=", self.store_user.id)])
        )
        self.assertEqual((request.redemption_id, request.response["id"]), (hold, hold.id))
        self.assertEqual(move.redemption_id, hold)
        answer = {k: v for k, v in answer.items() if k not in ("id", "expires_at")}
        stored = {k: v for k, v in request.response.items() if k not in ("id", "expires_at")}
        return {
            "answer": answer,
            "stored": stored,
            "hold": (
                hold.kind,
                hold.state,
                hold.points,
                hold.amount,
                hold.reversed_amount,
                hold.points_reversed,
                hold.points_purpose,
                hold.order_ref,
                hold.channel,
                hold.user_id,
                hold.card_id,
                hold.company_id,
                hold.store_id,
                hold.currency_id,
                bool(hold.confirmed_at),
                hold.otp_id,
            ),
            "move": (
                move.type,
                move.points,
                move.debt_change,
                move.order_ref,
                move.bill_amount,
                move.store_id,
                move.user_id,
                move.channel,
                move.card_id,
                move.idempotency_key,
                move.reason,
                move.expires_on,
            ),
            "draws": [(draw.lot_id.expires_on, draw.points) for draw in move.draw_ids.sorted("id")],
        }

    def test_both_lanes_write_the_same(self):
        self.give(100, days=30)
        self.give(100, days=5)
        self.give(100, days=None)
        account = self.account()
        answers = {}
        for express in (False, True):
            key = f"web-lane-{express}-01"
            answer = self.redeem(
                key, express, points=150, order_ref=f"WEB/{express}", bill_amount=20.0
            )
            effects = self.effects(answer, key)
            effects["answer"].pop("order_ref")
            effects["stored"].pop("order_ref")
            answers[express] = effects
            self.assert_ledger(account)
        full, express = answers[False], answers[True]
        # The second one drew from what the first left: compare the shape.
        self.assertEqual(full["hold"][:7], express["hold"][:7])
        self.assertEqual(full["hold"][8:], express["hold"][8:])
        self.assertEqual(
            [full["move"][i] for i in (0, 1, 2, 4, 5, 6, 7, 8, 10, 11)],
            [express["move"][i] for i in (0, 1, 2, 4, 5, 6, 7, 8, 10, 11)],
        )
        self.assertEqual(full["draws"], [(self.days(5), 100), (self.days(30), 50)])
        self.assertEqual(express["draws"], [(self.days(30), 50), (False, 100)])
        for effects in answers.values():
            self.assertEqual(effects["answer"], effects["stored"])
        self.assertEqual(
            {k: v for k, v in full["answer"].items() if not k.startswith(("points_", "next_"))},
            {k: v for k, v in express["answer"].items() if not k.startswith(("points_", "next_"))},
        )
        self.assertEqual(express["answer"]["points_balance"], 0)
        self.assertEqual(full["answer"]["points_balance"], 150)
        self.assertEqual(full["answer"]["next_expiry_date"], str(self.days(30)))

    def test_the_same_requests_get_the_same_answer_on_either_lane(self):
        """On identical accounts, both lanes answer identically."""
        other = self.env["res.partner"].create({"name": "Twin"})
        twin = self.env["vms.card"].create({"partner_id": other.id, "state": "active"})
        for holder in (self.card, twin):
            account = self.account(holder)
            self.give(100, days=30, account=account)
            self.give(50, days=None, account=account)
        full = self.redeem("twin-full-0001", False, points=120, holder=self.card)
        express = self.redeem("twin-fast-0001", True, points=120, holder=twin)
        for answer in (full, express):
            answer.pop("id")
            answer.pop("expires_at")
            answer.pop("card")
        self.assertEqual(full, express)
        self.assertEqual((express["points_balance"], express["next_expiry_date"]), (30, None))

    def test_what_is_not_plain_goes_to_the_full_engine(self):
        Redemption = type(self.env["vms.redemption"])
        self.give(1000)

        def lane(key, **kwargs):
            """Which writer took the request: the full engine makes a hold first."""
            with patch.object(
                Redemption,
                "_vms_create_points_hold",
                autospec=True,
                side_effect=Redemption._vms_create_points_hold,
            ) as full:
                self.redeem(key, express=True, **kwargs)
            return "full" if full.called else "express"

        self.assertEqual(lane("plain-0001", points=10), "express")
        # A lot past its last day must be expired first.
        self.give(10, days=-1)
        self.assertEqual(lane("due-0001", points=10, order_ref="WEB/2"), "full")
        self.assertEqual(self.moves(move_type="expire").points, -10)
        self.assertEqual(lane("plain-0002", points=10, order_ref="WEB/3"), "express")
        # An OTP asked for, or a debt.
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 1.0})
        error = refusal(lane, "otp-0001", points=100, order_ref="WEB/4")
        self.assertEqual(error.code, "otp_required")
        self.company.vms_otp_mandatory = False
        account = self.account()
        lot = self.give(10, order_ref="WEB/EARN")
        account._vms_lock()
        account._vms_take_back(1000, lot.ids, order_ref="WEB/TAKE")
        error = refusal(lane, "debt-0001", points=1, order_ref="WEB/5")
        self.assertEqual(error.code, "insufficient_points")
        self.assert_ledger()

    def test_refusals_are_the_full_engines(self):
        self.give(100)
        blocked = self.env["vms.card"].create({"partner_id": self.partner.id, "state": "blocked"})
        for kwargs, code in (
            ({"points": 101}, "insufficient_points"),
            ({"points": "1.5"}, "invalid_points"),
            ({"points": None, "amount": "0.001"}, "invalid_amount"),
            ({"points": 1, "holder": blocked}, "card_blocked"),
            ({"points": 1, "holder": self.partner_2}, "insufficient_points"),
        ):
            with self.subTest(kwargs=kwargs):
                for express in (True, False):
                    error = refusal(self.redeem, f"bad-{express}-0001", express, **kwargs)
                    self.assertEqual(error.code, code)
        self.assertEqual(self.balance(), 100)
        self.assertFalse(self.moves(move_type="redeem"))
