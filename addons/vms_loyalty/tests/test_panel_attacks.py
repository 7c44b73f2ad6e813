import json

from odoo.tests import tagged

from .common_panel import PanelCase


@tagged("post_install", "-at_install")
class TestPanelAttacks(PanelCase):
    """A store user's panel session sending what the panel never sends:
    every answer is the panel's JSON refusal, and nothing changes."""

    def post_raw(self, route, body):
        """POST ``body`` (text) to a panel route as it comes, past the JSON encoder."""
        response = self.opener.post(
            f"{self.base_url()}/vms/panel/{route}",
            data=body.encode("utf-8", "surrogatepass"),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.assertNotIn("Traceback", response.text)
        self.assertNotIn("debug", response.json())
        return response.json()

    def assert_nothing_changed(self, voucher):
        voucher.invalidate_recordset()
        self.assertEqual(voucher.balance, 50.0)
        self.assertFalse(self.rows(voucher, "use"))
        self.assertFalse(self.env["vms.redemption"].search([("voucher_id", "=", voucher.id)]))
        self.assertFalse(
            self.env["vms.panel.redemption"].search([("reference", "=", voucher.code)])
        )

    def test_control_characters_and_lone_surrogates_are_refused_in_every_field(self):
        """A NUL cannot be stored by PostgreSQL and a lone surrogate cannot be
        encoded: either one, in any field, used to reach the database or the
        JSON encoder and answer a traceback or an HTML 500."""
        voucher = self.active_voucher(partner_id=self.partner.id)
        self.login(self.north)
        base = {"kind": "voucher", "code": voucher.code, "amount": 5, "card": self.card.number}
        hostile = [
            ("redeem", {"values": {**base, "remarks": "Receipt\x0042"}}),
            ("redeem", {"values": {**base, "remarks": "Receipt \ud800"}}),
            ("redeem", {"values": {**base, "pin": "12\ud80034"}}),
            ("redeem", {"values": {**base, "otp_id": 1, "otp_code": "\ud800"}}),
            ("redeem", {"values": {**base, "card": "29\ud800"}}),
            ("redeem", {"values": {**base, "kind": "points", "card": "2900\x00"}}),
            ("redeem", {"values": {**base, "kind": "reward_code", "code": "RW\ud800"}}),
            ("redeem", {"values": {**base, "\ud800": 1}}),
            ("lookup", {"text": voucher.code, "card": "2900\x00"}),
            ("lookup", {"text": voucher.code, "card": "2900\ud800"}),
        ]
        for number, (route, params) in enumerate(hostile):
            with self.subTest(route=route, params=repr(params)):
                if route == "redeem":
                    params["values"].update(self.redeem_values(f"hostile-{number}"))
                params["store_id"] = self.branch_1.id
                body = json.dumps({"jsonrpc": "2.0", "id": number, "params": params})
                self.refusal(self.post_raw(route, body)["result"], "invalid_payload")
        self.assert_nothing_changed(voucher)

    def test_bodies_odoo_cannot_read_are_refused_in_json(self):
        """Nesting deeper than Python's recursion limit, and ``params`` that
        is not an object, fail in Odoo's JSON-RPC dispatcher before any route
        runs: they are answered as the panel's refusal, without a traceback."""
        voucher = self.active_voucher()
        self.login(self.north)
        deep = "[" * 100_000 + "]" * 100_000
        for body in (
            '{"jsonrpc": "2.0", "id": 1, "params": {"store_id": 1, "text": %s}}' % deep,
            '{"jsonrpc": "2.0", "id": 1, "params": [1, 2]}',
            '{"jsonrpc": "2.0", "id": 1, "params": "lookup"}',
        ):
            with self.subTest(body=body[:60]):
                answer = self.post_raw("lookup", body)
                self.refusal(answer["result"], "invalid_request")
        # The session still works, and nothing changed.
        self.assertEqual(self.ok(self.panel("lookup", text=voucher.code))["balance"], 50.0)
        self.assert_nothing_changed(voucher)

    def test_numbers_out_of_any_bound_are_refused(self):
        voucher = self.active_voucher()
        self.login(self.north)
        for number, amount in enumerate(("1e999", "NaN", "-Infinity", "9" * 400, "-0")):
            with self.subTest(amount=amount):
                values = json.dumps(
                    {"kind": "voucher", "code": voucher.code, **self.redeem_values(number)}
                )
                body = '{"jsonrpc": "2.0", "id": 1, "params": {"store_id": %d, "values": %s}}' % (
                    self.branch_1.id,
                    f'{values[:-1]}, "amount": {amount}}}',
                )
                answer = self.post_raw("redeem", body)
                self.assertFalse(answer["result"]["ok"], answer)
        for store_id in ("1e999", "9" * 400, "[1]", '"1"', "true"):
            with self.subTest(store_id=store_id):
                body = '{"jsonrpc": "2.0", "id": 1, "params": {"store_id": %s, "text": "%s"}}'
                answer = self.post_raw("lookup", body % (store_id, voucher.code))
                self.assertFalse(answer["result"]["ok"], answer)
        self.assert_nothing_changed(voucher)
