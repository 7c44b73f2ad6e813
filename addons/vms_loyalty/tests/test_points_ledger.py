import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..exceptions import VmsError
from ..tools import points as points_rules
from .common_points import PointsCase
from .test_otp import refusal


@tagged("post_install", "-at_install")
class TestPointsLedger(PointsCase):
    """The points ledger: lots with expiry, spends nearest to expiry first,
    debts, expiry, and a ledger that cannot be edited."""

    def test_account_per_member_and_root_company_through_any_card(self):
        branch = self.env["res.company"].create(
            {"name": "VMS Test Branch", "parent_id": self.company.id}
        )
        second_card = self.env["vms.card"].create(
            {"partner_id": self.partner.id, "company_id": branch.id, "state": "active"}
        )
        account = self.account()
        self.assertEqual(account.company_id, self.company)
        # Another card of the member, issued by a branch: the same account.
        self.assertEqual(self.account(second_card), account)
        self.assertEqual(self.account(self.partner), account)
        self.assertIn(second_card, account.card_ids)
        # Another legal entity keeps its own (and runs no programme here).
        foreign = self.env["vms.card"].create(
            {"partner_id": self.partner.id, "company_id": self.other_company.id}
        )
        error = refusal(self.Account._vms_account_for, foreign)
        self.assertEqual(error.code, "card_not_found")
        error = refusal(self.Account.with_company(self.other_company)._vms_account_for, foreign)
        self.assertEqual(error.code, "points_not_configured")

    def test_spends_draw_from_the_lots_nearest_to_expiry_first(self):
        late = self.give(100, days=30)
        never = self.give(50, days=None)
        soon = self.give(40, days=5)
        middle = self.give(60, days=10)
        account = self.account()
        self.assertEqual(self.balance(), 250)
        self.assertEqual((account.next_expiry_date, account.next_expiry_points), (self.days(5), 40))
        account._vms_lock()
        move = account._vms_debit(130, "redeem", order_ref="POS/1")
        self.assertEqual(move.points, -130)
        self.assertEqual(self.draws(move), [(soon, 40), (middle, 60), (late, 30)])
        self.assertEqual((soon.remaining, middle.remaining, late.remaining), (0, 0, 70))
        self.assertEqual(never.remaining, 50)
        account.invalidate_recordset()
        self.assertEqual(
            (account.next_expiry_date, account.next_expiry_points), (self.days(30), 70)
        )
        # The lots that never expire are spent last.
        account._vms_lock()
        move = account._vms_debit(100, "redeem", order_ref="POS/2")
        self.assertEqual(self.draws(move), [(late, 70), (never, 30)])
        error = refusal(account._vms_debit, 21, "redeem")
        self.assertEqual((error.code, error.http_status), ("insufficient_points", 409))
        self.assertEqual(self.balance(), 20)
        self.assert_ledger()

    def test_expired_lots_leave_the_balance_and_the_cron_writes_expire_moves(self):
        gone = self.give(70, days=-1)
        kept = self.give(30, days=0)  # spendable through today
        account = self.account()
        self.assertEqual(self.balance(), 30)
        self.assertEqual((account.next_expiry_date, account.next_expiry_points), (self.today, 30))
        self.assertEqual(gone.state, "expired")
        self.Account._cron_expire_points()
        expire = self.moves(move_type="expire")
        self.assertEqual((len(expire), expire.points, expire.channel), (1, -70, "system"))
        self.assertEqual(self.draws(expire), [(gone, 70)])
        self.assertEqual((gone.remaining, kept.remaining), (0, 30))
        # Running it again changes nothing.
        self.Account._cron_expire_points()
        self.assertEqual(len(self.moves(move_type="expire")), 1)
        # An expired lot pays nothing, even before the cron came by.
        self.give(10, days=-3)
        account._vms_lock()
        error = refusal(account._vms_debit, 31, "redeem")
        self.assertEqual(error.code, "insufficient_points")
        self.assertEqual(len(self.moves(move_type="expire")), 2, "the lock expired it first")
        self.assert_ledger()

    def test_taking_back_spent_points_leaves_a_debt_the_next_points_pay_first(self):
        earned = self.give(100, order_ref="POS/EARN")
        account = self.account()
        account._vms_lock()
        account._vms_debit(70, "redeem", order_ref="POS/SPEND")
        # The earning order is refunded: 30 are left of its lot, 70 were spent.
        take = account._vms_take_back(100, earned.ids, order_ref="POS/REFUND")
        self.assertEqual((take.points, take.debt_change), (-100, 70))
        self.assertEqual(self.draws(take), [(earned, 30)])
        account.invalidate_recordset()
        self.assertEqual(
            (account.debt, account.points_balance, account.points_available), (70, 0, 0)
        )
        error = refusal(account._vms_debit, 1, "redeem")
        self.assertEqual(error.code, "insufficient_points")
        # The next earning pays the debt first.
        lot = self.give(50)
        account.invalidate_recordset()
        self.assertEqual((lot.points, lot.remaining, account.debt), (50, 0, 20))
        lot = self.give(45)
        account.invalidate_recordset()
        self.assertEqual((lot.remaining, account.debt, account.points_available), (25, 0, 25))
        earns = self.moves(move_type="earn")
        self.assertEqual(earns.mapped("debt_change"), [0, -50, -20])
        self.assert_ledger()

    def test_taking_back_uses_other_lots_before_making_a_debt(self):
        other = self.give(40, days=20)
        earned = self.give(100, days=200, order_ref="POS/EARN")
        account = self.account()
        account._vms_lock()
        account._vms_debit(90, "redeem")  # 40 of the other lot, 50 of the earned one
        take = account._vms_take_back(100, earned.ids, order_ref="POS/REFUND")
        self.assertEqual(self.draws(take), [(earned, 50)])
        self.assertEqual(take.debt_change, 50)
        self.assertEqual((other.remaining, earned.remaining), (0, 0))
        self.assert_ledger()

    def test_adjustments_by_a_manager_with_a_reason(self):
        account = self.account()
        self.as_manager(account)._vms_adjust(25, "goodwill")
        lot = self.moves(move_type="adjust").lot_ids
        self.assertEqual((lot.points, lot.expires_on), (25, self.days(365)))
        self.as_manager(account)._vms_adjust(-10, "typo at the desk")
        self.assertEqual(self.balance(), 15)
        error = refusal(self.as_manager(account)._vms_adjust, -16, "too much")
        self.assertEqual(error.code, "insufficient_points")
        self.assertEqual(
            refusal(self.as_manager(account)._vms_adjust, 5, "").code, "reason_required"
        )
        self.assertEqual(
            refusal(self.as_manager(account)._vms_adjust, 0.5, "half").code, "invalid_points"
        )
        with self.assertRaises(AccessError):
            account.with_user(self.vms_user)._vms_adjust(5, "not mine to give")
        moves = self.moves(move_type="adjust")
        self.assertEqual(moves.mapped("reason"), ["goodwill", "typo at the desk"])
        self.assertEqual(moves.user_id, self.manager)
        self.assertEqual(set(moves.mapped("channel")), {"backoffice"})
        self.assert_ledger()

    def test_the_ledger_is_never_edited(self):
        lot = self.give(10)
        move = lot.move_id
        with self.assertRaises(UserError):
            move.sudo().write({"points": 1000})
        with self.assertRaises(UserError):
            move.sudo().unlink()
        with self.assertRaises(UserError):
            lot.sudo().write({"remaining": 1000})
        with self.assertRaises(UserError):
            self.env["vms.points.move"].sudo().create({"account_id": move.account_id.id})
        with self.assertRaises(AccessError):
            move.with_user(self.manager).write({"reason": "x"})
        # Not even SQL changes a move, or anything of a lot but what is left.
        for query in (
            "UPDATE vms_points_move SET points = 1000 WHERE id = %s",
            "DELETE FROM vms_points_move WHERE id = %s",
            "UPDATE vms_points_lot SET points = 1000 WHERE id = %s",
        ):
            with (
                self.subTest(query=query),
                mute_logger("odoo.sql_db"),
                self.assertRaises(psycopg2.errors.RaiseException),
                self.env.cr.savepoint(),
            ):
                self.env.cr.execute(query, [move.id if "move" in query else lot.id])
        # And a lot never goes below zero nor above its points.
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.CheckViolation),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute("UPDATE vms_points_lot SET remaining = -1 WHERE id = %s", [lot.id])

    def test_the_check_finds_a_tampered_total(self):
        lot = self.give(10)
        self.assert_ledger()
        self.env.cr.execute("UPDATE vms_points_lot SET remaining = 9 WHERE id = %s", [lot.id])
        problems = self.account()._vms_check_ledger()
        self.assertEqual(len(problems), 1)
        self.assertIn(f"lot {lot.id}", problems[0])

    def test_precision_and_rounding(self):
        program = self.program._vms_for_company(self.company)
        self.assertEqual((program.to_points(12.34), program.to_money(1234)), (1234, 12.34))
        self.program.write({"point_value": 0.03, "digits": 0})
        program = self.program._vms_for_company(self.company)
        # An amount is paid with points rounded up, points are worth money rounded down.
        self.assertEqual(program.to_points(1.00), 34)
        self.assertEqual(program.to_money(34), 1.02)
        self.assertEqual(program.to_money(33), 0.99)
        self.assertEqual(program.floor(19.999), 19)
        self.program.write({"digits": 2})
        program = self.program._vms_for_company(self.company)
        self.assertEqual(program.to_points(1.00), 33.34)
        self.assertEqual(points_rules.parse_points(self.env, "12.5", program), 12.5)
        with self.assertRaises(VmsError):
            points_rules.parse_points(self.env, "12.555", program)
        for bad in ("-1", "0", "abc", "1e3", True, None, [1], "9" * 12):
            with self.subTest(bad=bad), self.assertRaises(VmsError):
                points_rules.parse_points(self.env, bad, program)

    def test_a_claim_lasts_no_longer_than_its_points(self):
        lots = [
            points_rules.Lot(1, self.days(3), 100),
            points_rules.Lot(2, self.days(10), 100),
            points_rules.Lot(3, None, 50),
        ]
        # After the first lot's last day 150 are left, after the second's 50.
        self.assertEqual(points_rules.lapse_date(lots, self.today, 150), self.days(10))
        self.assertEqual(points_rules.lapse_date(lots, self.today, 250), self.days(3))
        self.assertEqual(points_rules.lapse_date(lots, self.today, 50), None)
        self.assertEqual(points_rules.lapse_date(lots[:2], self.today, 100), self.days(10))
