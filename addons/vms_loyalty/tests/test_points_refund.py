from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .common_points import PointsCase
from .test_otp import refusal


@tagged("post_install", "-at_install")
class TestPointsRefund(PointsCase):
    """Refunds: the points spent on an order go back to the lots they came
    from, with their expiry (an expired lot expires again at once), and the
    points the order earned are taken back (a debt where they were spent)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.apple = Product.create({"name": "Apple"})
        cls.bread = Product.create({"name": "Bread"})
        cls.Till = cls.Account.with_user(cls.manager)

    def pay_with_points(self, order_ref, amount, bill_amount):
        hold = self.Engine._vms_points_hold(
            self.card,
            amount=amount,
            order_ref=order_ref,
            idempotency_key=f"hold-{order_ref}",
            channel="pos",
        )
        return hold._vms_confirm(f"conf-{order_ref}", bill_amount=bill_amount)

    def earn(self, order_ref, lines, payments):
        return self.Till._vms_earn_for_bill(
            self.card,
            [{"product": p, "qty": q, "price_unit": u} for p, q, u in lines],
            payments,
            order_ref,
            idempotency_key=f"earn-{order_ref}",
        )

    def refund(self, order_ref, refund_ref, lines=None, **kwargs):
        return self.Till._vms_refund_bill(
            order_ref,
            refund_ref,
            lines=None
            if lines is None
            else [{"product": p, "qty": q, "price_unit": u} for p, q, u in lines],
            idempotency_key=f"refund-{refund_ref}",
            **kwargs,
        )

    def test_a_refund_takes_back_only_what_its_own_order_earned(self):
        """Another channel's order of the same reference (a web shop's
        SHOP/7) is not the till's SHOP/7: refunding one leaves the other."""
        self.earn("SHOP/7", [(self.bread, 1, 30.0)], [{"kind": "other", "amount": 30.0}])
        self.assertEqual(self.balance(), 30)
        answer = self.refund("SHOP/7", "WEB-REFUND/7", channel="api")
        self.assertEqual((answer["points_taken_back"], self.balance()), (0, 30))
        answer = self.refund("SHOP/7", "SHOP/7-REFUND", channel="pos")
        self.assertEqual((answer["points_taken_back"], self.balance()), (30, 0))
        self.assert_ledger()

    def test_a_refund_recredits_only_what_its_own_store_was_paid(self):
        """A branch's order of the same reference paid with points of the
        same member is the branch's: refunding the shop's leaves it paid."""
        self.give(1000)
        branch = self.env["res.company"].create({"name": "Branch", "parent_id": self.company.id})
        self.store_user.sudo().company_ids |= branch
        here = self.pay_with_points("SHOP/9", 2.0, 20.0)
        there = (
            self.Engine.with_company(branch)
            ._vms_points_hold(
                self.card,
                amount=3.0,
                order_ref="SHOP/9",
                idempotency_key="hold-branch-shop-9",
                channel="pos",
            )
            ._vms_confirm("conf-branch-shop-9", bill_amount=30.0)
        )
        self.assertEqual(there.sudo().points_move_id.store_id, branch)
        answer = self.refund("SHOP/9", "SHOP/9-BACK")
        here.invalidate_recordset()
        there.invalidate_recordset()
        self.assertEqual((here.reversed_amount, there.reversed_amount), (2.0, 0.0))
        self.assertEqual(answer["points_given_back"], here.points)
        self.assert_ledger()

    def test_a_refund_recredits_the_original_lots_an_expired_one_expires_again(self):
        soon = self.give(100, days=2)
        late = self.give(100, days=100)
        hold = self.pay_with_points("POS/R1", 1.5, 30.0)
        self.earn(
            "POS/R1",
            [(self.bread, 1, 30.0)],
            [{"redemption": hold, "amount": 1.5}, {"kind": "other", "amount": 28.5}],
        )
        earned = self.moves(move_type="earn").filtered(lambda m: m.order_ref == "POS/R1").lot_ids
        self.assertEqual((soon.remaining, late.remaining, earned.remaining), (0, 50, 28))
        with freeze_time(fields.Datetime.now() + timedelta(days=5)):
            answer = self.refund("POS/R1", "POS/R1-BACK")
            self.assertEqual(self.balance(), 100)
        self.assertEqual((answer["points_taken_back"], answer["points_given_back"]), (28, 150))
        self.assertEqual((soon.remaining, late.remaining, earned.remaining), (0, 100, 0))
        reverses = self.moves(move_type="reverse")
        take, back = reverses
        self.assertEqual(
            (take.points, take.origin_id, take.order_ref), (-28, earned.move_id, "POS/R1-BACK")
        )
        self.assertEqual((back.points, back.origin_id), (150, hold.points_move_id))
        self.assertEqual(
            sorted(self.draws(back), key=lambda d: d[0].id), [(soon, -100), (late, -50)]
        )
        # The 100 points that went back to the expired lot expired again at once.
        expire = self.moves(move_type="expire")
        self.assertEqual(
            (expire.points, expire.origin_id, self.draws(expire)), (-100, back, [(soon, 100)])
        )
        self.assertEqual((hold.reversed_amount, hold.points_reversed), (1.5, 150))
        # Retried: the first answer; counted again under another key: refused.
        with freeze_time(fields.Datetime.now() + timedelta(days=5)):
            self.assertEqual(self.refund("POS/R1", "POS/R1-BACK"), answer)
            error = refusal(
                self.Till._vms_refund_bill,
                "POS/R1",
                "POS/R1-BACK",
                idempotency_key="refund-again-01",
            )
        self.assertEqual(error.code, "already_refunded")
        self.assert_ledger()

    def test_a_partial_refund_takes_back_and_recredits_pro_rata(self):
        self.give(1000)
        hold = self.pay_with_points("POS/P1", 10.0, 50.0)
        answer = self.earn(
            "POS/P1",
            [(self.apple, 2, 10.0), (self.bread, 1, 30.0)],
            [{"redemption": hold, "amount": 10.0}, {"kind": "other", "amount": 40.0}],
        )
        # 40.00 of 50.00 earn: 16 points on the apples, 24 on the bread.
        self.assertEqual(answer["points_earned"], 40)
        self.assertEqual(self.balance(), 40)
        answer = self.refund("POS/P1", "POS/P1-R1", [(self.bread, -1, 30.0)])
        self.assertEqual((answer["points_taken_back"], answer["points_given_back"]), (24, 600))
        self.assertEqual(self.balance(), 616)
        answer = self.refund("POS/P1", "POS/P1-R2", [(self.apple, 1, 10.0)])
        self.assertEqual((answer["points_taken_back"], answer["points_given_back"]), (8, 200))
        # The last apple: everything left goes, exactly.
        answer = self.refund("POS/P1", "POS/P1-R3", [(self.apple, 1, 10.0)])
        self.assertEqual((answer["points_taken_back"], answer["points_given_back"]), (8, 200))
        self.assertEqual(self.balance(), 1000)
        self.assertEqual((hold.reversed_amount, hold.points_reversed), (10.0, 1000))
        # Nothing is left to refund.
        answer = self.refund("POS/P1", "POS/P1-R4", [(self.apple, 1, 10.0)])
        self.assertEqual((answer["points_taken_back"], answer["points_given_back"]), (0, 0))
        self.assert_ledger()

    def test_refunding_an_earning_already_spent_leaves_a_debt(self):
        self.earn("POS/E1", [(self.bread, 1, 100.0)], [{"kind": "other", "amount": 100.0}])
        self.pay_with_points("POS/S1", 0.8, 20.0)  # 80 of the 100 points
        answer = self.refund("POS/E1", "POS/E1-R")
        self.assertEqual(answer["points_taken_back"], 100)
        self.assertEqual(
            (answer["points_balance"], answer["points_debt"], answer["points_available"]),
            (0, 80, 0),
        )
        error = refusal(
            self.Engine._vms_points_hold,
            self.card,
            points=1,
            order_ref="POS/S2",
            idempotency_key="hold-POS/S2",
            channel="pos",
        )
        self.assertEqual(error.code, "insufficient_points")
        answer = self.earn("POS/E2", [(self.bread, 1, 50.0)], [{"kind": "other", "amount": 50.0}])
        self.assertEqual(
            (answer["points_earned"], answer["points_balance"], answer["points_debt"]), (50, 0, 30)
        )
        self.assert_ledger()

    def test_partial_refund_of_points_needs_the_bill_amount(self):
        self.give(500)
        self.Engine._vms_points_redeem(
            self.card,
            amount=2.0,
            order_ref="POS/N1",
            idempotency_key="redeem-POS/N1",
            channel="pos",
        )
        error = refusal(self.refund, "POS/N1", "POS/N1-R", [(self.apple, 1, 10.0)])
        self.assertEqual(error.code, "bill_amount_required")
        answer = self.refund("POS/N1", "POS/N1-R2", [(self.apple, 1, 10.0)], bill_amount=40.0)
        self.assertEqual(answer["points_given_back"], 50)
        # An order without points is refunded without any.
        answer = self.refund("POS/NONE", "POS/NONE-R")
        self.assertEqual((answer["points_taken_back"], answer["points_given_back"]), (0, 0))
