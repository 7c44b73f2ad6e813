import copy
from datetime import timedelta
from uuid import uuid4

from odoo import Command, fields
from odoo.modules.module import load_script
from odoo.tests import tagged
from odoo.tools.misc import file_path

from odoo.addons.vms_loyalty.exceptions import VmsError

from .common import VmsPosCase


@tagged("post_install", "-at_install")
class TestPosTender(VmsPosCase):
    """The Voucher tender on the server: hold, release, confirm at the sync."""

    def setUp(self):
        super().setUp()
        self.till = self.open_session()

    def refused(self, code, callable_, *args, **kwargs):
        with self.assertRaises(VmsError) as caught:
            callable_(*args, **kwargs)
        self.assertEqual(caught.exception.code, code, caught.exception.args[0])
        return caught.exception

    def test_hold_caps_the_line_and_the_sync_confirms_once(self):
        voucher = self.new_voucher(30.0)
        data = self.order_data(self.till, [(self.desk_pad, 5, 10.0)], [])
        payment_uuid, info = self.hold(self.till, data, voucher.code, 50.0)
        self.assertEqual((info["amount"], info["requested"]), (30.0, 50.0))
        self.assertEqual(info["available"], 0.0)
        hold = self.env["vms.redemption"].browse(int(info["transaction_id"]))
        self.assertEqual(hold.state, "held")
        self.assertEqual((hold.pos_order_uuid, hold.pos_payment_uuid), (data["uuid"], payment_uuid))
        data["payment_ids"] = [
            Command.create(
                {
                    "amount": 30.0,
                    "payment_method_id": self.voucher_method.id,
                    "uuid": payment_uuid,
                    "transaction_id": info["transaction_id"],
                    "payment_status": "done",
                }
            ),
            Command.create({"amount": 20.0, "payment_method_id": self.cash_method.id}),
        ]
        data["amount_paid"] = 50.0
        retry = copy.deepcopy(data)
        order = self.sync(data)
        self.assertEqual(order.state, "paid")
        self.assertEqual(hold.state, "confirmed")
        self.assertEqual(voucher.balance, 0.0)
        self.assertEqual(voucher.state, "used")
        # The answer was lost: the till sends the very same order again.
        again = self.sync(retry)
        self.assertEqual(again, order)
        self.assertEqual(len(self.uses(voucher)), 1)
        self.assertEqual(self.uses(voucher).bill_ref, data["pos_reference"])
        self.assertEqual(self.uses(voucher).channel, "pos")
        self.assertEqual(voucher.spent_amount, 30.0)
        self.assertEqual(order.vms_receipt["payments"][0]["balance"], 0.0)
        self.assertEqual(self.env["pos.order"].search_count([("uuid", "=", data["uuid"])]), 1)

    def test_the_till_loads_no_voucher_and_no_card(self):
        self.new_voucher(20.0)
        data = self.till.with_user(self.pos_user).load_data([])
        self.assertEqual(data["vms.card"], [], "cards are looked up one by one")
        self.assertNotIn("vms.voucher", data)
        self.assertNotIn("vms.redemption", data)
        self.assertIn(
            "vms_voucher", [m["use_payment_terminal"] for m in data["pos.payment.method"]]
        )
        found = (
            self.env["vms.card"]
            .with_user(self.pos_user)
            .vms_pos_lookup(f" {self.card.number} ", self.main_pos_config.id)
        )
        self.assertEqual([c["id"] for c in found["vms.card"]], self.card.ids)
        self.assertEqual([p["id"] for p in found["res.partner"]], self.holder.ids)
        self.assertEqual(
            self.env["vms.card"]
            .with_user(self.pos_user)
            .vms_pos_lookup("2900000099995", self.main_pos_config.id),
            {},
        )

    def test_the_route_answers_refusals_as_json_and_changes_nothing(self):
        voucher = self.new_voucher(20.0)
        voucher.action_block("lost")
        data = self.order_data(self.till, [(self.desk_pad, 1, 20.0)], [])
        self.authenticate("pos_user", "pos_user")
        params = {
            "payment_method_id": self.voucher_method.id,
            "session_id": self.till.id,
            "order": self.sale_payload(data),
            "payment": {"uuid": "route-pay-1", "amount": 20.0},
            "code": voucher.code,
        }
        answer = self.make_jsonrpc_request("/vms_pos/tender/hold", params)
        self.assertEqual(answer["ok"], False)
        self.assertEqual(answer["error"]["code"], "voucher_blocked")
        for bad in ({"payment_method_id": "1"}, {"payment_method_id": 99999999}):
            answer = self.make_jsonrpc_request("/vms_pos/tender/hold", {**params, **bad})
            self.assertEqual(answer["error"]["code"], "invalid_payment_method")
        answer = self.make_jsonrpc_request("/vms_pos/tender/explode", params)
        self.assertEqual(answer["error"]["code"], "unknown_action")
        voucher.action_unblock("found")
        answer = self.make_jsonrpc_request("/vms_pos/tender/hold", params)
        self.assertEqual((answer["ok"], answer["amount"]), (True, 20.0))

    def test_a_voucher_never_pays_change(self):
        voucher = self.new_voucher(100.0)
        data = self.order_data(self.till, [(self.desk_pad, 1, 30.0)], [])
        payment_uuid, info = self.hold(self.till, data, voucher.code, 80.0)
        self.assertEqual(info["amount"], 30.0, "held at most the bill")
        # A till that sends more than the bill anyway is refused at the sync.
        other = self.order_data(self.till, [(self.desk_pad, 1, 30.0)], [])
        _uuid, first = self.hold(self.till, other, voucher.code, 20.0)
        second_uuid, second = self.hold(self.till, other, voucher.code, 20.0)
        paid = self.order_data(
            self.till,
            [(self.desk_pad, 1, 30.0)],
            [
                (self.voucher_method, 20.0, _uuid, first["transaction_id"]),
                (self.voucher_method, 20.0, second_uuid, second["transaction_id"]),
                (self.cash_method, -10.0, None, None),
            ],  # 10.00 of change in cash
            uuid=other["uuid"],
            pos_reference=other["pos_reference"],
        )
        self.refused("voucher_change", self.sync, paid)
        self.assertEqual(voucher.balance, 100.0)

    def test_a_branch_till_takes_a_voucher_of_the_head_office(self):
        """A voucher of the head office pays at a branch's till, whose user
        works in the branch alone (as Odoo's point of sale runs). Each call
        is a request of its own (the cache cleared): the till reads back the
        holds it made on the head office's voucher, to retry, release and
        confirm them at the branch."""
        branch = self.branch_of_the_shop()
        voucher_method = branch._vms_pos_setup_voucher_tender()
        till, at_branch = self.open_branch_till(
            branch, voucher_method | self.cash_method.copy({"company_id": branch.id})
        )
        method = voucher_method.with_env(at_branch)
        voucher = self.new_voucher(30.0)
        data = self.order_data(till, [(self.desk_pad, 1, 20.0)], [])
        self.env.invalidate_all()  # the voucher is not in the till's cache

        def hold(amount):
            return {
                "session_id": till.id,
                "order": self.sale_payload(data),
                "payment": {"uuid": str(uuid4()), "amount": amount, "attempt": 0},
                "code": voucher.code,
            }

        paying, dropped = hold(20.0), hold(5.0)
        line = method._vms_pos_hold(paying)
        self.env.invalidate_all()
        self.assertEqual(method._vms_pos_hold(paying), line)
        self.assertEqual((line["amount"], line["available"]), (20.0, 10.0))
        method._vms_pos_hold(dropped)
        self.env.invalidate_all()
        released = method._vms_pos_release(
            {
                "session_id": till.id,
                "order_uuid": data["uuid"],
                "payment_uuid": dropped["payment"]["uuid"],
            }
        )
        self.assertEqual(released, {"released": 1})
        self.env.invalidate_all()
        order = self.sync(
            self.with_payments(
                data, (voucher_method, 20.0, paying["payment"]["uuid"], line["transaction_id"])
            ),
            env=at_branch,
        )
        self.env.invalidate_all()
        self.assertEqual((order.company_id, order.state), (branch, "paid"))
        self.assertEqual((self.uses(voucher).store_id, voucher.balance), (branch, 10.0))
        # Holds made before a hold named its store get it on the upgrade: the
        # spent one from its chronology row, the released one from its till.
        holds = voucher.sudo().redemption_ids
        self.assertEqual(sorted(holds.mapped("state")), ["confirmed", "released"])
        self.assertEqual(holds.store_id, branch)
        self.env.cr.execute(
            "UPDATE vms_redemption SET store_id = NULL WHERE id = ANY(%s)", [holds.ids]
        )
        for module in ("vms_loyalty", "vms_pos"):
            path = file_path(f"{module}/migrations/19.0.1.4.0/post-migrate.py")
            load_script(path, f"{module}_store_of_holds").migrate(self.env.cr, "19.0.1.3.0")
        holds.invalidate_recordset()
        self.assertEqual(holds.mapped("store_id"), branch | branch)
        # The rest is held, the hold lapses and a web shop spends the rest: the
        # branch's sync saves the order and files the conflict.
        data = self.order_data(till, [(self.desk_pad, 1, 10.0)], [])
        late = hold(10.0)
        late["order"] = self.sale_payload(data)
        line = method._vms_pos_hold(late)
        self.env["vms.redemption"].browse(int(line["transaction_id"])).sudo().write(
            {"expires_at": fields.Datetime.now() - timedelta(minutes=1)}
        )
        self.env["vms.redemption"]._vms_redeem(
            voucher.code, 10.0, order_ref="WEB/1", idempotency_key="web-shop-0001", channel="api"
        )
        self.env.invalidate_all()
        order = self.sync(
            self.with_payments(
                data, (voucher_method, 10.0, late["payment"]["uuid"], line["transaction_id"])
            ),
            env=at_branch,
        )
        self.env.invalidate_all()
        self.assertEqual((order.state, order.payment_ids.vms_conflict), ("paid", True))
        conflict = self.env["vms.offline.conflict"].search([("order_id", "=", order.id)])
        self.assertEqual((conflict.kind, conflict.shortfall), ("late", 10.0))

    def test_an_order_held_at_one_till_is_paid_at_a_trusted_one(self):
        """Odoo lets a point of sale load the orders of those that trust it
        ("trusted" points of sale): the holds taken at the first till are
        released and confirmed at the second."""
        desk = self.second_till("Service Desk", self.pos_user)
        self.main_pos_config.trusted_config_ids = desk.config_id
        voucher = self.new_voucher(30.0)
        data = self.order_data(self.till, [(self.desk_pad, 2, 10.0)], [])
        kept_uuid, kept = self.hold(self.till, data, voucher.code, 20.0)
        dropped_uuid, _dropped = self.hold(self.till, data, voucher.code, 5.0)
        released = self.voucher_method.with_user(self.pos_user)._vms_pos_release(
            {"session_id": desk.id, "order_uuid": data["uuid"], "payment_uuid": dropped_uuid}
        )
        self.assertEqual(released, {"released": 1})
        paid = self.order_data(
            desk,
            [(self.desk_pad, 2, 10.0)],
            [(self.voucher_method, 20.0, kept_uuid, kept["transaction_id"])],
            uuid=data["uuid"],
            pos_reference=data["pos_reference"],
        )
        self.assertEqual(self.sync(paid).state, "paid")
        self.assertEqual(voucher.balance, 10.0)

    def test_a_retried_hold_returns_the_first_answer(self):
        voucher = self.new_voucher(40.0)
        data = self.order_data(self.till, [(self.desk_pad, 1, 25.0)], [])
        payment_uuid, first = self.hold(self.till, data, voucher.code, 25.0)
        _uuid, second = self.hold(self.till, data, voucher.code, 25.0, payment_uuid=payment_uuid)
        self.assertEqual(first["transaction_id"], second["transaction_id"])
        self.assertEqual(voucher.redemption_ids.mapped("state"), ["held"])

    def test_draft_syncs_confirm_nothing(self):
        voucher = self.new_voucher(20.0)
        data = self.order_data(self.till, [(self.desk_pad, 2, 10.0)], [])
        payment_uuid, info = self.hold(self.till, data, voucher.code, 20.0)
        payments = [(self.voucher_method, 20.0, payment_uuid, info["transaction_id"])]
        draft = self.order_data(
            self.till,
            [(self.desk_pad, 2, 10.0)],
            payments,
            uuid=data["uuid"],
            state="draft",
            pos_reference=data["pos_reference"],
        )
        order = self.sync(draft)
        self.assertEqual(order.state, "draft")
        hold = self.env["vms.redemption"].browse(int(info["transaction_id"]))
        self.assertEqual(hold.state, "held")
        self.assertEqual(voucher.balance, 20.0)
        paid = dict(copy.deepcopy(draft), state="paid", lines=[], payment_ids=[])
        self.sync(paid)
        self.assertEqual(order.state, "paid")
        self.assertEqual(hold.state, "confirmed")
        self.assertEqual(voucher.balance, 0.0)

    def test_second_till_is_refused_at_once(self):
        voucher = self.new_voucher(25.0)
        other_session = self.second_till("Second Till", self.pos_admin)
        first = self.order_data(self.till, [(self.desk_pad, 1, 25.0)], [])
        self.hold(self.till, first, voucher.code, 25.0)
        second = self.order_data(other_session, [(self.desk_pad, 1, 25.0)], [])
        error = self.refused(
            "voucher_held",
            self.hold,
            other_session,
            second,
            voucher.code,
            25.0,
            user=self.pos_admin,
        )
        self.assertIn("held by another sale", error.args[0])
        self.assertEqual(len(voucher.redemption_ids), 1)

    def test_removing_the_line_frees_the_balance(self):
        voucher = self.new_voucher(25.0)
        data = self.order_data(self.till, [(self.desk_pad, 1, 25.0)], [])
        payment_uuid, info = self.hold(self.till, data, voucher.code, 25.0)
        method = self.voucher_method.with_user(self.pos_user)
        released = method._vms_pos_release(
            {"session_id": self.till.id, "order_uuid": data["uuid"], "payment_uuid": payment_uuid}
        )
        self.assertEqual(released["released"], 1)
        hold = self.env["vms.redemption"].browse(int(info["transaction_id"]))
        self.assertEqual(hold.state, "released")
        # Another sale may now take all of it.
        other = self.order_data(self.till, [(self.desk_pad, 1, 25.0)], [])
        _uuid, again = self.hold(self.till, other, voucher.code, 25.0)
        self.assertEqual(again["amount"], 25.0)

    def test_a_deleted_draft_order_or_line_releases(self):
        voucher = self.new_voucher(30.0)
        data = self.order_data(self.till, [(self.desk_pad, 1, 10.0)], [])
        payment_uuid, info = self.hold(self.till, data, voucher.code, 10.0)
        draft = self.order_data(
            self.till,
            [(self.desk_pad, 1, 10.0)],
            [(self.voucher_method, 10.0, payment_uuid, info["transaction_id"])],
            uuid=data["uuid"],
            state="draft",
            pos_reference=data["pos_reference"],
        )
        order = self.sync(draft)
        order.with_user(self.pos_user).action_pos_order_cancel()
        self.assertEqual(voucher.redemption_ids.state, "released")
        # A line deleted from a synced draft releases its hold too.
        data2 = self.order_data(self.till, [(self.desk_pad, 1, 10.0)], [])
        payment_uuid, info = self.hold(self.till, data2, voucher.code, 10.0)
        draft2 = self.order_data(
            self.till,
            [(self.desk_pad, 1, 10.0)],
            [(self.voucher_method, 10.0, payment_uuid, info["transaction_id"])],
            uuid=data2["uuid"],
            state="draft",
            pos_reference=data2["pos_reference"],
        )
        order2 = self.sync(draft2)
        update = dict(
            copy.deepcopy(draft2), lines=[], payment_ids=[Command.delete(order2.payment_ids.id)]
        )
        self.sync(update)
        hold = self.env["vms.redemption"].browse(int(info["transaction_id"]))
        self.assertEqual(hold.state, "released")
        self.assertEqual(voucher.balance, 30.0)

    def test_closing_the_session_releases_open_holds(self):
        voucher = self.new_voucher(30.0)
        data = self.order_data(self.till, [(self.desk_pad, 1, 10.0)], [])
        self.hold(self.till, data, voucher.code, 10.0)
        self.till.post_closing_cash_details(0)
        self.till.close_session_from_ui()
        self.assertEqual(self.till.state, "closed")
        self.assertEqual(voucher.redemption_ids.state, "released")

    def test_blocked_expired_and_foreign_store_vouchers_are_refused(self):
        blocked = self.new_voucher(20.0)
        blocked.action_block("lost by the customer")
        expired = self.new_voucher(20.0)
        expired._vms_change_validity(
            self.today - timedelta(days=20), self.today - timedelta(days=1)
        )
        # A voucher of another retailer is unknown here (never a hint that it exists).
        other_company = self.env["res.company"].sudo().create({"name": "Other Retail"})
        foreign_campaign = (
            self.env["vms.campaign"]
            .sudo()
            .create(
                {
                    "name": "Elsewhere",
                    "code": "ELSE",
                    "company_id": other_company.id,
                    "state": "running",
                }
            )
        )
        foreign = (
            self.env["vms.voucher"]
            .sudo()
            .create(
                {
                    "campaign_id": foreign_campaign.id,
                    "company_id": other_company.id,
                    "nominal_amount": 20.0,
                    "state": "active",
                }
            )
        )
        data = self.order_data(self.till, [(self.desk_pad, 1, 20.0)], [])
        for voucher, code in [
            (blocked, "voucher_blocked"),
            (expired, "voucher_expired"),
            (foreign, "voucher_not_found"),
        ]:
            with self.subTest(code=code):
                self.refused(code, self.hold, self.till, data, voucher.code, 20.0)
                self.assertFalse(voucher.sudo().redemption_ids)

    def test_card_bound_and_personal_vouchers_need_their_card_and_holder(self):
        bound = self.new_voucher(
            20.0, partner_id=self.holder.id, card_id=self.card.id, card_bound=True
        )
        lines = [(self.desk_pad, 1, 20.0)]
        with_other = self.order_data(
            self.till, lines, [], card=self.other_card, partner=self.other_partner
        )
        error = self.refused("card_required", self.hold, self.till, with_other, bound.code, 20.0)
        self.assertIn("only with its own club card", error.args[0])
        with_card = self.order_data(self.till, lines, [], card=self.card, partner=self.holder)
        _uuid, info = self.hold(self.till, with_card, bound.code, 20.0)
        self.assertEqual(info["amount"], 20.0)
        personal = self.new_voucher(20.0, partner_id=self.holder.id)
        other = self.order_data(self.till, lines, [], partner=self.other_partner)
        self.refused("wrong_holder", self.hold, self.till, other, personal.code, 20.0)

    def test_bad_input_is_refused_cleanly(self):
        voucher = self.new_voucher(20.0)
        data = self.order_data(self.till, [(self.desk_pad, 1, 20.0)], [])
        method = self.voucher_method.with_user(self.pos_user)
        base = {
            "session_id": self.till.id,
            "order": self.sale_payload(data),
            "payment": {"uuid": "p-1", "amount": 20.0},
            "code": voucher.code,
        }
        cases = [
            ("invalid_amount", {"payment": {"uuid": "p-1", "amount": -5}}),
            ("invalid_amount", {"payment": {"uuid": "p-1", "amount": "20"}}),
            ("invalid_amount", {"payment": {"uuid": "p-1", "amount": float("nan")}}),
            ("code_required", {"code": ""}),
            ("invalid_code", {"code": "x" * 500}),
            (
                "invalid_code",
                {"code": voucher.code[:-1] + ("A" if voucher.code[-1] != "A" else "B")},
            ),
            ("session_closed", {"session_id": 999999}),
            ("invalid_lines", {"order": {**self.sale_payload(data), "lines": "all"}}),
        ]
        for code, change in cases:
            with self.subTest(code=code, change=change):
                self.refused(code, method._vms_pos_hold, {**base, **change})
        self.assertFalse(voucher.redemption_ids)

    def test_the_sync_rechecks_the_holds(self):
        voucher = self.new_voucher(40.0)
        other_voucher = self.new_voucher(40.0)
        data = self.order_data(self.till, [(self.desk_pad, 2, 10.0)], [])
        payment_uuid, info = self.hold(self.till, data, voucher.code, 20.0)
        other = self.order_data(self.till, [(self.desk_pad, 1, 10.0)], [])
        other_uuid, other_info = self.hold(self.till, other, other_voucher.code, 10.0)
        cases = [
            # A hold of another order, an amount changed on the line, no hold at all.
            ("hold_not_found", 20.0, payment_uuid, other_info["transaction_id"]),
            ("amount_changed", 15.0, payment_uuid, info["transaction_id"]),
            ("hold_not_found", 20.0, payment_uuid, "12345678"),
        ]
        for code, amount, uuid, tid in cases:
            with self.subTest(code=code):
                paid = self.order_data(
                    self.till,
                    [(self.desk_pad, 2, 10.0)],
                    [
                        (self.voucher_method, amount, uuid, tid),
                        (self.cash_method, 20.0 - amount, None, None),
                    ],
                    uuid=data["uuid"],
                    pos_reference=data["pos_reference"],
                )
                self.refused(code, self.sync, paid)
                self.assertFalse(self.env["pos.order"].search([("uuid", "=", data["uuid"])]))
        self.assertEqual(voucher.balance, 40.0)

    def test_an_order_changed_after_the_hold_is_checked_again(self):
        scoped_group = self.env["product.category"].create({"name": "Desks"})
        self.desk_pad.categ_id = scoped_group
        voucher = self.new_voucher(
            30.0, discount_scope="category", discount_category_id=scoped_group.id
        )
        data = self.order_data(self.till, [(self.desk_pad, 1, 20.0)], [])
        payment_uuid, info = self.hold(self.till, data, voucher.code, 20.0)
        self.assertEqual(info["amount"], 20.0)
        # The desk pad left the order after the voucher paid for it.
        changed = self.order_data(
            self.till,
            [(self.letter_tray, 1, 20.0)],
            [(self.voucher_method, 20.0, payment_uuid, info["transaction_id"])],
            uuid=data["uuid"],
            pos_reference=data["pos_reference"],
        )
        self.refused("no_eligible_items", self.sync, changed)
        self.assertEqual(voucher.balance, 30.0)
        # Same items as held: confirmed.
        same = self.order_data(
            self.till,
            [(self.desk_pad, 1, 20.0)],
            [(self.voucher_method, 20.0, payment_uuid, info["transaction_id"])],
            uuid=data["uuid"],
            pos_reference=data["pos_reference"],
        )
        self.sync(same)
        self.assertEqual(voucher.balance, 10.0)

    def test_an_expired_hold_is_taken_again_or_reported(self):
        voucher = self.new_voucher(30.0)
        data = self.order_data(self.till, [(self.desk_pad, 2, 10.0)], [])
        payment_uuid, info = self.hold(self.till, data, voucher.code, 20.0)
        hold = self.env["vms.redemption"].browse(int(info["transaction_id"]))
        hold.sudo().write({"expires_at": fields.Datetime.now() - timedelta(minutes=1)})
        paid = self.order_data(
            self.till,
            [(self.desk_pad, 2, 10.0)],
            [(self.voucher_method, 20.0, payment_uuid, info["transaction_id"])],
            uuid=data["uuid"],
            pos_reference=data["pos_reference"],
        )
        order = self.sync(paid)
        self.assertEqual(voucher.balance, 10.0, "the balance allowed: taken again")
        self.assertFalse(order.vms_note)
        self.assertEqual(order.payment_ids.transaction_id, str(voucher.redemption_ids[0].id))

        # Now spent elsewhere meanwhile: the order is saved, the conflict reported.
        data = self.order_data(self.till, [(self.desk_pad, 1, 10.0)], [])
        payment_uuid, info = self.hold(self.till, data, voucher.code, 10.0)
        hold = self.env["vms.redemption"].browse(int(info["transaction_id"]))
        hold.sudo().write({"expires_at": fields.Datetime.now() - timedelta(minutes=1)})
        self.env["vms.redemption"]._vms_redeem(
            voucher.code, 10.0, order_ref="WEB/1", idempotency_key="web-shop-0001", channel="api"
        )
        paid = self.order_data(
            self.till,
            [(self.desk_pad, 1, 10.0)],
            [(self.voucher_method, 10.0, payment_uuid, info["transaction_id"])],
            uuid=data["uuid"],
            pos_reference=data["pos_reference"],
        )
        order = self.sync(paid)
        self.assertEqual(order.state, "paid")
        self.assertTrue(order.payment_ids.vms_conflict)
        self.assertIn("could not be taken again", order.vms_note)
        self.assertEqual(voucher.spent_amount, 30.0, "nothing above the nominal")
        conflict = self.env["vms.offline.conflict"].search([("order_id", "=", order.id)])
        self.assertEqual((conflict.kind, conflict.shortfall), ("late", 10.0))
        self.assertTrue(voucher.pos_conflict_open)
        activity = conflict.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertIn(order.name, str(activity.note))
        self.assertTrue(activity.user_id.has_group("vms_loyalty.group_vms_manager"))
