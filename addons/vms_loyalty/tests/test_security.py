from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import VmsCase


@tagged("post_install", "-at_install")
class TestSecurity(VmsCase):
    """Who may do what, and company walls."""

    def setUp(self):
        super().setUp()
        self.voucher = self.new_voucher()
        foreign_campaign = self.env["vms.campaign"].create(
            {"name": "Foreign", "code": "FRGN", "company_id": self.other_company.id}
        )
        self.foreign = (
            self.env["vms.voucher"]
            .with_company(self.other_company)
            .create(
                {
                    "campaign_id": foreign_campaign.id,
                    "company_id": self.other_company.id,
                    "nominal_amount": 10.0,
                }
            )
        )

    def test_vms_user_reads_and_hands_over_only(self):
        voucher = self.voucher.with_user(self.vms_user)
        self.assertEqual(voucher.code, self.voucher.code)
        voucher.action_hand_over()
        self.assertEqual(voucher.state, "handed_over")
        self.assertEqual(self.rows(voucher, "hand_over").user_id, self.vms_user)
        for action in (
            voucher.action_activate,
            lambda: voucher.action_block("x"),
            lambda: voucher._vms_change_validity(self.today, self.days(3)),
            lambda: voucher.write({"item_criteria": "x"}),
            lambda: (
                self.env["vms.voucher"]
                .with_user(self.vms_user)
                .create({"campaign_id": self.campaign.id, "nominal_amount": 5.0})
            ),
            lambda: self.campaign.with_user(self.vms_user).write({"name": "x"}),
            lambda: (
                self.env["vms.voucher.generate"]
                .with_user(self.vms_user)
                .create({"campaign_id": self.campaign.id, "quantity": 1, "nominal_amount": 5.0})
            ),
        ):
            with self.assertRaises(AccessError):
                action()

    def test_store_user_redeems_in_its_own_store_only(self):
        self.as_manager(self.voucher).action_activate()
        store = self.voucher.with_user(self.store_user)
        store._vms_spend(5.0)
        with self.assertRaises(AccessError):
            store.action_hand_over()
        Voucher = self.env["vms.voucher"].with_user(self.store_user)
        self.assertFalse(Voucher.search([("id", "=", self.foreign.id)]))
        with self.assertRaises(AccessError):
            self.foreign.with_user(self.store_user).read(["code"])
        with self.assertRaises(AccessError):
            self.foreign.with_user(self.store_user)._vms_spend(1.0)
        with self.refused("No voucher with code"):
            Voucher._vms_find_by_code(self.foreign.code, self.other_company)

    def test_manager_of_one_company_does_not_see_the_other(self):
        Voucher = self.env["vms.voucher"].with_user(self.manager)
        self.assertFalse(Voucher.search([("id", "=", self.foreign.id)]))
        with self.assertRaises(AccessError):
            self.foreign.with_user(self.manager).action_block("x")
        self.assertFalse(
            self.env["vms.campaign"]
            .with_user(self.manager)
            .search([("company_id", "=", self.other_company.id)])
        )
        self.assertFalse(
            self.env["vms.voucher.batch"]
            .with_user(self.manager)
            .search([("company_id", "=", self.other_company.id)])
        )

    def test_a_branch_reads_the_chains_cards_and_changes_only_its_own(self):
        branch = self.env["res.company"].create({"name": "Branch", "parent_id": self.company.id})
        branch_manager = new_test_user(
            self.env,
            login="vms_branch_manager",
            groups="base.group_user,vms_loyalty.group_vms_manager",
            company_id=branch.id,
            company_ids=[branch.id],
        )
        at_branch = self.env(user=branch_manager, context={"allowed_company_ids": [branch.id]})
        Card = at_branch["vms.card"]
        self.assertEqual(Card.search([("id", "=", self.card.id)]), self.card)
        self.assertEqual(self.card.with_env(at_branch).number, self.card.number)
        other = self.env["res.partner"].create({"name": "Someone Else"})
        for change in (
            lambda card: card.write({"partner_id": other.id}),
            lambda card: card.write({"state": "blocked"}),
            lambda card: card.unlink(),
        ):
            with self.subTest(change=change), self.assertRaises(AccessError):
                change(self.card.with_env(at_branch))
        with self.assertRaises(AccessError):
            Card.create({"partner_id": other.id, "company_id": self.company.id})
        own = Card.create({"partner_id": other.id, "company_id": branch.id})
        own.write({"state": "active"})
        self.assertEqual((self.card.partner_id, self.card.state), (self.partner, "active"))
        # Another retailer's cards stay out of sight.
        foreign = self.env["vms.card"].create(
            {"partner_id": other.id, "company_id": self.other_company.id}
        )
        self.assertFalse(Card.search([("id", "=", foreign.id)]))

    def test_manager_does_everything_in_its_company(self):
        voucher = self.as_manager(self.voucher)
        voucher.action_activate()
        voucher.action_block("test")
        voucher.action_unblock("test")
        voucher._vms_change_validity(self.today, self.days(10))
        self.assertEqual(voucher.state, "active")
        self.assert_replay(voucher)

    def test_a_manager_of_another_company_reads_no_request_nor_refusal_of_this_one(self):
        """The answers kept for retries hold the voucher's code and balance;
        the refusals audit who was refused where. Neither is another
        retailer's to read through the model API."""
        self.as_manager(self.voucher).action_activate()
        hold = (
            self.env["vms.redemption"]
            .with_user(self.store_user)
            ._vms_hold(
                self.voucher.code,
                5.0,
                order_ref="POS/0001",
                idempotency_key="security-request-1",
                channel="pos",
            )
        )
        self.env.cr.execute(
            "INSERT INTO vms_refusal (date, code, user_id, store_id) VALUES (now(), %s, %s, %s)",
            ["voucher_blocked", self.store_user.id, self.company.id],
        )
        other_manager = new_test_user(
            self.env,
            login="vms_other_manager",
            groups="base.group_user,vms_loyalty.group_vms_manager",
            company_id=self.other_company.id,
            company_ids=[self.other_company.id],
        )
        domain = [("redemption_id", "=", hold.id)]
        requests = self.env["vms.idempotency"].with_user(self.manager).search(domain)
        self.assertEqual(requests.response["code"], self.voucher.code)
        other = self.env(
            user=other_manager, context={"allowed_company_ids": [self.other_company.id]}
        )
        self.assertFalse(other["vms.idempotency"].search(domain))
        with self.assertRaises(AccessError):
            requests.with_env(other).read(["response"])
        refusals = [("user_id", "=", self.store_user.id), ("code", "=", "voucher_blocked")]
        self.assertTrue(self.env["vms.refusal"].with_user(self.manager).search(refusals))
        self.assertFalse(other["vms.refusal"].search(refusals))
