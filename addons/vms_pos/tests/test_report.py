from datetime import timedelta

from odoo.tests import new_test_user, tagged
from odoo.tools import date_utils

from .common import VmsPosCase


@tagged("post_install", "-at_install")
class TestPosReports(VmsPosCase):
    """Basket size with and without vouchers, and the liability with its
    expiry forecast, on known orders and balances."""

    def setUp(self):
        super().setUp()
        self.till = self.open_session()

    def sync_order(self, lines, payments):
        return self.sync(self.order_data(self.till, lines, payments))

    def pay_with_voucher(self, voucher, lines, amount, cash=0.0):
        data = self.order_data(self.till, lines, [])
        payment_uuid, info = self.hold(self.till, data, voucher.code, amount)
        payments = [(self.voucher_method, info["amount"], payment_uuid, info["transaction_id"])]
        if cash:
            payments.append((self.cash_method, cash, None, None))
        paid = self.order_data(
            self.till, lines, payments, uuid=data["uuid"], pos_reference=data["pos_reference"]
        )
        return self.sync(paid)

    def test_basket_size_with_and_without_vouchers(self):
        voucher = self.new_voucher(50.0)
        orders = (
            self.pay_with_voucher(voucher, [(self.desk_pad, 3, 10.0)], 30.0)
            | self.pay_with_voucher(
                voucher, [(self.desk_pad, 2, 10.0), (self.desk_pad, 3, 10.0)], 20.0, cash=30.0
            )
            | self.sync_order([(self.desk_pad, 1, 10.0)], [(self.cash_method, 10.0, None, None)])
            | self.sync_order([(self.desk_pad, 4, 10.0)], [(self.cash_method, 40.0, None, None)])
            | self.sync_order([(self.desk_pad, 2, 5.0)], [(self.cash_method, 10.0, None, None)])
        )
        self.assertEqual(set(orders.mapped("state")), {"paid"})
        rows = self.env["vms.report.basket"]._read_group(
            [("order_id", "in", orders.ids)],
            ["with_voucher", "company_id"],
            ["order_count:sum", "bill_amount:avg", "item_count:avg", "voucher_amount:sum"],
        )
        self.assertEqual(
            [tuple(row) for row in rows],
            [
                (False, self.company, 3, 20.0, 7 / 3, 0.0),
                (True, self.company, 2, 40.0, 4.0, 50.0),
            ],
        )
        # What the pivot view asks, as it asks it.
        sets = self.env["vms.report.basket"].formatted_read_grouping_sets(
            [("order_id", "in", orders.ids)],
            [["with_voucher"], []],
            ["bill_amount:avg", "item_count:avg", "__count"],
        )
        totals = sets[1][0]
        self.assertEqual((totals["__count"], totals["bill_amount:avg"]), (5, 28.0))

    def test_liability_and_expiry_forecast(self):
        today = self.today
        sold_order = self.sync_order(
            [(self.gift_product, 1, 40.0)], [(self.cash_method, 40.0, None, None)]
        )
        sold = sold_order.vms_issued_voucher_ids
        promo = self.new_voucher(50.0)
        self.pay_with_voucher(promo, [(self.desk_pad, 3, 10.0)], 30.0)
        spent = self.new_voucher(25.0)
        self.pay_with_voucher(spent, [(self.desk_pad, 5, 5.0)], 25.0)
        lapsed = self.new_voucher(
            10.0, valid_from=today - timedelta(days=20), valid_to=today - timedelta(days=1)
        )
        fresh = self.new_voucher(12.5, state="generated", valid_to=today + timedelta(days=90))
        program = self.env["vms.points.program"].create(
            {"company_id": self.company.id, "point_value": 0.02, "lifetime_days": 60}
        )
        account, _card = self.env["vms.points.account"]._vms_account_for(self.card, create=True)
        account._vms_lock()
        account._vms_credit(500, "earn", today + timedelta(days=60), order_ref="EARN/1")
        account._vms_credit(100, "earn", today - timedelta(days=1), order_ref="EARN/0")
        self.assertEqual(program.company_id, account.company_id)

        Liability = self.env["vms.report.liability"]
        domain = [("store_id", "=", self.company.id)]
        by_kind = Liability._read_group(domain, ["kind"], ["amount:sum", "points:sum", "count:sum"])
        self.assertEqual(
            [tuple(row) for row in by_kind],
            [("gift", 40.0, 0.0, 1), ("points", 10.0, 500.0, 1), ("promotional", 20.0, 0.0, 1)],
        )
        self.assertEqual(set(Liability.search(domain).voucher_id.ids), {sold.id, promo.id})
        self.assertNotIn(lapsed, Liability.search(domain).voucher_id)
        self.assertNotIn(fresh, Liability.search(domain).voucher_id)

        def month(days):
            return date_utils.start_of(today + timedelta(days=days), "month")

        forecast = {}
        for expiry, kind, amount in Liability._read_group(
            domain, ["expires_on:month", "kind"], ["amount:sum"]
        ):
            forecast[expiry, kind] = forecast.get((expiry, kind), 0.0) + amount
        self.assertEqual(
            forecast,
            {
                (month(sold.valid_to.toordinal() - today.toordinal()), "gift"): 40.0,
                (month(30), "promotional"): 20.0,
                (month(60), "points"): 10.0,
            },
        )
        # By company (the retailer) and store.
        by_company = Liability._read_group(domain, ["company_id", "store_id"], ["amount:sum"])
        self.assertEqual([tuple(r) for r in by_company], [(self.company, self.company, 70.0)])
        # The dashboard shows the same, and what expires within 30 days: the
        # promotional voucher (its last day is in 30 days), not the points (60).
        data = self.env["vms.dashboard"].with_company(self.company).get_dashboard_data()
        figures = next(s["values"] for s in data["stores"] if s["id"] == self.company.id)
        self.assertEqual(
            [
                figures[key]
                for key in (
                    "gift_liability",
                    "promotional_outstanding",
                    "points_value",
                    "expiring_soon",
                )
            ],
            [40.0, 20.0, 10.0, 20.0],
        )

    def test_a_store_sees_the_liability_of_its_own_stores(self):
        other = self.env["res.company"].create({"name": "Other Retailer", "vms_code_prefix": "ORT"})
        campaign = self.env["vms.campaign"].create(
            {"name": "Elsewhere", "code": "ELSW", "company_id": other.id, "state": "running"}
        )
        self.env["vms.voucher"].create(
            {
                "campaign_id": campaign.id,
                "company_id": other.id,
                "nominal_amount": 33.0,
                "state": "active",
                "valid_to": self.today + timedelta(days=10),
            }
        )
        self.new_voucher(50.0)
        store_user = new_test_user(
            self.env,
            login="liability_store",
            groups="base.group_user,vms_loyalty.group_vms_store_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        Liability = self.env["vms.report.liability"]
        self.assertIn(other, Liability.sudo().search([]).store_id)
        rows = Liability.with_user(store_user)._read_group([], ["store_id"], ["amount:sum"])
        self.assertEqual([tuple(row) for row in rows], [(self.company, 50.0)])
