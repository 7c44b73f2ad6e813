from datetime import datetime

import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import VmsCase


@tagged("post_install", "-at_install")
class TestCampaign(VmsCase):
    def make_campaign(self, **vals):
        return (
            self.env["vms.campaign"]
            .with_user(self.manager)
            .create({"name": "C", "code": "C1", "company_id": self.company.id, **vals})
        )

    def test_holder_limit_defaults_from_the_settings(self):
        self.company.vms_max_vouchers_per_holder = 7
        campaign = (
            self.env["vms.campaign"]
            .with_company(self.company)
            .create({"name": "Limits", "code": "LIM"})
        )
        self.assertEqual(campaign.max_vouchers_per_holder, 7)

    def test_kind_parameters_are_required_to_start(self):
        threshold = self.make_campaign(kind="gift_threshold")
        with self.refused("progressive table"):
            threshold.action_start()
        threshold.write(
            {
                "threshold_ids": [
                    (0, 0, {"bill_amount": 50, "nominal_amount": 5}),
                    (0, 0, {"bill_amount": 100, "nominal_amount": 12}),
                ]
            }
        )
        threshold.action_start()
        self.assertEqual(threshold.state, "running")
        self.assertEqual(threshold._vms_threshold_nominal(49.99), 0)
        self.assertEqual(threshold._vms_threshold_nominal(75), 5)
        self.assertEqual(threshold._vms_threshold_nominal(150), 12)
        goods = self.make_campaign(code="C2", kind="gift_campaign")
        with self.refused("issuing item group"):
            goods.action_start()
        category = self.env["product.category"].create({"name": "Drinks"})
        goods.write({"issue_category_id": category.id, "issue_nominal": 5, "issue_quantity": 3})
        with self.refused("item group its vouchers pay for"):
            goods.action_start()
        goods.spend_category_id = category
        goods.action_start()
        self.assertEqual(goods.voucher_type, "gift")
        with self.refused("only a draft campaign"):
            goods.action_start()
        goods.action_close()
        with self.refused("already closed"):
            goods.action_close()

    def test_bad_values_refused(self):
        self.make_campaign(code="DUP")
        for vals, constraint in (
            ({"code": "DUP"}, "code_company_unique"),
            ({"hour_start": 18, "hour_end": 9}, "hours_valid"),
            ({"date_start": self.days(5), "date_end": self.days(1)}, "dates_valid"),
            ({"max_vouchers_per_holder": -1}, "max_per_holder_positive"),
        ):
            with (
                self.subTest(vals=vals),
                mute_logger("odoo.sql_db"),
                self.refused(constraint, psycopg2.IntegrityError),
            ):
                self.make_campaign(**{"code": "OK", **vals})

    def test_open_window(self):
        campaign = self.make_campaign(
            state="running",
            date_start=datetime(2026, 1, 1).date(),
            date_end=datetime(2026, 12, 31).date(),
            hour_start=8,
            hour_end=20,
            weekday_sun=False,
        )
        self.assertTrue(campaign._vms_is_open(datetime(2026, 3, 4, 9, 30)))  # Wednesday
        self.assertFalse(campaign._vms_is_open(datetime(2026, 3, 8, 9, 30)))  # Sunday
        self.assertFalse(campaign._vms_is_open(datetime(2026, 3, 4, 20, 0)))
        self.assertFalse(campaign._vms_is_open(datetime(2027, 1, 4, 9, 0)))

    def test_smart_button_and_group_block_by_campaign(self):
        vouchers = self.new_voucher() | self.new_voucher() | self.new_voucher()
        self.as_manager(vouchers[0]).action_activate()
        self.assertEqual(self.campaign.voucher_count, 3)
        action = self.campaign.action_view_vouchers()
        self.assertEqual(self.env["vms.voucher"].search(action["domain"]), vouchers)
        wizard = (
            self.env["vms.voucher.block"]
            .with_user(self.manager)
            .create({"mode": "group_block", "campaign_id": self.campaign.id, "reason": "Recall"})
        )
        self.assertEqual(wizard.voucher_count, 3)
        wizard.action_confirm()
        self.assertEqual(set(vouchers.mapped("state")), {"blocked"})
        for voucher in vouchers:
            self.assertEqual(self.rows(voucher)[-1].type, "group_block")
            self.assert_replay(voucher)
