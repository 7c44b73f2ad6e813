import json
import time
import xmlrpc.client
from datetime import timedelta
from unittest.mock import patch

import psycopg2.errors

from odoo import fields
from odoo.exceptions import ConcurrencyError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.sms.tests.common import MockSMS

API = "/vms/api/v1"


class ApiCase(MockSMS):
    """A store with a vending machine and a web shop, each a VMS channel with its key."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write({"vms_otp_mandatory": False, "country_id": cls.env.ref("base.be").id})
        Channel = cls.env["vms.channel"]
        cls.vending = Channel.create({"name": "Vending 7", "kind": "vending"})
        cls.webshop = Channel.create({"name": "Web Shop", "kind": "webshop"})
        cls.machine = cls.vending.user_id
        cls.key = cls.vending._vms_generate_key("test")
        cls.web_key = cls.webshop._vms_generate_key("test")
        cls.clerk = new_test_user(cls.env, login="api_clerk", groups="base.group_user")
        # An unscoped key, as Odoo's Preferences make them.
        cls.clerk_key = cls._unscoped_key(cls.clerk)
        cls.campaign = cls.env["vms.campaign"].create(
            {"name": "API Campaign", "code": "APIC", "state": "running"}
        )
        cls.holder = cls.env["res.partner"].create(
            {"name": "Api Holder", "phone": "+32 470 11 22 33", "ref": "CUST-42"}
        )
        cls.card = cls.env["vms.card"].create({"partner_id": cls.holder.id, "state": "active"})
        cls.mug = cls.env["product.product"].create(
            {"name": "Voucher Mug", "barcode": "5400000000017", "list_price": 8.0}
        )

    @classmethod
    def _unscoped_key(cls, user):
        return cls.env["res.users.apikeys"].with_user(user).sudo()._generate(None, "rpc", None)

    def voucher(self, nominal=50.0, **vals):
        return self.env["vms.voucher"].create(
            {
                "campaign_id": self.campaign.id,
                "nominal_amount": nominal,
                "state": "active",
                **vals,
            }
        )

    def api(self, path, body=None, key=None, *, method="POST", raw=None, headers=None):
        headers = {"Content-Type": "application/json", **(headers or {})}
        if key is not False:
            headers["Authorization"] = f"Bearer {key or self.key}"
        url = API + path
        if method == "GET":
            response = self.url_open(url, headers=headers)
        elif method == "POST":
            data = raw if raw is not None else json.dumps(body or {})
            response = self.url_open(url, data=data, headers=headers)
        else:
            response = self.opener.request(
                method, self.base_url() + url, headers=headers, timeout=10
            )
        self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        return response.status_code, response.json()

    def assertRefused(self, answer, status, code):
        self.assertEqual(answer[0], status, answer[1])
        self.assertEqual(answer[1]["error"]["code"], code, answer[1])
        self.assertTrue(answer[1]["error"]["message"])

    def hold_body(self, voucher, amount, key, order_ref="V7/1", **extra):
        return {
            "code": voucher.code,
            "amount": amount,
            "order_ref": order_ref,
            "idempotency_key": key,
            **extra,
        }


@tagged("post_install", "-at_install")
class TestVoucherApi(ApiCase):
    """The JSON API of vending machines, apps and web shops, over real HTTP."""

    def test_hold_confirm_release_reverse(self):
        voucher = self.voucher(50.0)
        status, hold = self.api(
            "/redemptions", self.hold_body(voucher, "30.00", "vend-7-hold-0001")
        )
        self.assertEqual(status, 200, hold)
        self.assertEqual(
            (hold["state"], hold["amount"], hold["available"]), ("held", "30.00", "20.00")
        )
        # Another channel cannot hold what is held.
        self.assertRefused(
            self.api(
                "/redemptions",
                self.hold_body(voucher, 25, "web-hold-000001", "WEB/1"),
                self.web_key,
            ),
            409,
            "voucher_held",
        )
        status, confirmed = self.api(
            f"/redemptions/{hold['id']}/confirm", {"idempotency_key": "vend-7-conf-0001"}
        )
        self.assertEqual(
            (status, confirmed["state"], confirmed["balance"]), (200, "confirmed", "20.00")
        )
        # A retry of the confirmation: the same answer, nothing new.
        self.assertEqual(
            self.api(f"/redemptions/{hold['id']}/confirm", {"idempotency_key": "vend-7-conf-0001"}),
            (200, confirmed),
        )
        use = voucher.transaction_ids.filtered(lambda r: r.type == "use")
        self.assertEqual((len(use), use.channel, use.user_id), (1, "api", self.machine))
        self.assertRefused(self.api(f"/redemptions/{hold['id']}/release"), 409, "hold_confirmed")
        # Refunds need the reversal right, which a channel has only when granted.
        refund = {"idempotency_key": "vend-7-rev-00001", "amount": "10", "reason": "machine jam"}
        self.assertRefused(
            self.api(f"/redemptions/{hold['id']}/reverse", refund), 403, "reverse_not_allowed"
        )
        self.vending.can_reverse = True
        status, reversed_ = self.api(f"/redemptions/{hold['id']}/reverse", refund)
        self.assertEqual(
            (status, reversed_["balance"], reversed_["reversed_amount"]), (200, "30.00", "10.00")
        )
        status, other = self.api(
            "/redemptions", self.hold_body(voucher, "5", "vend-7-hold-0002", "V7/2")
        )
        status, released = self.api(
            f"/redemptions/{other['id']}/release", {"idempotency_key": "vend-7-rel-00001"}
        )
        self.assertEqual(
            (status, released["state"], released["available"]), (200, "released", "30.00")
        )
        # A key sent with a release is bound to it: the retry gets its answer,
        # another hold's release with it is refused and changes nothing.
        self.assertEqual(
            self.api(
                f"/redemptions/{other['id']}/release", {"idempotency_key": "vend-7-rel-00001"}
            ),
            (200, released),
        )
        status, third = self.api(
            "/redemptions", self.hold_body(voucher, "5", "vend-7-hold-0003", "V7/3")
        )
        self.assertRefused(
            self.api(
                f"/redemptions/{third['id']}/release", {"idempotency_key": "vend-7-rel-00001"}
            ),
            422,
            "idempotency_key_reused",
        )
        self.assertEqual(self.env["vms.redemption"].browse(third["id"]).state, "held")

    def test_a_channel_acts_on_its_own_redemptions_only(self):
        voucher = self.voucher(50.0)
        status, hold = self.api("/redemptions", self.hold_body(voucher, "10", "vend-7-own-0001"))
        self.assertEqual(status, 200, hold)
        self.webshop.can_reverse = True
        for action, body in (
            ("confirm", {"idempotency_key": "web-confirm-0001"}),
            ("release", {}),
            ("reverse", {"idempotency_key": "web-reverse-001", "reason": "x"}),
        ):
            with self.subTest(action=action):
                self.assertRefused(
                    self.api(f"/redemptions/{hold['id']}/{action}", body, self.web_key),
                    404,
                    "redemption_not_found",
                )
        voucher.invalidate_recordset()
        self.assertEqual(voucher.redemption_ids.state, "held")

    def test_redeem_in_one_call_and_voucher_lookup(self):
        voucher = self.voucher(20.0)
        body = self.hold_body(voucher, 20, "vend-7-redeem-01", "V7/9")
        status, answer = self.api("/redeem", body)
        self.assertEqual(
            (status, answer["state"], answer["voucher_state"]), (200, "confirmed", "used")
        )
        self.assertEqual(self.api("/redeem", body), (200, answer))
        self.assertRefused(
            self.api("/redeem", dict(body, idempotency_key="vend-7-redeem-02")),
            409,
            "voucher_used",
        )
        status, info = self.api(f"/vouchers/{voucher.code}", method="GET")
        self.assertEqual((status, info["state"], info["balance"]), (200, "used", "0.00"))
        self.assertRefused(self.api("/vouchers/VMSNOPE", method="GET"), 422, "invalid_code")

    def test_validate_with_lines(self):
        voucher = self.voucher(50.0)
        status, answer = self.api(
            "/vouchers/validate",
            {
                "code": voucher.code,
                "amount": "12.50",
                "currency": voucher.currency_id.name,
                "lines": [{"barcode": "5400000000017", "qty": 2, "price_unit": "6.25"}],
            },
        )
        self.assertEqual((status, answer["eligible_amount"], answer["valid"]), (200, "12.50", True))
        self.assertRefused(
            self.api(
                "/vouchers/validate",
                {
                    "code": voucher.code,
                    "amount": 1,
                    "lines": [{"barcode": "000", "qty": 1, "price_unit": 1}],
                },
            ),
            404,
            "item_not_found",
        )
        self.assertFalse(voucher.redemption_ids, "validating holds nothing")

    def test_read_routes_may_run_on_a_replica(self):
        rules = {
            rule.rule: rule.endpoint.routing
            for rule in self.env["ir.http"].routing_map().iter_rules()
            if rule.rule.startswith(API)
        }
        for path in ("/vouchers/validate", "/vouchers/<string:code>"):
            self.assertEqual(rules[API + path]["readonly"].__name__, "readonly_unless_counted")
        for path in ("/redemptions", "/redeem", "/otp", "/redemptions/<int:hold_id>/confirm"):
            self.assertFalse(rules[API + path]["readonly"], path)

    def test_terms_that_need_proof_are_refused_without_it(self):
        toys = self.env["product.category"].create({"name": "Toys"})
        self.mug.categ_id = toys
        cases = [
            (self.voucher(min_payment_amount=30.0), {}, ["bill_amount"]),
            (self.voucher(discount_scope="category", discount_category_id=toys.id), {}, ["lines"]),
            (self.voucher(partner_id=self.holder.id), {}, ["holder"]),
            (self.voucher(card_id=self.card.id, card_bound=True), {}, ["card"]),
        ]
        for index, (voucher, extra, missing) in enumerate(cases):
            for route in ("/redeem", "/redemptions"):
                with self.subTest(route=route, missing=missing):
                    status, answer = self.api(
                        route,
                        self.hold_body(voucher, "5", f"proof-{index}-{route[1:4]}-1", **extra),
                    )
                    self.assertEqual((status, answer["error"]["code"]), (422, "proof_required"))
                    self.assertEqual(answer["error"]["missing"], missing)
            voucher.invalidate_recordset()
            self.assertFalse(voucher.redemption_ids)
        proven = [
            {"bill_amount": "40"},
            {"lines": [{"barcode": "5400000000017", "qty": 1, "price_unit": "8"}]},
            {"card": self.card.number},
            {"card": self.card.number},
        ]
        for index, ((voucher, _extra, _missing), proof) in enumerate(
            zip(cases, proven, strict=True)
        ):
            with self.subTest(proof=proof):
                status, answer = self.api(
                    "/redeem", self.hold_body(voucher, "5", f"proven-{index}-key", **proof)
                )
                self.assertEqual((status, answer.get("state")), (200, "confirmed"), answer)

    def test_an_idempotency_key_belongs_to_one_request_and_one_caller(self):
        voucher, other = self.voucher(50.0), self.voucher(50.0)
        body = self.hold_body(voucher, "10", "vend-7-same-0001")
        status, first = self.api("/redeem", body)
        self.assertEqual(status, 200, first)
        for change in (
            {"amount": "11"},
            {"code": other.code},
            {"order_ref": "V7/OTHER"},
            {"card": self.card.number},
        ):
            with self.subTest(change=change):
                self.assertRefused(
                    self.api("/redeem", {**body, **change}), 422, "idempotency_key_reused"
                )
        # The same key as a hold: another request too.
        self.assertRefused(self.api("/redemptions", body), 422, "idempotency_key_reused")
        # An exact retry is answered with the first answer, even once the
        # campaign is closed for the day.
        self.campaign.action_close()
        self.assertEqual(self.api("/redeem", body), (200, first))
        self.campaign.action_reset_to_draft()
        self.campaign.action_start()
        # Another channel's same key is its own request: it neither reads nor
        # blocks the first channel's.
        status, web = self.api("/redeem", {**body, "amount": "7"}, self.web_key)
        self.assertEqual((status, web["amount"]), (200, "7.00"))
        self.assertNotEqual(web["id"], first["id"])
        voucher.invalidate_recordset()
        self.assertEqual(voucher.balance, 33.0)

    def test_authentication(self):
        voucher = self.voucher()
        body = {"code": voucher.code, "amount": 1}
        self.assertRefused(self.api("/vouchers/validate", body, key=False), 401, "unauthorized")
        self.assertRefused(
            self.api("/vouchers/validate", body, key="not-a-key"), 401, "unauthorized"
        )
        # An unscoped key (Odoo's Preferences make those) does not open the VMS API,
        # nor does a channel user's own unscoped key.
        self.assertRefused(
            self.api("/vouchers/validate", body, key=self.clerk_key), 401, "unauthorized"
        )
        self.assertRefused(
            self.api("/vouchers/validate", body, key=self._unscoped_key(self.machine)),
            401,
            "unauthorized",
        )

    def test_a_channel_key_reads_nothing_through_odoos_model_api(self):
        self.voucher()
        models = (
            "vms.voucher",
            "vms.card",
            "vms.voucher.transaction",
            "res.partner",
            "vms.redemption",
        )
        for model in models:
            with self.subTest(model=model), mute_logger("odoo.http"):
                response = self.url_open(
                    f"/json/2/{model}/search_read",
                    data=json.dumps({"domain": [], "fields": ["display_name"]}),
                    headers={
                        "Authorization": f"bearer {self.key}",
                        "Content-Type": "application/json",
                    },
                )
                self.assertEqual(response.status_code, 401, response.text)
        # Not even an unscoped key of the channel's user reads anything: it has no rights.
        unscoped = self._unscoped_key(self.machine)
        for model in models:
            with self.subTest(model=model, key="unscoped"), mute_logger("odoo.http"):
                response = self.url_open(
                    f"/json/2/{model}/search_read",
                    data=json.dumps({"domain": [], "fields": ["display_name"]}),
                    headers={
                        "Authorization": f"bearer {unscoped}",
                        "Content-Type": "application/json",
                    },
                )
                self.assertEqual(response.status_code, 403, response.text)
                self.assertNotIn("Api Holder", response.text)
        # XML-RPC takes a key as the password of an "rpc" scope: a channel's key
        # is refused, its user's unscoped key runs with no rights.
        proxy = xmlrpc.client.ServerProxy(f"{self.base_url()}/xmlrpc/2/object")
        with (
            self.allow_requests(all_requests=True),
            mute_logger("odoo.http", "odoo.addons.rpc.controllers.xmlrpc"),
        ):
            for key in (self.key, unscoped):
                for model in models:
                    with self.subTest(model=model, rpc="xmlrpc"):
                        with self.assertRaises(xmlrpc.client.Fault) as caught:
                            proxy.execute_kw(
                                self.env.cr.dbname,
                                self.machine.id,
                                key,
                                model,
                                "search_read",
                                [[]],
                                {"fields": ["display_name"]},
                            )
                        expected = "not allowed to access" if key == unscoped else "Access Denied"
                        self.assertIn(expected, caught.exception.faultString)

    def test_revoked_key_stops_at_once(self):
        voucher = self.voucher()
        body = {"code": voucher.code, "amount": 1}
        key = self.vending._vms_generate_key("revoke me")
        self.assertEqual(self.api("/vouchers/validate", body, key=key)[0], 200)
        self.assertEqual(self.api("/vouchers/validate", body, key=key)[0], 200)
        self.vending.action_revoke_keys()
        self.assertRefused(self.api("/vouchers/validate", body, key=key), 401, "unauthorized")
        self.assertRefused(self.api("/vouchers/validate", body), 401, "unauthorized")

    def test_archived_channel_and_expired_key_stop_at_once(self):
        """A verified key is cached (pbkdf2 is slow); what ends it still counts."""
        voucher = self.voucher()
        body = {"code": voucher.code, "amount": 1}
        short = self.vending._vms_generate_key(
            "short", fields.Datetime.now() + timedelta(seconds=3)
        )
        self.assertEqual(self.api("/vouchers/validate", body, key=short)[0], 200)
        self.assertEqual(self.api("/vouchers/validate", body)[0], 200)
        time.sleep(4)
        self.assertRefused(self.api("/vouchers/validate", body, key=short), 401, "unauthorized")
        self.vending.active = False
        self.assertRefused(self.api("/vouchers/validate", body), 401, "unauthorized")

    def test_e_voucher_pin(self):
        voucher = self.voucher(20.0)
        voucher._vms_set_pin("4711")
        voucher.write({"redeem_barcode": False, "redeem_qr": False})
        self.addCleanup(self._forget_pin_failures, voucher)
        body = self.hold_body(voucher, "5.00", "web-77-pin-0001", "WEB/77")
        self.assertRefused(self.api("/redeem", body), 403, "pin_required")
        self.assertRefused(self.api("/redeem", dict(body, pin="12")), 422, "invalid_payload")
        status, answer = self.api("/redeem", dict(body, pin="0000"))
        self.assertEqual((status, answer["error"]["code"]), (403, "wrong_pin"))
        self.assertEqual(answer["error"]["attempts_left"], 4)
        status, answer = self.api("/redeem", dict(body, pin="4711"))
        self.assertEqual((status, answer["state"], answer["balance"]), (200, "confirmed", "15.00"))
        status, answer = self.api(
            "/vouchers/validate", {"code": voucher.code, "amount": 1, "pin": "4711"}
        )
        self.assertEqual((status, answer["available"]), (200, "15.00"))
        # The balance of an e-voucher only with its PIN, in a header (Odoo logs URLs).
        path = f"/vouchers/{voucher.code}"
        self.assertRefused(self.api(path, method="GET"), 403, "pin_required")
        self.assertRefused(
            self.api(path, method="GET", headers={"X-Voucher-PIN": "9999"}), 403, "wrong_pin"
        )
        status, info = self.api(path, method="GET", headers={"X-Voucher-PIN": "4711"})
        self.assertEqual((status, info["balance"]), (200, "15.00"))

    def test_a_retry_is_answered_even_when_pin_entry_is_paused(self):
        voucher = self.voucher(20.0)
        voucher._vms_set_pin("4711")
        self.addCleanup(self._forget_pin_failures, voucher)
        body = self.hold_body(voucher, "5.00", "web-78-pin-0001", "WEB/78", pin="4711")
        status, first = self.api("/redeem", body)
        self.assertEqual(status, 200, first)
        # Five wrong PINs just now (the test server's requests share the test's
        # transaction, so they are written here rather than sent).
        self.env.cr.execute(
            "INSERT INTO vms_voucher_pin_failure (voucher_id, date) "
            "SELECT %s, now() at time zone 'UTC' FROM generate_series(1, 5)",
            [voucher.id],
        )
        self.assertRefused(
            self.api("/redeem", self.hold_body(voucher, "1", "web-78-new-0001", pin="4711")),
            429,
            "pin_locked",
        )
        self.assertEqual(self.api("/redeem", body), (200, first))

    def _forget_pin_failures(self, voucher):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM vms_voucher_pin_failure WHERE voucher_id = %s", [voucher.id])

    def test_bad_input_is_a_clear_4xx_and_changes_nothing(self):
        voucher = self.voucher(50.0)
        base = {"code": voucher.code, "order_ref": "V7/1", "idempotency_key": "vend-7-bad-00001"}
        cases = [
            ({**base, "amount": "-5"}, 422, "invalid_amount"),
            ({**base, "amount": "abc"}, 422, "invalid_amount"),
            ({**base, "amount": "1.001"}, 422, "invalid_amount"),
            ({**base, "amount": True}, 422, "invalid_amount"),
            ({**base, "amount": [1]}, 422, "invalid_amount"),
            ({**base, "amount": 0}, 422, "invalid_amount"),
            ({**base, "amount": "9" * 300}, 422, "invalid_amount"),
            ({**base, "amount": 5, "currency": "XXX"}, 422, "invalid_currency"),
            ({**base, "amount": 5, "currency": "eur"}, 422, "invalid_payload"),
            ({**base, "amount": 5, "idempotency_key": "short"}, 422, "invalid_payload"),
            ({**base, "amount": 5, "code": 12345}, 422, "invalid_payload"),
            ({**base, "amount": 5, "code": "VMS\u0000X"}, 422, "invalid_payload"),
            ({**base, "amount": 5, "order_ref": "V7\u00001"}, 422, "invalid_payload"),
            ({**base, "amount": 5, "card": "NO-SUCH-CARD"}, 422, "invalid_payload"),
            ({**base, "amount": 5, "card": "4000000000002"}, 404, "card_not_found"),
            ({**base, "amount": 5, "code": "VMS-WRONG-CHECK"}, 422, "invalid_code"),
            ({**base, "amount": 5, "surprise": 1}, 422, "unknown_field"),
            ({**base, "amount": 500}, 409, "insufficient_balance"),
        ]
        # /redeem of a plain voucher takes the engine's express lane: same refusals.
        for route in ("/redemptions", "/redeem"):
            for body, status, code in cases:
                with self.subTest(route=route, body=body):
                    self.assertRefused(self.api(route, body), status, code)
        hostile = [
            ("{not json", "invalid_json"),
            ("[1, 2]", "invalid_json"),
            ('{"a":' * 100_000 + "1" + "}" * 100_000, "payload_too_large"),
            ('{"a":' * 5_000 + "1" + "}" * 5_000, "invalid_json"),
            ('{"amount": 1' + "0" * 400 + "}", "invalid_json"),
            (
                '{"amount": 1e999, "code": "x", "order_ref": "x", "idempotency_key": "xxxxxxxx"}',
                "invalid_amount",
            ),
            ('{"amount": NaN}', "invalid_json"),
            (b'{"code": "\xff"}', "invalid_json"),
        ]
        for raw, code in hostile:
            with self.subTest(raw=raw[:30]):
                status, answer = self.api("/redemptions", raw=raw)
                self.assertIn(status, (400, 413, 422), answer)
                self.assertEqual(answer["error"]["code"], code)
        for path in ("/redemptions/999999/confirm", "/redemptions/99999999999999999999/confirm"):
            self.assertRefused(
                self.api(path, {"idempotency_key": "vend-7-conf-0009"}),
                404,
                "redemption_not_found",
            )
        voucher.invalidate_recordset()
        self.assertFalse(voucher.redemption_ids)
        self.assertEqual(voucher.spent_amount, 0)

    def test_unknown_routes_and_methods_answer_in_json(self):
        self.assertRefused(self.api("/no/such/route", {}), 404, "not_found")
        response = self.url_open("/vms/api")
        self.assertEqual(
            (response.status_code, response.json()["error"]["code"]), (404, "not_found")
        )
        self.assertRefused(self.api("/redeem", method="GET"), 405, "method_not_allowed")
        self.assertRefused(self.api("/redeem", method="DELETE"), 405, "method_not_allowed")
        self.assertRefused(self.api("/vouchers/X", method="PUT"), 405, "method_not_allowed")

    def test_exhausted_retries_and_key_races_answer_in_json(self):
        """Odoo's retry loop runs around the route: what escapes it is JSON too
        (our own key races are retried by Odoo, see vms.idempotency)."""
        voucher = self.voucher(50.0)
        body = self.hold_body(voucher, "5", "vend-7-busy-0001")
        Redemption = type(self.env["vms.redemption"])

        def concurrent(*args, **kwargs):
            raise ConcurrencyError("another transaction updated the voucher")

        def race(*args, **kwargs):
            raise psycopg2.errors.UniqueViolation("duplicate key value")

        for failure, code in ((concurrent, "busy"), (race, "conflict")):
            with (
                self.subTest(failure=failure.__name__),
                patch("odoo.service.model.MAX_TRIES_ON_CONCURRENCY_FAILURE", 1),
                patch.object(Redemption, "_vms_api_redeem", autospec=True, side_effect=failure),
                mute_logger("odoo.service.model", "odoo.http"),
            ):
                response = self.url_open(
                    f"{API}/redeem",
                    data=json.dumps(body),
                    headers={"Authorization": f"Bearer {self.key}"},
                )
                self.assertEqual(
                    (response.status_code, response.json()["error"]["code"]), (409, code)
                )
                # A collision retried to its end says when to come back; a database
                # rule that refuses for good does not.
                self.assertEqual("Retry-After" in response.headers, code == "busy")

    def test_no_personal_data_in_refusals(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 1.0})
        nobody = self.env["res.partner"].create({"name": "Secret Person", "phone": "not a phone"})
        voucher = self.voucher(50.0, partner_id=nobody.id)
        with self.mockSMSGateway():
            status, answer = self.api(
                "/otp", {"code": voucher.code, "amount": "5", "order_ref": "W/1"}
            )
        self.assertEqual((status, answer["error"]["code"]), (422, "no_valid_mobile"))
        self.assertNotIn("Secret", json.dumps(answer))
        self.assertNotIn("not a phone", json.dumps(answer))

    def test_otp_through_the_api(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 10.0})
        voucher = self.voucher(50.0, partner_id=self.holder.id)
        status, hold = self.api(
            "/redemptions",
            self.hold_body(voucher, "40", "web-77-hold-0001", "WEB/77", card=self.card.number),
        )
        self.assertEqual(status, 200, hold)
        self.assertRefused(
            self.api(f"/redemptions/{hold['id']}/confirm", {"idempotency_key": "web-77-conf-0001"}),
            403,
            "otp_required",
        )
        with self.mockSMSGateway():
            status, otp = self.api(
                "/otp", {"code": voucher.code, "amount": "40", "order_ref": "WEB/77"}
            )
        self.assertEqual(status, 200, otp)
        self.assertEqual(otp["masked_phone"], "+32*******33")
        code = self._sms[0]["body"][:6]
        self.assertNotIn(code, json.dumps(otp))
        self.assertRefused(
            self.api("/otp", {"code": voucher.code, "amount": "40", "order_ref": "WEB/77"}),
            429,
            "otp_throttled",
        )
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        self.assertRefused(
            self.api(
                f"/redemptions/{hold['id']}/confirm",
                {"idempotency_key": "web-77-conf-0002", "otp_id": otp["otp_id"], "otp_code": wrong},
            ),
            422,
            "otp_invalid",
        )
        status, confirmed = self.api(
            f"/redemptions/{hold['id']}/confirm",
            {"idempotency_key": "web-77-conf-0003", "otp_id": otp["otp_id"], "otp_code": code},
        )
        self.assertEqual((status, confirmed["state"]), (200, "confirmed"), confirmed)
        # A bearer voucher has nobody to send a code to.
        bearer = self.voucher(50.0)
        self.assertRefused(
            self.api("/otp", {"code": bearer.code, "amount": "40", "order_ref": "WEB/78"}),
            422,
            "otp_not_needed",
        )

    def test_openapi_matches_the_routes(self):
        response = self.url_open(f"{API}/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = response.json()
        self.assertEqual(document["openapi"], "3.1.0")
        documented = {
            API
            + path.replace("{id}", "<int:hold_id>")
            .replace("{code}", "<string:code>")
            .replace("{card}", "<string:card>")
            for path in document["paths"]
        }
        routed = {
            rule.rule
            for rule in self.env["ir.http"].routing_map().iter_rules()
            if rule.rule.startswith(API)
        }
        self.assertEqual(documented, routed)
        # Every bound the server enforces is in the document.
        redeem = document["paths"]["/redeem"]["post"]["requestBody"]["content"]["application/json"]
        schema = redeem["schema"]
        self.assertFalse(schema["additionalProperties"])
        self.assertEqual(schema["properties"]["idempotency_key"]["maxLength"], 128)
        self.assertEqual(schema["properties"]["lines"]["maxItems"], 200)
