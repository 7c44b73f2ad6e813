from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..exceptions import VmsError
from .common import VmsCase


@tagged("post_install", "-at_install")
class TestCampaignIssue(VmsCase):
    """What a bill earns from the running campaigns, within the seed's limits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.vms_max_vouchers_per_bill = 3
        cls.garden = cls.env["product.category"].create({"name": "Garden"})
        cls.tools = cls.env["product.category"].create({"name": "Tools"})
        cls.seeds = cls.env["product.product"].create(
            {"name": "Seeds", "categ_id": cls.garden.id, "list_price": 4.0}
        )
        cls.spade = cls.env["product.product"].create(
            {"name": "Spade", "categ_id": cls.tools.id, "list_price": 30.0}
        )
        cls.Campaign = cls.env["vms.campaign"].with_company(cls.company)

    def running(self, **values):
        campaign = self.Campaign.create(
            {"company_id": self.company.id, "code": values["name"].upper()[:8], **values}
        )
        campaign.action_start()
        return campaign

    def per_garden_goods(self, name, quantity, nominal, **values):
        """A running campaign giving a voucher of ``nominal`` per ``quantity``
        of garden goods on the bill."""
        return self.running(
            name=name,
            kind="gift_quantity",
            issue_category_id=self.garden.id,
            issue_quantity=quantity,
            issue_nominal=nominal,
            **values,
        )

    def issue(self, lines, key="bill-0001-issue", **kwargs):
        bill = sum(line["qty"] * line["price_unit"] for line in lines)
        return self.Campaign.with_user(self.store_user)._vms_issue_for_bill(
            bill_ref="SHOP/0001",
            idempotency_key=key,
            lines=lines,
            bill_amount=kwargs.pop("bill_amount", bill),
            store=self.company,
            **kwargs,
        )

    def line(self, product, qty, price=None):
        return {"product": product, "qty": qty, "price_unit": price or product.list_price}

    def test_progressive_threshold_and_minimum_bill(self):
        self.running(
            name="Progressive",
            kind="gift_threshold",
            min_activation_amount=60.0,
            threshold_ids=[
                Command.create({"bill_amount": 50.0, "nominal_amount": 5.0}),
                Command.create({"bill_amount": 100.0, "nominal_amount": 12.0}),
            ],
        )
        self.assertFalse(
            self.issue([self.line(self.spade, 1, 55.0)], key="small-bill-1")["vouchers"]
        )
        result = self.issue([self.line(self.spade, 4)], partner=self.partner)
        voucher = result["vouchers"]
        self.assertRecordValues(
            voucher,
            [
                {
                    "nominal_amount": 12.0,
                    "state": "active",
                    "partner_id": self.partner.id,
                    "activation_store_id": self.company.id,
                    "activation_user_id": self.store_user.id,
                    "min_activation_amount": 60.0,
                    # Issued today where the store is, whatever the hour in UTC.
                    "valid_from": self.company._vms_today(),
                }
            ],
        )
        activate = self.rows(voucher, "activate")
        self.assertRecordValues(
            activate,
            [
                {
                    "bill_ref": "SHOP/0001",
                    "bill_amount": 120.0,
                    "channel": "pos",
                    "idempotency_key": "bill-0001-issue:1",
                }
            ],
        )
        self.assert_replay(voucher)
        # A retry issues nothing more.
        again = self.issue([self.line(self.spade, 4)], partner=self.partner)
        self.assertEqual(again["vouchers"], voucher)
        self.assertEqual(
            self.env["vms.voucher"].search_count(
                [("partner_id", "=", self.partner.id), ("campaign_id", "!=", self.campaign.id)]
            ),
            1,
        )

    def test_purchased_goods_and_the_two_group_campaign(self):
        self.per_garden_goods("Seeds", 2.0, 3.0)
        two_groups = self.running(
            name="Garden for tools",
            kind="gift_campaign",
            issue_category_id=self.garden.id,
            issue_quantity=5.0,
            issue_nominal=10.0,
            spend_category_id=self.tools.id,
        )
        vouchers = self.issue([self.line(self.seeds, 5), self.line(self.spade, 1)])["vouchers"]
        self.assertEqual(sorted(vouchers.mapped("nominal_amount")), [3.0, 3.0, 10.0])
        spending = vouchers.filtered(lambda v: v.campaign_id == two_groups)
        self.assertEqual(
            (spending.discount_scope, spending.discount_category_id), ("category", self.tools)
        )
        # It pays only for the spending group.
        lines = [self.line(self.seeds, 10), self.line(self.spade, 1, 6.0)]
        _voucher, eligible = (
            self.env["vms.redemption"]
            .with_user(self.store_user)
            ._vms_validate(spending.code, 10.0, lines=lines, bill_amount=46.0)
        )
        self.assertEqual(eligible, 6.0)

    def test_three_per_bill_five_per_holder(self):
        self.per_garden_goods("Per packet", 1.0, 1.0, max_vouchers_per_holder=5)
        result = self.issue([self.line(self.seeds, 4)], partner=self.partner)
        self.assertEqual(len(result["vouchers"]), 3, "the fourth voucher is refused")
        self.assertIn("at most 3 vouchers are printed on one bill", result["refused"][0])
        result = self.issue([self.line(self.seeds, 3)], key="bill-0002-issue", partner=self.partner)
        self.assertEqual(len(result["vouchers"]), 2)
        self.assertIn("already holds the 5 vouchers", result["refused"][0])
        # Bearer bills (no customer) have no holder limit.
        result = self.issue([self.line(self.seeds, 3)], key="bill-0003-issue")
        self.assertEqual(len(result["vouchers"]), 3)
        self.assertFalse(result["vouchers"].partner_id)

    def test_sold_gift_vouchers_come_first_and_cannot_pass_the_limit(self):
        gift = self.running(name="Gift", voucher_type="gift")
        self.per_garden_goods("Per packet", 1.0, 1.0)
        sold = [{"campaign": gift, "nominal": 25.0}] * 2
        result = self.issue([self.line(self.seeds, 2)], sold=sold, partner=self.partner)
        self.assertEqual(result["vouchers"].mapped("nominal_amount"), [25.0, 25.0, 1.0])
        self.assertFalse(result["vouchers"][:2].partner_id, "a sold voucher is a bearer voucher")
        with self.assertRaises(VmsError) as caught:
            self.issue([], key="bill-0004-issue", sold=[{"campaign": gift, "nominal": 5.0}] * 4)
        self.assertEqual(caught.exception.code, "too_many_vouchers_per_bill")
        gift.action_close()
        with self.assertRaises(VmsError) as caught:
            self.issue([], key="bill-0005-issue", sold=[{"campaign": gift, "nominal": 5.0}])
        self.assertEqual(caught.exception.code, "campaign_closed")

    def test_club_card_activation(self):
        card = self.env["vms.card"].create(
            {"partner_id": self.partner_2.id, "company_id": self.company.id, "state": "new"}
        )
        self.running(name="Welcome", kind="card_activation", issue_nominal=8.0)
        voucher = self.issue([self.line(self.spade, 1)], card=card)["vouchers"]
        self.assertEqual(card.state, "active")
        self.assertRecordValues(
            voucher,
            [
                {
                    "card_id": card.id,
                    "card_bound": True,
                    "partner_id": self.partner_2.id,
                    "voucher_type": "card_gift",
                    "nominal_amount": 8.0,
                }
            ],
        )
        # An active card earns no second welcome.
        self.assertFalse(
            self.issue([self.line(self.spade, 1)], key="bill-0006-issue", card=card)["vouchers"]
        )

    def test_issued_and_activated_on_the_stores_date_not_the_operators(self):
        """At 23:30 UTC it is already tomorrow in Brussels; the operator's own
        time zone (which any user sets for themselves) decides nothing."""
        self.company.vms_tz = "Europe/Brussels"
        self.store_user.tz = "Pacific/Pago_Pago"  # UTC-11: still the day before
        card = self.env["vms.card"].create(
            {"partner_id": self.partner_2.id, "company_id": self.company.id, "state": "new"}
        )
        with freeze_time("2026-06-10 23:30:00"):
            self.running(name="Welcome", kind="card_activation", issue_nominal=8.0)
            voucher = self.issue([self.line(self.spade, 1)], card=card, key="late-bill")["vouchers"]
        self.assertEqual(card.activation_date, date(2026, 6, 11))
        self.assertEqual(voucher.valid_from, date(2026, 6, 11))

    def test_campaigns_of_other_stores_closed_or_out_of_hours_issue_nothing(self):
        self.running(
            name="Elsewhere",
            kind="gift_threshold",
            store_ids=[Command.set(self.other_company.ids)],
            threshold_ids=[Command.create({"bill_amount": 1.0, "nominal_amount": 1.0})],
        )
        draft = self.Campaign.create(
            {
                "name": "Draft",
                "code": "DRAFT",
                "company_id": self.company.id,
                "kind": "gift_threshold",
                "threshold_ids": [Command.create({"bill_amount": 1.0, "nominal_amount": 1.0})],
            }
        )
        self.assertEqual(draft.state, "draft")
        self.assertFalse(self.issue([self.line(self.spade, 1)])["vouchers"])

    def test_a_refunded_bill_blocks_its_unused_vouchers(self):
        self.per_garden_goods("Per packet", 1.0, 10.0)
        vouchers = self.issue([self.line(self.seeds, 2)])["vouchers"]
        used, unused = vouchers
        self.env["vms.redemption"].with_user(self.store_user)._vms_redeem(
            used.code, 4.0, order_ref="SHOP/0002", idempotency_key="spend-used-001", channel="pos"
        )
        blocked, busy = self.Campaign._vms_withdraw_issued(vouchers, "bill refunded")
        self.assertEqual((blocked, busy), (unused, used))
        self.assertEqual(unused.state, "blocked")
        self.assertEqual(used.state, "active")
        self.assert_replay(unused)
        # For good: what paid for it came back, so a manager cannot revive it.
        self.assertTrue(unused.withdrawn)
        self.assertEqual(self.rows(unused, "withdraw").channel, "system")
        with self.assertRaisesRegex(UserError, "withdrawn"):
            self.as_manager(unused).action_unblock("customer asked")
        self.assertEqual(unused.state, "blocked")
        # A voucher a manager had blocked is withdrawn all the same: unblocking
        # it later gives nothing back that was refunded.
        lost = self.issue([self.line(self.seeds, 1)], key="bill-0003-issue")["vouchers"]
        self.as_manager(lost).action_block("card lost")
        blocked, busy = self.Campaign._vms_withdraw_issued(lost, "bill refunded")
        self.assertEqual(
            (blocked, busy, lost.state, lost.withdrawn), (lost, used[:0], "blocked", True)
        )
        self.assertEqual(lost.state_before_block, "active")
        with self.assertRaisesRegex(UserError, "withdrawn"):
            self.as_manager(lost).action_unblock("found")
        self.assert_replay(lost)
        # The lifecycle table itself refuses it, whoever asks.
        with self.assertRaises(VmsError) as caught:
            lost.sudo()._vms_transition("unblock", reason="found")
        self.assertEqual((caught.exception.code, lost.state), ("invalid_transition", "blocked"))
