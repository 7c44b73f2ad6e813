import json
import time
from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

from odoo.addons.sms.tests.common import MockSMS

API = "/vms/api/v1"


@tagged("post_install", "-at_install")
class TestVoucherApi(MockSMS):
    """The JSON API of vending machines, apps and web shops, over real HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write({"vms_otp_mandatory": False, "country_id": cls.env.ref("base.be").id})
        cls.machine = new_test_user(
            cls.env,
            login="vending_7",
            groups="base.group_user,vms_loyalty.group_vms_channel",
        )
        cls.clerk = new_test_user(cls.env, login="api_clerk", groups="base.group_user")
        cls.key = cls._api_key(cls.machine)
        cls.clerk_key = cls._api_key(cls.clerk)
        cls.campaign = cls.env["vms.campaign"].create(
            {"name": "API Campaign", "code": "APIC", "state": "running"}
        )
        cls.holder = cls.env["res.partner"].create(
            {"name": "Api Holder", "phone": "+32 470 11 22 33", "ref": "CUST-42"}
        )
        cls.mug = cls.env["product.product"].create(
            {"name": "Voucher Mug", "barcode": "5400000000017", "list_price": 8.0}
        )

    @classmethod
    def _api_key(cls, user):
        return cls.env["res.users.apikeys"].with_user(user).sudo()._generate(None, "test", None)

    def voucher(self, nominal=50.0, **vals):
        return self.env["vms.voucher"].create(
            {
                "campaign_id": self.campaign.id,
                "nominal_amount": nominal,
                "state": "active",
                **vals,
            }
        )

    def call(self, path, body=None, key=None, method="POST", raw=None):
        headers = {"Content-Type": "application/json"}
        if key is not False:
            headers["Authorization"] = f"Bearer {key or self.key}"
        url = API + path
        if method == "GET":
            response = self.url_open(url, headers=headers)
        else:
            data = raw if raw is not None else json.dumps(body or {})
            response = self.url_open(url, data=data, headers=headers)
        return response.status_code, response.json()

    def assertRefused(self, answer, status, code):
        self.assertEqual(answer[0], status, answer[1])
        self.assertEqual(answer[1]["error"]["code"], code, answer[1])
        self.assertTrue(answer[1]["error"]["message"])

    # ------------------------------------------------------------------

    def test_hold_confirm_release_reverse(self):
        voucher = self.voucher(50.0)
        status, hold = self.call(
            "/redemptions",
            {
                "code": voucher.code,
                "amount": "30.00",
                "order_ref": "V7/1",
                "idempotency_key": "vend-7-hold-0001",
            },
        )
        self.assertEqual(status, 200, hold)
        self.assertEqual(
            (hold["state"], hold["amount"], hold["available"]), ("held", "30.00", "20.00")
        )
        # Another channel cannot hold what is held.
        self.assertRefused(
            self.call(
                "/redemptions",
                {
                    "code": voucher.code,
                    "amount": 25,
                    "order_ref": "WEB/1",
                    "idempotency_key": "web-hold-000001",
                },
            ),
            409,
            "voucher_held",
        )
        status, confirmed = self.call(
            f"/redemptions/{hold['id']}/confirm", {"idempotency_key": "vend-7-conf-0001"}
        )
        self.assertEqual(
            (status, confirmed["state"], confirmed["balance"]), (200, "confirmed", "20.00")
        )
        # A retry of the confirmation: the same answer, nothing new.
        self.assertEqual(
            self.call(
                f"/redemptions/{hold['id']}/confirm", {"idempotency_key": "vend-7-conf-0001"}
            ),
            (200, confirmed),
        )
        use = voucher.transaction_ids.filtered(lambda r: r.type == "use")
        self.assertEqual((len(use), use.channel, use.user_id), (1, "api", self.machine))
        self.assertRefused(self.call(f"/redemptions/{hold['id']}/release"), 409, "hold_confirmed")
        status, reversed_ = self.call(
            f"/redemptions/{hold['id']}/reverse",
            {"idempotency_key": "vend-7-rev-00001", "amount": "10", "reason": "machine jam"},
        )
        self.assertEqual(
            (status, reversed_["balance"], reversed_["reversed_amount"]), (200, "30.00", "10.00")
        )
        status, other = self.call(
            "/redemptions",
            {
                "code": voucher.code,
                "amount": "5",
                "order_ref": "V7/2",
                "idempotency_key": "vend-7-hold-0002",
            },
        )
        status, released = self.call(f"/redemptions/{other['id']}/release")
        self.assertEqual(
            (status, released["state"], released["available"]), (200, "released", "30.00")
        )

    def test_redeem_in_one_call_and_voucher_lookup(self):
        voucher = self.voucher(20.0)
        body = {
            "code": voucher.code,
            "amount": 20,
            "order_ref": "V7/9",
            "idempotency_key": "vend-7-redeem-01",
        }
        status, answer = self.call("/redeem", body)
        self.assertEqual(
            (status, answer["state"], answer["voucher_state"]), (200, "confirmed", "used")
        )
        self.assertEqual(self.call("/redeem", body), (200, answer))
        self.assertRefused(
            self.call("/redeem", dict(body, idempotency_key="vend-7-redeem-02")),
            409,
            "voucher_used",
        )
        status, info = self.call(f"/vouchers/{voucher.code}", method="GET")
        self.assertEqual((status, info["state"], info["balance"]), (200, "used", "0.00"))
        self.assertRefused(self.call("/vouchers/VMSNOPE", method="GET"), 422, "invalid_code")

    def test_validate_with_lines(self):
        voucher = self.voucher(50.0)
        status, answer = self.call(
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
            self.call(
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

    def test_authentication(self):
        voucher = self.voucher()
        body = {"code": voucher.code, "amount": 1}
        self.assertRefused(self.call("/vouchers/validate", body, key=False), 401, "unauthorized")
        self.assertRefused(
            self.call("/vouchers/validate", body, key="not-a-key"), 401, "unauthorized"
        )
        self.assertRefused(
            self.call("/vouchers/validate", body, key=self.clerk_key), 403, "forbidden"
        )

    def test_revoked_key_stops_at_once(self):
        voucher = self.voucher()
        body = {"code": voucher.code, "amount": 1}
        key = self._api_key(self.machine)
        self.assertEqual(self.call("/vouchers/validate", body, key=key)[0], 200)
        self.assertEqual(self.call("/vouchers/validate", body, key=key)[0], 200)
        self.env["res.users.apikeys"].sudo().search(
            [("user_id", "=", self.machine.id), ("name", "=", "test")]
        )._remove()
        self.assertRefused(self.call("/vouchers/validate", body, key=key), 401, "unauthorized")

    def test_archived_user_and_expired_key_stop_at_once(self):
        """A verified key is cached (pbkdf2 is slow); what ends it still counts."""
        voucher = self.voucher()
        body = {"code": voucher.code, "amount": 1}
        expires_at = fields.Datetime.now() + timedelta(seconds=3)
        short = (
            self.env["res.users.apikeys"]
            .with_user(self.machine)
            .sudo()
            ._generate(None, "short", expires_at)
        )
        self.assertEqual(self.call("/vouchers/validate", body, key=short)[0], 200)
        self.assertEqual(self.call("/vouchers/validate", body)[0], 200)
        time.sleep(4)
        self.assertRefused(self.call("/vouchers/validate", body, key=short), 401, "unauthorized")
        self.machine.active = False
        self.assertRefused(self.call("/vouchers/validate", body), 401, "unauthorized")

    def test_e_voucher_pin(self):
        voucher = self.voucher(20.0)
        voucher._vms_set_pin("4711")
        voucher.write({"redeem_barcode": False, "redeem_qr": False})
        body = {
            "code": voucher.code,
            "amount": "5.00",
            "order_ref": "WEB/77",
            "idempotency_key": "web-77-pin-0001",
        }
        self.assertRefused(self.call("/redeem", body), 403, "pin_required")
        self.assertRefused(self.call("/redeem", dict(body, pin="12")), 422, "invalid_pin")
        status, answer = self.call("/redeem", dict(body, pin="0000"))
        self.assertEqual((status, answer["error"]["code"]), (403, "wrong_pin"))
        self.assertEqual(answer["error"]["attempts_left"], 4)
        status, answer = self.call("/redeem", dict(body, pin="4711"))
        self.assertEqual((status, answer["state"], answer["balance"]), (200, "confirmed", "15.00"))
        status, answer = self.call(
            "/vouchers/validate", {"code": voucher.code, "amount": 1, "pin": "4711"}
        )
        self.assertEqual((status, answer["available"]), (200, "15.00"))

    def test_bad_input_is_a_clear_4xx_and_changes_nothing(self):
        voucher = self.voucher(50.0)
        base = {"code": voucher.code, "order_ref": "V7/1", "idempotency_key": "vend-7-bad-00001"}
        cases = [
            ({**base, "amount": "-5"}, 422, "invalid_amount"),
            ({**base, "amount": "abc"}, 422, "invalid_amount"),
            ({**base, "amount": "1.001"}, 422, "invalid_amount"),
            ({**base, "amount": True}, 422, "invalid_amount"),
            ({**base, "amount": [1]}, 422, "invalid_amount"),
            ({**base, "amount": 1e400}, 422, "invalid_amount"),
            ({**base, "amount": 0}, 422, "invalid_amount"),
            ({**base, "amount": 5, "currency": "XXX"}, 422, "invalid_currency"),
            ({**base, "amount": 5, "idempotency_key": "short"}, 422, "idempotency_key_required"),
            ({**base, "amount": 5, "code": 12345}, 422, "invalid_payload"),
            ({**base, "amount": 5, "card": "NO-SUCH-CARD"}, 404, "card_not_found"),
            ({**base, "amount": 5, "code": "VMS-WRONG-CHECK"}, 422, "invalid_code"),
            ({**base, "amount": 500}, 409, "insufficient_balance"),
        ]
        # /redeem of a plain voucher takes the engine's express lane: same refusals.
        for route in ("/redemptions", "/redeem"):
            for body, status, code in cases:
                with self.subTest(route=route, body=body):
                    self.assertRefused(self.call(route, body), status, code)
        self.assertRefused(self.call("/redemptions", raw="{not json"), 400, "invalid_json")
        self.assertRefused(self.call("/redemptions", raw="[1, 2]"), 400, "invalid_json")
        self.assertRefused(
            self.call("/redemptions/999999/confirm", {"idempotency_key": "vend-7-conf-0009"}),
            404,
            "redemption_not_found",
        )
        voucher.invalidate_recordset()
        self.assertFalse(voucher.redemption_ids)
        self.assertEqual(voucher.spent_amount, 0)

    def test_otp_through_the_api(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 10.0})
        voucher = self.voucher(50.0, partner_id=self.holder.id)
        status, hold = self.call(
            "/redemptions",
            {
                "code": voucher.code,
                "amount": "40",
                "order_ref": "WEB/77",
                "idempotency_key": "web-77-hold-0001",
            },
        )
        self.assertEqual(status, 200, hold)
        self.assertRefused(
            self.call(
                f"/redemptions/{hold['id']}/confirm", {"idempotency_key": "web-77-conf-0001"}
            ),
            403,
            "otp_required",
        )
        with self.mockSMSGateway():
            status, otp = self.call(
                "/otp", {"partner_ref": "CUST-42", "amount": "40", "order_ref": "WEB/77"}
            )
        self.assertEqual(status, 200, otp)
        self.assertEqual(otp["masked_phone"], "+32*******33")
        code = self._sms[0]["body"][:6]
        self.assertNotIn(code, json.dumps(otp))
        self.assertRefused(
            self.call("/otp", {"partner_ref": "CUST-42", "amount": "40", "order_ref": "WEB/77"}),
            429,
            "otp_throttled",
        )
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        self.assertRefused(
            self.call(
                f"/redemptions/{hold['id']}/confirm",
                {"idempotency_key": "web-77-conf-0001", "otp_id": otp["otp_id"], "otp_code": wrong},
            ),
            422,
            "otp_invalid",
        )
        status, confirmed = self.call(
            f"/redemptions/{hold['id']}/confirm",
            {"idempotency_key": "web-77-conf-0001", "otp_id": otp["otp_id"], "otp_code": code},
        )
        self.assertEqual((status, confirmed["state"]), (200, "confirmed"), confirmed)

    def test_openapi_matches_the_routes(self):
        response = self.url_open(f"{API}/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = response.json()
        self.assertEqual(document["openapi"], "3.1.0")
        documented = {
            (
                method.upper(),
                API + path.replace("{id}", "<int:hold_id>").replace("{code}", "<string:code>"),
            )
            for path, item in document["paths"].items()
            for method in item
            if method in ("get", "post")
        }
        routed = set()
        for rule in self.env["ir.http"].routing_map().iter_rules():
            if rule.rule.startswith(API):
                for method in rule.methods or ():
                    if method in ("GET", "POST"):
                        routed.add((method, rule.rule))
        self.assertEqual(documented, routed)
