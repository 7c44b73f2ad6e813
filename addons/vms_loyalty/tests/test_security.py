from odoo.exceptions import AccessError
from odoo.tests import tagged

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

    def test_manager_does_everything_in_its_company(self):
        voucher = self.as_manager(self.voucher)
        voucher.action_activate()
        voucher.action_block("test")
        voucher.action_unblock("test")
        voucher._vms_change_validity(self.today, self.days(10))
        self.assertEqual(voucher.state, "active")
        self.assert_replay(voucher)
