import psycopg2

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.sms.tests.common import MockSMS

from .common_points import PointsCase
from .test_otp import refusal


@tagged("post_install", "-at_install")
class TestPointsBackoffice(MockSMS, PointsCase):
    """The member's points on the partner and card forms, the wizards of the
    points account, and the programme's settings."""

    def test_points_on_the_partner_and_the_card(self):
        self.give(300, days=10)
        self.give(200, days=50)
        partner = self.partner.with_user(self.vms_user)
        self.assertEqual(
            (partner.vms_points_balance, partner.vms_points_next_expiry_date), (500, self.days(10))
        )
        action = partner.action_view_vms_points()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("vms.points.account", self.account().id)
        )
        card = self.card.with_user(self.vms_user)
        self.assertEqual(
            (card.points_balance, card.points_next_expiry_date, card.points_next_expiry_points),
            (500, self.days(10), 300),
        )
        self.assertEqual(card.action_view_points()["res_id"], self.account().id)
        account = self.account().with_user(self.store_user)
        self.assertEqual((account.move_count, account.open_lot_count), (2, 2))
        self.assertEqual(account.action_view_lots()["domain"], [("account_id", "=", account.id)])
        # A user outside VMS reads partners, and no points.
        clerk = new_test_user(self.env, login="clerk_points", groups="base.group_user")
        seen = self.partner.with_user(clerk)
        self.assertFalse({"vms_points_balance", "vms_points_account_ids"} & set(seen.fields_get()))
        self.assertEqual(seen.read(["name"])[0]["name"], self.partner.name)
        with self.assertRaises(AccessError):
            seen.read(["vms_points_balance"])
        # Nobody without the points account sees one on a card.
        stranger = self.env["vms.card"].create({"partner_id": self.partner_2.id, "state": "active"})
        self.assertEqual(
            stranger.with_user(self.vms_user).action_view_points()["type"], "ir.actions.client"
        )

    def test_points_to_voucher_in_the_back_office_with_the_members_code(self):
        self.company.write(
            {
                "vms_otp_mandatory": True,
                "vms_otp_min_amount": 10.0,
                "country_id": self.env.ref("base.be").id,
            }
        )
        self.give(2000)
        account = self.account().with_user(self.vms_user)
        wizard = Form(
            self.env["vms.points.convert"]
            .with_user(self.vms_user)
            .with_context(default_account_id=account.id)
        )
        wizard.points = 1500
        wizard.card_id = self.card
        self.assertEqual((wizard.value, wizard.otp_required), (15.0, True))
        wizard = wizard.save()
        self.assertEqual(refusal(wizard.action_convert).code, "otp_required")
        with self.mockSMSGateway():
            wizard.action_send_code()
        self.assertEqual(wizard.otp_id.reference, wizard.reference)
        wizard.otp_code = self._sms[0]["body"][:6]
        action = wizard.action_convert()
        voucher = self.env["vms.voucher"].browse(action["res_id"])
        self.assertEqual(
            (voucher.nominal_amount, voucher.state, voucher.partner_id),
            (15.0, "active", self.partner),
        )
        self.assertEqual(self.balance(), 500)
        # A second click is the same request.
        self.assertEqual(wizard.action_convert()["res_id"], voucher.id)
        self.assertEqual(self.balance(), 500)

    def test_claim_a_reward_and_adjust_in_the_back_office(self):
        reward = self.env["vms.reward"].create(
            {
                "name": "Tote Bag",
                "code": "TOTE",
                "company_id": self.company.id,
                "reward_type": "discount",
                "points_cost": 250,
            }
        )
        self.give(300)
        account = self.account()
        wizard = (
            self.env["vms.reward.claim.wizard"]
            .with_user(self.vms_user)
            .create({"account_id": account.id, "reward_id": reward.id})
        )
        self.assertFalse(wizard.otp_required)
        claim = self.env["vms.reward.claim"].browse(wizard.action_claim()["res_id"])
        self.assertEqual((claim.state, claim.points, claim.reward_id), ("claimed", 250, reward))
        self.assertEqual(self.available(), 50)
        adjust = (
            self.env["vms.points.adjust"]
            .with_user(self.manager)
            .create({"account_id": account.id, "points": -40, "reason": "returned a gift"})
        )
        adjust.action_apply()
        self.assertEqual(self.available(), 10)
        move = self.moves(move_type="adjust")
        self.assertEqual(
            (move.points, move.reason, move.user_id), (-40, "returned a gift", self.manager)
        )

    def test_the_programme_from_the_settings(self):
        action = self.env["vms.points.program"].with_user(self.manager).action_open_current()
        self.assertEqual(action["res_id"], self.program.id)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.CheckViolation),
            self.env.cr.savepoint(),
        ):
            self.program.point_value = 0
            self.program.flush_recordset()
        branch = self.env["res.company"].create({"name": "Branch", "parent_id": self.company.id})
        with self.assertRaises(ValidationError):  # a branch shares its root's programme
            self.env["vms.points.program"].create({"company_id": branch.id})
        self.assertEqual(
            self.env["vms.points.program"]._vms_for_company(branch).id, self.program.id
        )


@tagged("post_install", "-at_install")
class TestPointsDemo(PointsCase):
    """The demo members' ledgers hold (lots across dates, an expiry, a payment
    with points and a reward claim, all written through the ledger)."""

    def test_demo_ledgers_hold(self):
        accounts = self.env["vms.points.account"].search([])
        demo = self.env.ref("vms_loyalty.vms_points_program_demo", raise_if_not_found=False)
        if not demo:
            self.skipTest("installed without demo data")
        self.assertTrue(accounts.filtered(lambda a: a.company_id == demo.company_id))
        self.assertEqual(accounts._vms_check_ledger(), [])
        moves = self.env["vms.points.move"].search([("company_id", "=", demo.company_id.id)])
        self.assertTrue({"earn", "expire", "redeem"} <= set(moves.mapped("type")))
        self.assertTrue(self.env["vms.reward.claim"].search([("state", "=", "claimed")]))
