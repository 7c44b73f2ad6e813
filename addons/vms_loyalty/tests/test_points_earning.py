from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common_points import PointsCase
from .test_otp import refusal

# Saturday 7 March 2026, 10:30 in Brussels (09:30 UTC).
SATURDAY_MORNING = datetime(2026, 3, 7, 9, 30)
SATURDAY_NOON = datetime(2026, 3, 7, 11, 30)  # 12:30 in Brussels
MONDAY_MORNING = datetime(2026, 3, 9, 9, 30)


@tagged("post_install", "-at_install")
class TestPointsEarning(PointsCase):
    """Earning on known bills: points per unit, multipliers, windows at the
    store's clock, minimum bill, and no points on what points or
    non-accruing vouchers paid."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.food = cls.env["product.category"].create({"name": "Food"})
        cls.fruit = cls.env["product.category"].create({"name": "Fruit", "parent_id": cls.food.id})
        Product = cls.env["product.product"]
        cls.apple = Product.create({"name": "Apple", "categ_id": cls.fruit.id})
        cls.bread = Product.create({"name": "Bread", "categ_id": cls.food.id})
        cls.wine = Product.create({"name": "Wine", "categ_id": cls.food.id})
        cls.tobacco = Product.create({"name": "Tobacco"})

    def bill(self, *lines):
        return [
            {"product": product, "qty": qty, "price_unit": price} for product, qty, price in lines
        ]

    def earn(self, lines, payments=(), order_ref="POS/0001", key=None, holder=None):
        return self.Account.with_user(self.store_user)._vms_earn_for_bill(
            holder or self.card,
            lines,
            list(payments) or [{"kind": "other", "amount": 1000.0}],
            order_ref,
            idempotency_key=key or f"earn-{order_ref}",
            channel="pos",
        )

    def test_points_per_unit_rounded_down_once_per_bill(self):
        answer = self.earn(self.bill((self.apple, 3, 2.33), (self.bread, 1, 3.02)))
        # 6.99 + 3.02 = 10.01 -> 10 points, one lot of the programme's lifetime.
        self.assertEqual(answer["points_earned"], 10)
        self.assertEqual(answer["lots"], [{"points": 10, "expires_on": str(self.days(365))}])
        self.assertEqual(
            (answer["points_balance"], answer["next_expiry_date"]), (10, str(self.days(365)))
        )
        move = self.moves(move_type="earn")
        self.assertEqual(
            (move.points, move.order_ref, move.card_id, move.channel),
            (10, "POS/0001", self.card, "pos"),
        )
        self.assertEqual(move.user_id, self.store_user)
        self.assertAlmostEqual(move.bill_amount, 10.01)
        self.assert_ledger()

    def test_multipliers_by_item_and_item_group(self):
        self.env["vms.points.rule.line"].create(
            [
                {"rule_id": self.base_rule.id, "category_id": self.food.id, "multiplier": 2},
                {"rule_id": self.base_rule.id, "category_id": self.fruit.id, "multiplier": 3},
                {"rule_id": self.base_rule.id, "product_id": self.wine.id, "multiplier": 0},
            ]
        )
        answer = self.earn(
            self.bill(
                (self.apple, 1, 10.0),  # fruit, the deeper group: x3 = 30
                (self.bread, 1, 10.0),  # food: x2 = 20
                (self.wine, 1, 10.0),  # the item's own multiplier: none
                (self.tobacco, 1, 10.0),  # no multiplier: x1 = 10
            )
        )
        self.assertEqual(answer["points_earned"], 60)
        detail = self.moves(move_type="earn").detail
        self.assertEqual(detail[str(self.apple.id)], [10.0, 30.0])
        self.assertEqual(detail[str(self.wine.id)], [10.0, 0.0])

    def test_campaign_windows_at_the_stores_clock_and_minimum_bill(self):
        self.env["vms.points.rule"].create(
            {
                "name": "Double points on Saturday mornings",
                "program_id": self.program.id,
                "points_per_unit": 1.0,
                "min_bill": 20.0,
                "hour_start": 9.0,
                "hour_end": 12.0,
                "lifetime_days": 30,
                **{
                    f"weekday_{day}": day == "sat"
                    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                },
            }
        )
        lines = self.bill((self.bread, 1, 25.0))
        with freeze_time(SATURDAY_MORNING):
            answer = self.earn(lines, order_ref="POS/SAT1")
            today = self.company._vms_today()
        # Two lots: the base rule's (a year) and the campaign's (30 days).
        self.assertEqual(answer["points_earned"], 50)
        self.assertEqual(
            [(lot["points"], lot["expires_on"]) for lot in answer["lots"]],
            [(25, "2026-04-06"), (25, "2027-03-07")],
        )
        self.assertEqual(str(today), "2026-03-07")
        with freeze_time(SATURDAY_NOON):  # 12:30 in Brussels, 11:30 for UTC
            self.assertEqual(self.earn(lines, order_ref="POS/SAT2")["points_earned"], 25)
        with freeze_time(MONDAY_MORNING):
            self.assertEqual(self.earn(lines, order_ref="POS/MON1")["points_earned"], 25)
        with freeze_time(SATURDAY_MORNING):
            small = self.bill((self.bread, 1, 19.99))
            self.assertEqual(self.earn(small, order_ref="POS/SAT3")["points_earned"], 19)
        self.assert_ledger()

    def test_no_points_on_what_points_and_non_accruing_vouchers_paid(self):
        accruing = self.new_voucher(state="active", bonus_points_accrue=True)
        plain = self.new_voucher(state="active", bonus_points_accrue=False)
        lines = self.bill((self.apple, 2, 20.0), (self.bread, 1, 60.0))  # 100.00
        cases = [
            ([{"kind": "other", "amount": 100.0}], 100),
            ([{"kind": "points", "amount": 30.0}, {"kind": "other", "amount": 70.0}], 70),
            (
                [
                    {"kind": "voucher", "voucher": plain, "amount": 25.0},
                    {"kind": "other", "amount": 75.0},
                ],
                75,
            ),
            (
                [
                    {"kind": "voucher", "voucher": accruing, "amount": 25.0},
                    {"kind": "other", "amount": 75.0},
                ],
                100,
            ),
            (
                [
                    {"kind": "points", "amount": 10.0},
                    {"kind": "voucher", "voucher": plain, "amount": 15.0},
                    {"kind": "other", "amount": 80.0},  # 5.00 of change back
                ],
                75,
            ),
            ([{"kind": "points", "amount": 100.0}], 0),
        ]
        for index, (payments, expected) in enumerate(cases):
            with self.subTest(payments=payments):
                answer = self.earn(lines, payments, order_ref=f"POS/PAY{index}")
                self.assertEqual(answer["points_earned"], expected)
        # The excluded part is spread pro rata over the lines.
        detail = self.moves(move_type="earn")[1].detail
        self.assertAlmostEqual(detail[str(self.apple.id)][1], 28.0)
        self.assertAlmostEqual(detail[str(self.bread.id)][1], 42.0)

    def test_a_tender_held_through_the_engine_says_what_it_was(self):
        self.give(5000)
        hold = self.Engine._vms_points_hold(
            self.card,
            amount=10.0,
            order_ref="POS/HELD",
            idempotency_key="till-hold-held",
            channel="pos",
        )
        voucher = self.new_voucher(state="active", bonus_points_accrue=False)
        voucher_hold = self.Engine._vms_hold(
            voucher.code,
            20.0,
            order_ref="POS/HELD",
            idempotency_key="till-vhold-held",
            channel="pos",
        )
        answer = self.earn(
            self.bill((self.bread, 1, 50.0)),
            [
                {"redemption": hold, "amount": 10.0},
                {"redemption": voucher_hold, "amount": 20.0},
                {"kind": "other", "amount": 20.0},
            ],
            order_ref="POS/HELD",
        )
        self.assertEqual(answer["points_earned"], 20)

    def test_once_per_order_and_retries(self):
        lines = self.bill((self.bread, 1, 12.0))
        first = self.earn(lines, key="till-1-earn-0001")
        self.assertEqual(self.earn(lines, key="till-1-earn-0001"), first)
        self.assertEqual(len(self.moves(move_type="earn")), 1)
        error = refusal(self.earn, lines, key="till-1-earn-0002")
        self.assertEqual((error.code, error.http_status), ("already_earned", 409))
        error = refusal(self.earn, self.bill((self.bread, 2, 12.0)), key="till-1-earn-0001")
        self.assertEqual(error.code, "idempotency_key_reused")

    def test_an_order_that_earned_nothing_earns_nothing_later(self):
        """Paid with points, the bill earns nothing; sent again under another
        key as if paid otherwise, it still earns nothing."""
        lines = self.bill((self.bread, 1, 40.0))
        answer = self.earn(lines, [{"kind": "points", "amount": 40.0}], key="till-1-earn-0010")
        self.assertEqual((answer["points_earned"], answer["lots"]), (0, []))
        claim = self.moves(move_type="earn")
        self.assertEqual((claim.points, claim.order_ref, claim.lot_ids.ids), (0, "POS/0001", []))
        error = refusal(self.earn, lines, key="till-1-earn-0011")
        self.assertEqual(error.code, "already_earned")
        self.assertEqual(self.balance(), 0)
        self.assert_ledger()

    def test_members_without_an_account_get_one_and_bad_input_is_refused(self):
        newcomer = self.env["res.partner"].create({"name": "New Member"})
        card = self.env["vms.card"].create({"partner_id": newcomer.id, "state": "active"})
        self.assertFalse(self.account(card, create=False))
        self.assertEqual(
            self.earn(self.bill((self.bread, 1, 5.0)), holder=card)["points_earned"], 5
        )
        self.assertTrue(self.account(card, create=False))
        card.action_block()
        self.assertEqual(
            refusal(self.earn, self.bill((self.bread, 1, 5.0)), holder=card, order_ref="X/2").code,
            "card_blocked",
        )
        bad = [
            ([{"product": self.bread, "qty": "1", "price_unit": 5.0}], "invalid_lines"),
            ([{"product": self.partner, "qty": 1, "price_unit": 5.0}], "invalid_lines"),
            ([{"qty": 1, "price_unit": 5.0}], "invalid_lines"),
            ("not a list", "invalid_lines"),
        ]
        for index, (lines, code) in enumerate(bad):
            with self.subTest(lines=lines):
                self.assertEqual(refusal(self.earn, lines, order_ref=f"X/B{index}").code, code)
        for index, payments in enumerate(
            [
                [{"kind": "cash?", "amount": 1.0}],
                [{"kind": "other", "amount": -1.0}],
                [{"kind": "voucher", "amount": 1.0}],
            ]
        ):
            with self.subTest(payments=payments):
                error = refusal(
                    self.earn, self.bill((self.bread, 1, 5.0)), payments, order_ref=f"X/P{index}"
                )
                self.assertEqual(error.code, "invalid_payments")
        self.assertEqual(len(self.moves(self.account(newcomer, create=False), "earn")), 1)
