import json

from odoo import Command
from odoo.tests import tagged

from odoo.addons.vms_loyalty.exceptions import VmsError

from .common import VmsPosCase


@tagged("post_install", "-at_install")
class TestPosTenderAttacks(VmsPosCase):
    """A till session sending what the till never sends to the tender's
    routes: every answer is the tender's JSON refusal, and nothing changes."""

    def setUp(self):
        super().setUp()
        self.till = self.open_session()
        self.voucher = self.new_voucher(20.0)
        self.authenticate("pos_user", "pos_user")

    def post_raw(self, action, body):
        response = self.opener.post(
            f"{self.base_url()}/vms_pos/tender/{action}",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.assertNotIn("Traceback", response.text)
        self.assertNotIn("error", response.json(), response.text[:300])
        return response.json()["result"]

    def web_shop_hold(self):
        """A web shop's open hold of 5.00 on the voucher (no till, no uuids)."""
        return self.env["vms.redemption"]._vms_hold(
            self.voucher.code,
            5.0,
            order_ref="WEB-1",
            idempotency_key="web-shop-hold-1",
            channel="api",
        )

    def params(self, **order):
        data = self.order_data(self.till, [(self.desk_pad, 1, 20.0)], [])
        return {
            "payment_method_id": self.voucher_method.id,
            "session_id": self.till.id,
            "order": {**self.sale_payload(data), **order},
            "payment": {"uuid": "attack-pay-1", "amount": 20.0},
            "code": self.voucher.code,
        }

    def assert_nothing_changed(self):
        self.voucher.invalidate_recordset()
        self.assertEqual(self.voucher.balance, 20.0)
        self.assertFalse(self.env["vms.redemption"].search([("voucher_id", "=", self.voucher.id)]))

    def test_control_characters_and_lone_surrogates_are_refused(self):
        """A NUL (PostgreSQL refuses it) or a lone surrogate (it cannot be
        encoded) in an order's or a payment's uuid used to answer a traceback,
        or an HTML 500 when Odoo could not even encode its own error."""
        hostile = [
            ("hold", {**self.params(uuid="order\x00uuid")}),
            ("hold", {**self.params(), "payment": {"uuid": "pay\ud800", "amount": 20.0}}),
            ("hold", {**self.params(), "pin": "12\ud80034"}),
            ("release", {**self.params(), "order_uuid": "order\x00uuid"}),
            ("otp_request", {**self.params(), "order_uuid": "o\x00", "payment_uuid": "p"}),
            ("otp_verify", {**self.params(), "order_uuid": "o", "payment_uuid": "p\ud800"}),
        ]
        for number, (action, params) in enumerate(hostile):
            with self.subTest(action=action, params=repr(params)[:120]):
                body = json.dumps({"jsonrpc": "2.0", "id": number, "params": params})
                answer = self.post_raw(action, body)
                self.assertFalse(answer["ok"], answer)
                self.assertEqual(answer["error"]["code"], "invalid_payload", answer)
        self.assert_nothing_changed()

    def test_bodies_odoo_cannot_read_are_refused_in_json(self):
        deep = "[" * 100_000 + "]" * 100_000
        for body in (
            '{"jsonrpc": "2.0", "id": 1, "params": {"payment_method_id": 1, "x": %s}}' % deep,
            '{"jsonrpc": "2.0", "id": 1, "params": [1]}',
            '{"jsonrpc": "2.0", "id": 1, "params": 7}',
        ):
            with self.subTest(body=body[:60]):
                answer = self.post_raw("hold", body)
                self.assertFalse(answer["ok"], answer)
                self.assertEqual(answer["error"]["code"], "invalid_request", answer)
        # The till's session still works.
        answer = self.make_jsonrpc_request("/vms_pos/tender/hold", self.params())
        self.assertEqual((answer["ok"], answer["amount"]), (True, 20.0))

    def test_the_store_is_the_tills_not_the_cashiers_home_store(self):
        """The engine takes the store from ``env.company``; the till's routes
        get no company from the till, so that was the cashier's own default
        company. A cashier of the branch working at the main store's till
        redeemed there what only the branch accepts (and the chronology
        named the branch). The store is the till's company."""
        branch = self.env["res.company"].create(
            {"name": "Till Test Branch", "parent_id": self.company.id, "vms_code_prefix": "VMS"}
        )
        self.env.user.company_ids |= branch
        self.pos_user.write({"company_ids": [(4, branch.id)], "company_id": branch.id})
        branch_only = self.env["vms.campaign"].create(
            {
                "name": "Branch Only",
                "code": "BRONLY",
                "company_id": self.company.id,
                "state": "running",
                "store_ids": [(6, 0, branch.ids)],
            }
        )
        voucher = self.new_voucher(20.0, campaign_id=branch_only.id)
        self.assertEqual(self.till.config_id.company_id, self.company)
        answer = self.make_jsonrpc_request(
            "/vms_pos/tender/hold", {**self.params(), "code": voucher.code}
        )
        self.assertEqual(answer["error"]["code"], "wrong_store", answer)
        self.assertFalse(self.env["vms.redemption"].search([("voucher_id", "=", voucher.id)]))
        # A voucher of every store is taken, and the order's sync confirms it
        # at the till's store, which its chronology row names.
        data = self.order_data(self.till, [(self.desk_pad, 1, 20.0)], [])
        params = self.params()
        params["order"] = self.sale_payload(data)
        answer = self.make_jsonrpc_request("/vms_pos/tender/hold", params)
        self.assertTrue(answer["ok"], answer)
        data["payment_ids"] = [
            Command.create(
                {
                    "amount": 20.0,
                    "payment_method_id": self.voucher_method.id,
                    "uuid": params["payment"]["uuid"],
                    "transaction_id": answer["transaction_id"],
                    "payment_status": "done",
                }
            )
        ]
        data["amount_paid"] = 20.0
        self.assertEqual(self.sync(data).state, "paid")
        self.assertEqual(self.uses(self.voucher).store_id, self.company)

    def test_the_sync_takes_only_the_tills_own_holds(self):
        """A payment line names its hold by id, and a store's users read the
        store's holds (a web shop's, another till's). A sync naming another
        till's hold with its uuids copied, or a web shop's hold from an order
        and a payment line without uuids, is refused; the hold stays held."""
        other_till = self.second_till("Second Till", self.pos_user)
        data = self.order_data(other_till, [(self.desk_pad, 1, 10.0)], [])
        other_uuid, other_line = self.hold(other_till, data, self.voucher.code, 10.0)
        web_shop = self.web_shop_hold()
        taken = self.order_data(
            self.till,
            [(self.desk_pad, 1, 10.0)],
            [(self.voucher_method, 10.0, other_uuid, other_line["transaction_id"])],
            uuid=data["uuid"],
        )
        blank = self.order_data(
            self.till,
            [(self.desk_pad, 1, 5.0)],
            [(self.voucher_method, 5.0, None, str(web_shop.id))],
        )
        blank["uuid"] = False
        blank["payment_ids"][0][2]["uuid"] = False
        for order in (taken, blank):
            with self.subTest(order=order["pos_reference"]), self.assertRaises(VmsError) as caught:
                self.sync(order)
            self.assertEqual(caught.exception.code, "hold_not_found")
        holds = self.env["vms.redemption"].browse([int(other_line["transaction_id"]), web_shop.id])
        self.assertEqual(holds.mapped("state"), ["held", "held"])
        self.assertEqual(self.voucher.spent_amount, 0.0)

    def test_removing_a_line_without_a_uuid_frees_no_one_elses_hold(self):
        """A voucher line deleted from a draft frees the holds its till took
        for it; a line sent without a uuid named every hold without one (a web
        shop's, the panel's), in every company."""
        web_shop = self.web_shop_hold()
        draft = self.order_data(
            self.till,
            [(self.desk_pad, 1, 5.0)],
            [(self.voucher_method, 5.0, None, None)],
            state="draft",
        )
        draft["payment_ids"][0][2]["uuid"] = False
        order = self.sync(draft)
        self.assertEqual(order.state, "draft")
        self.env["pos.order"].with_user(self.pos_user).remove_from_ui([order.id])
        self.assertEqual(web_shop.state, "held")

    def test_the_release_and_otp_routes_reach_only_the_tills_own_holds(self):
        """A blank uuid named every hold without one (a web shop's); another
        till's uuids, read back through Odoo's model API, named its hold."""
        web_shop = self.web_shop_hold()
        other_till = self.second_till("Second Till", self.pos_user)
        data = self.order_data(other_till, [(self.desk_pad, 1, 10.0)], [])
        other_uuid, other_line = self.hold(other_till, data, self.voucher.code, 10.0)
        method = self.voucher_method.with_user(self.pos_user)
        with self.assertRaises(VmsError) as caught:
            method._vms_pos_release({"session_id": self.till.id, "order_uuid": " "})
        self.assertEqual(caught.exception.code, "order_required")
        taken = {"session_id": self.till.id, "order_uuid": data["uuid"], "payment_uuid": other_uuid}
        self.assertEqual(method._vms_pos_release(taken), {"released": 0})
        with self.assertRaises(VmsError) as caught:
            method._vms_pos_otp_request(taken)
        self.assertEqual(caught.exception.code, "hold_not_found")
        holds = self.env["vms.redemption"].browse([web_shop.id, int(other_line["transaction_id"])])
        self.assertEqual(holds.mapped("state"), ["held", "held"])

    def test_deleting_an_order_frees_only_its_own_tills_holds(self):
        """An order's uuid is the till's text: a cashier who read another
        till's hold (its order's uuid) synced a draft of that uuid at their
        own till and deleted it, which released the other till's hold."""
        other_till = self.second_till("Second Till", self.pos_user)
        data = self.order_data(other_till, [(self.desk_pad, 1, 10.0)], [])
        _uuid, line = self.hold(other_till, data, self.voucher.code, 10.0)
        draft = self.order_data(self.till, [(self.desk_pad, 1, 10.0)], [], uuid=data["uuid"])
        draft["state"] = "draft"
        order = self.sync(draft)
        self.env["pos.order"].with_user(self.pos_user).remove_from_ui([order.id])
        hold = self.env["vms.redemption"].browse(int(line["transaction_id"]))
        self.assertEqual(hold.state, "held")
