from odoo import Command
from odoo.tests import tagged

from odoo.addons.vms_loyalty.exceptions import VmsError

from .common import VmsPosCase


@tagged("post_install", "-at_install")
class TestPosSales(VmsPosCase):
    """Gift vouchers sold and earned at the till, refunds, the session's entries."""

    def setUp(self):
        super().setUp()
        self.till = self.open_session()

    def pay_with_voucher(
        self, voucher, lines, amount, *, cash=0.0, session=None, user=None, **extra
    ):
        session = session or self.till
        data = self.order_data(session, lines, [], **extra)
        payment_uuid, info = self.hold(session, data, voucher.code, amount, user=user)
        payments = [(self.voucher_method, info["amount"], payment_uuid, info["transaction_id"])]
        if cash:
            payments.append((self.cash_method, cash, None, None))
        paid = self.order_data(
            session,
            lines,
            payments,
            uuid=data["uuid"],
            pos_reference=data["pos_reference"],
            **{k: v for k, v in extra.items() if k in ("partner", "card")},
        )
        return self.sync(paid, user=user)

    def test_gift_voucher_sold_then_paid_with(self):
        cash_order = self.sync(
            self.order_data(
                self.till,
                [(self.gift_product, 1, 40.0)],
                [(self.cash_method, 40.0, None, None)],
            )
        )
        sold = cash_order.vms_issued_voucher_ids
        self.assertEqual(len(sold), 1)
        self.assertRecordValues(
            sold,
            [
                {
                    "state": "active",
                    "nominal_amount": 40.0,
                    "campaign_id": self.gift_campaign.id,
                    "activation_store_id": self.company.id,
                    "activation_user_id": self.pos_user.id,
                    "partner_id": False,
                    "pos_order_line_id": cash_order.lines.id,
                }
            ],
        )
        activate = sold.transaction_ids.filtered(lambda r: r.type == "activate")
        self.assertEqual((activate.channel, activate.bill_ref), ("pos", cash_order.pos_reference))
        receipt = cash_order.vms_receipt["vouchers"]
        self.assertEqual(receipt[0]["code"], sold.code)
        self.assertTrue(receipt[0]["symbol"].startswith("data:image/svg+xml;base64,"))
        self.assertEqual(receipt[0]["bill_text"], "A present from the test shop")
        # The next customer pays with it.
        order = self.pay_with_voucher(sold, [(self.desk_pad, 3, 10.0)], 30.0)
        self.assertEqual(order.state, "paid")
        self.assertEqual(sold.balance, 10.0)

    def test_session_entries_of_a_voucher_sold_and_one_paid(self):
        """One gift voucher sold, paid by another voucher: the liability
        account is credited by the sale and debited by the tender."""
        paying = self.new_voucher(50.0)
        order = self.pay_with_voucher(paying, [(self.gift_product, 1, 50.0)], 50.0)
        self.assertEqual(len(order.vms_issued_voucher_ids), 1)
        self.till.post_closing_cash_details(0)
        self.assertEqual(self.till.close_session_from_ui(), {"successful": True})
        receivable = self.company.account_default_pos_receivable_account_id
        self.assertRecordValues(
            self.till.move_id.line_ids.sorted("balance"),
            [
                {"account_id": self.liability.id, "debit": 0.0, "credit": 50.0},
                {"account_id": receivable.id, "debit": 50.0, "credit": 0.0},
            ],
        )
        payment_move = self.till.bank_payment_ids.move_id
        self.assertEqual(self.till.bank_payment_ids.pos_payment_method_id, self.voucher_method)
        self.assertRecordValues(
            payment_move.line_ids.sorted("balance"),
            [
                {"account_id": receivable.id, "debit": 0.0, "credit": 50.0},
                {"account_id": self.liability.id, "debit": 50.0, "credit": 0.0},
            ],
        )
        self.assertEqual(payment_move.journal_id, self.company.vms_voucher_journal_id)
        liability_lines = self.env["account.move.line"].search(
            [("account_id", "=", self.liability.id), ("parent_state", "=", "posted")]
        )
        self.assertAlmostEqual(sum(liability_lines.mapped("balance")), 0.0)
        self.assertTrue(
            all(
                line.reconciled
                for line in (self.till.move_id | payment_move).line_ids
                if line.account_id == receivable
            )
        )

    def test_a_bill_over_the_threshold_earns_a_gift_voucher(self):
        threshold = self.env["vms.campaign"].create(
            {
                "name": "Spend 100",
                "code": "SPEND100",
                "kind": "gift_threshold",
                "company_id": self.company.id,
                "bill_text": "Your voucher for the next visit",
                "threshold_ids": [
                    Command.create({"bill_amount": 100.0, "nominal_amount": 10.0}),
                    Command.create({"bill_amount": 200.0, "nominal_amount": 25.0}),
                ],
            }
        )
        threshold.action_start()
        small = self.sync(
            self.order_data(
                self.till, [(self.desk_pad, 9, 10.0)], [(self.cash_method, 90.0, None, None)]
            )
        )
        self.assertFalse(small.vms_issued_voucher_ids)
        order = self.sync(
            self.order_data(
                self.till,
                [(self.desk_pad, 21, 10.0)],
                [(self.cash_method, 210.0, None, None)],
                partner=self.holder,
            )
        )
        voucher = order.vms_issued_voucher_ids
        self.assertRecordValues(
            voucher,
            [
                {
                    "nominal_amount": 25.0,
                    "partner_id": self.holder.id,
                    "state": "active",
                    "campaign_id": threshold.id,
                }
            ],
        )
        self.assertEqual(
            order.vms_receipt["vouchers"][0]["bill_text"], "Your voucher for the next visit"
        )
        # Refunding the bill blocks the voucher it issued, not used yet.
        refund = self.sync(
            self.order_data(
                self.till,
                [(self.desk_pad, -21, 10.0)],
                [(self.cash_method, -210.0, None, None)],
                **{
                    f"line_{self.desk_pad.product_variant_id.id}": {
                        "refunded_orderline_id": order.lines.id
                    }
                },
            )
        )
        self.assertEqual((voucher.state, voucher.withdrawn), ("blocked", True))
        self.assertIn(voucher.code, refund.vms_note)

    def test_at_most_three_vouchers_per_bill_and_five_per_holder(self):
        group = self.env["product.category"].create({"name": "Garden"})
        self.desk_pad.categ_id = group
        campaign = self.env["vms.campaign"].create(
            {
                "name": "Per Desk Pad",
                "code": "PERPAD",
                "kind": "gift_quantity",
                "company_id": self.company.id,
                "issue_category_id": group.id,
                "issue_quantity": 1.0,
                "issue_nominal": 5.0,
                "max_vouchers_per_holder": 5,
            }
        )
        campaign.action_start()
        order = self.sync(
            self.order_data(
                self.till,
                [(self.desk_pad, 4, 10.0)],
                [(self.cash_method, 40.0, None, None)],
                partner=self.holder,
            )
        )
        self.assertEqual(len(order.vms_issued_voucher_ids), 3, "the fourth voucher is refused")
        self.assertIn("at most 3 vouchers are printed on one bill", order.vms_note)
        second = self.sync(
            self.order_data(
                self.till,
                [(self.desk_pad, 3, 10.0)],
                [(self.cash_method, 30.0, None, None)],
                partner=self.holder,
            )
        )
        self.assertEqual(len(second.vms_issued_voucher_ids), 2, "five per holder and promotion")
        self.assertIn("already holds the 5 vouchers", second.vms_note)
        # Four gift vouchers sold on one bill: refused, nothing saved.
        with self.assertRaises(VmsError) as caught:
            self.sync(
                self.order_data(
                    self.till,
                    [(self.gift_product, 4, 10.0)],
                    [(self.cash_method, 40.0, None, None)],
                )
            )
        self.assertEqual(caught.exception.code, "too_many_vouchers_per_bill")

    def test_a_new_club_card_is_activated_with_its_gift(self):
        new_card = self.env["vms.card"].create(
            {
                "number": "2900000040047",
                "partner_id": self.holder.id,
                "company_id": self.company.id,
                "state": "new",
            }
        )
        club = self.env["vms.campaign"].create(
            {
                "name": "Welcome",
                "code": "WELCOME",
                "kind": "card_activation",
                "company_id": self.company.id,
                "issue_nominal": 7.0,
                "min_activation_amount": 15.0,
            }
        )
        club.action_start()
        order = self.sync(
            self.order_data(
                self.till,
                [(self.desk_pad, 2, 10.0)],
                [(self.cash_method, 20.0, None, None)],
                card=new_card,
                partner=self.holder,
            )
        )
        self.assertEqual(new_card.state, "active")
        self.assertRecordValues(
            order.vms_issued_voucher_ids,
            [
                {
                    "card_id": new_card.id,
                    "card_bound": True,
                    "nominal_amount": 7.0,
                    "min_activation_amount": 15.0,
                    "partner_id": self.holder.id,
                }
            ],
        )

    def test_a_refund_restores_the_balance_at_any_till_of_the_shop(self):
        voucher = self.new_voucher(50.0)
        order = self.pay_with_voucher(voucher, [(self.desk_pad, 3, 10.0)], 30.0)
        self.assertEqual(voucher.balance, 20.0)
        desk = self.second_till("Service Desk", self.pos_admin)
        extra = {
            f"line_{self.desk_pad.product_variant_id.id}": {"refunded_orderline_id": order.lines.id}
        }
        refund = self.order_data(desk, [(self.desk_pad, -3, 10.0)], [], **dict(extra))
        method = self.voucher_method.with_user(self.pos_admin)
        info = method._vms_pos_refund(
            {
                "session_id": desk.id,
                "order": {**self.sale_payload(refund), "refunded_line_ids": [order.lines.id]},
                "payment": {"uuid": "refund-pay-1", "amount": -30.0},
            }
        )
        self.assertEqual((info["amount"], info["code"]), (-30.0, voucher.code))
        paid = self.order_data(
            desk,
            [(self.desk_pad, -3, 10.0)],
            [(self.voucher_method, -30.0, "refund-pay-1", info["transaction_id"])],
            uuid=refund["uuid"],
            **dict(extra),
        )
        self.sync(paid, user=self.pos_admin)
        self.assertEqual(voucher.balance, 50.0)
        reverse = voucher.transaction_ids.filtered(lambda r: r.type == "reverse")
        self.assertEqual((reverse.amount, reverse.user_id), (30.0, self.pos_admin))
        # Nothing left to refund to the voucher.
        with self.assertRaises(VmsError):
            method._vms_pos_refund(
                {
                    "session_id": desk.id,
                    "order": {**self.sale_payload(refund), "refunded_line_ids": [order.lines.id]},
                    "payment": {"uuid": "refund-pay-2", "amount": -1.0},
                }
            )

    def test_a_refund_of_a_remainder_campaign_comes_as_a_new_voucher(self):
        self.campaign.remainder_as_voucher = True
        voucher = self.new_voucher(50.0)
        order = self.pay_with_voucher(voucher, [(self.desk_pad, 2, 10.0)], 20.0)
        remainder = voucher.child_ids
        self.assertEqual((voucher.state, remainder.balance), ("used", 30.0))
        self.assertIn(remainder.code, [v["code"] for v in order.vms_receipt["vouchers"]])
        extra = {
            f"line_{self.desk_pad.product_variant_id.id}": {"refunded_orderline_id": order.lines.id}
        }
        refund = self.order_data(self.till, [(self.desk_pad, -2, 10.0)], [], **dict(extra))
        info = self.voucher_method.with_user(self.pos_user)._vms_pos_refund(
            {
                "session_id": self.till.id,
                "order": {**self.sale_payload(refund), "refunded_line_ids": [order.lines.id]},
                "payment": {"uuid": "refund-pay-3", "amount": -20.0},
            }
        )
        refund_order = self.sync(
            self.order_data(
                self.till,
                [(self.desk_pad, -2, 10.0)],
                [(self.voucher_method, -20.0, "refund-pay-3", info["transaction_id"])],
                uuid=refund["uuid"],
                **dict(extra),
            )
        )
        new = refund_order.vms_issued_voucher_ids
        self.assertEqual((new.nominal_amount, new.state, new.parent_id), (20.0, "active", voucher))
        self.assertEqual(voucher.state, "used")

    def test_refunding_a_used_gift_voucher_is_refused(self):
        order = self.sync(
            self.order_data(
                self.till, [(self.gift_product, 1, 20.0)], [(self.cash_method, 20.0, None, None)]
            )
        )
        sold = order.vms_issued_voucher_ids
        self.pay_with_voucher(sold, [(self.desk_pad, 1, 10.0)], 10.0)
        extra = {
            f"line_{self.gift_product.product_variant_id.id}": {
                "refunded_orderline_id": order.lines.id
            }
        }
        with self.assertRaises(VmsError) as caught:
            self.sync(
                self.order_data(
                    self.till,
                    [(self.gift_product, -1, 20.0)],
                    [(self.cash_method, -20.0, None, None)],
                    **extra,
                )
            )
        self.assertEqual(caught.exception.code, "gift_voucher_used")
        self.assertEqual(sold.state, "active")

    def test_a_gift_voucher_line_refunded_twice_withdraws_each_voucher_once(self):
        """Two vouchers sold on one line, refunded one at a time: the second
        refund withdraws the second voucher, not the first again; a voucher
        held at another till is not free to refund."""
        order = self.sync(
            self.order_data(
                self.till, [(self.gift_product, 3, 20.0)], [(self.cash_method, 60.0, None, None)]
            )
        )
        sold = order.vms_issued_voucher_ids.sorted("id")
        self.assertEqual(len(sold), 3)
        extra = {
            f"line_{self.gift_product.product_variant_id.id}": {
                "refunded_orderline_id": order.lines.id
            }
        }

        def refund_one():
            return self.sync(
                self.order_data(
                    self.till,
                    [(self.gift_product, -1, 20.0)],
                    [(self.cash_method, -20.0, None, None)],
                    **extra,
                )
            )

        refund_one()
        refund_one()
        self.assertEqual(sorted(sold.mapped("withdrawn")), [False, True, True])
        left = sold.filtered(lambda v: not v.withdrawn)
        self.assertEqual(left.state, "active")
        self.env["vms.redemption"].with_user(self.pos_user)._vms_hold(
            left.code, 5.0, order_ref="OTHER-TILL/1", idempotency_key="held-gift-1", channel="pos"
        )
        with self.assertRaises(VmsError) as caught:
            refund_one()
        self.assertEqual(caught.exception.code, "gift_voucher_used")
        self.assertEqual((left.state, left.withdrawn), ("active", False))

    def test_a_tender_journal_takes_a_code_no_journal_has_even_archived(self):
        Journal = self.env["account.journal"]
        for code in ("ZZT", "ZZT2"):
            Journal.create(
                {"name": f"Old {code}", "code": code, "type": "bank", "company_id": self.company.id}
            ).action_archive()
        journal = self.company._vms_new_tender_journal("Vouchers", "ZZT")
        self.assertEqual((journal.code, journal.type), ("ZZT3", "bank"))
