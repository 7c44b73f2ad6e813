import json

from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_api import ApiCase


@tagged("post_install", "-at_install")
class TestPointsApi(ApiCase):
    """The points routes of the VMS API over real HTTP: the same key, error
    shape, idempotency and bounds as the voucher routes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.points_campaign = cls.env["vms.campaign"].create(
            {
                "name": "API Points",
                "code": "APIPTS",
                "kind": "points",
                "state": "running",
                "max_vouchers_per_holder": 0,
            }
        )
        Program = cls.env["vms.points.program"]
        values = {
            "point_value": 0.01,
            "digits": 0,
            "lifetime_days": 365,
            "campaign_id": cls.points_campaign.id,
        }
        cls.program = Program.search([("company_id", "=", cls.company.id)])
        if cls.program:
            cls.program.write(values)
            cls.program.rule_ids.unlink()
        else:
            cls.program = Program.create({"company_id": cls.company.id, **values})
        cls.env["vms.points.rule"].create(
            {"name": "Base", "program_id": cls.program.id, "points_per_unit": 1.0}
        )
        cls.reward = cls.env["vms.reward"].create(
            {
                "name": "API Mug",
                "code": "APIMUG",
                "reward_type": "product",
                "product_id": cls.mug.id,
                "points_cost": 300,
            }
        )
        cls.account, _card = cls.env["vms.points.account"]._vms_account_for(cls.card, create=True)
        cls.account._vms_lock()
        cls.account._vms_credit(
            1000, "earn", cls.company._vms_today().replace(year=2099), order_ref="API/SEED"
        )

    def redeem_body(self, key, **values):
        return {"card": self.card.number, "order_ref": "V7/P1", "idempotency_key": key, **values}

    def test_member_points(self):
        status, answer = self.api(f"/members/{self.card.number}/points", method="GET")
        self.assertEqual(status, 200, answer)
        self.assertEqual(
            (
                answer["points_balance"],
                answer["points_available"],
                answer["value"],
                answer["point_value"],
            ),
            ("1000", "1000", "10.00", "0.01"),
        )
        self.assertEqual(
            (answer["next_expiry_date"][:4], answer["next_expiry_points"]), ("2099", "1000")
        )
        self.assertEqual(
            (answer["card"], answer["card_state"], answer["points_decimals"]),
            (self.card.number, "active", 0),
        )
        self.assertNotIn("Api Holder", json.dumps(answer))
        self.assertRefused(
            self.api("/members/4000000000002/points", method="GET"), 404, "card_not_found"
        )
        self.assertRefused(
            self.api("/members/not-a-card/points", method="GET"), 422, "invalid_payload"
        )
        self.assertRefused(
            self.api(f"/members/{self.card.number}/points", {}), 405, "method_not_allowed"
        )
        self.assertRefused(
            self.api(f"/members/{self.card.number}/points", key=False, method="GET"),
            401,
            "unauthorized",
        )
        foreign = self.env["res.company"].create({"name": "Elsewhere Retail"})
        other = self.env["vms.card"].create(
            {"partner_id": self.holder.id, "company_id": foreign.id}
        )
        self.assertRefused(
            self.api(f"/members/{other.number}/points", method="GET"), 404, "card_not_found"
        )

    def test_redeem_points_or_an_amount(self):
        status, answer = self.api(
            "/points/redeem", self.redeem_body("vend-7-pts-0001", points="120")
        )
        self.assertEqual(status, 200, answer)
        self.assertEqual(
            (
                answer["state"],
                answer["kind"],
                answer["points"],
                answer["amount"],
                answer["points_balance"],
            ),
            ("confirmed", "points", "120", "1.20", "880"),
        )
        self.assertEqual(
            self.api("/points/redeem", self.redeem_body("vend-7-pts-0001", points="120")),
            (200, answer),
        )
        self.assertRefused(
            self.api("/points/redeem", self.redeem_body("vend-7-pts-0001", points="121")),
            422,
            "idempotency_key_reused",
        )
        status, answer = self.api(
            "/points/redeem",
            self.redeem_body(
                "vend-7-pts-0002", amount="1.50", bill_amount="9.00", order_ref="V7/P2"
            ),
        )
        self.assertEqual(
            (status, answer["points"], answer["amount"], answer["points_balance"]),
            (200, "150", "1.50", "730"),
        )
        move = self.env["vms.points.move"].sudo().search([("order_ref", "=", "V7/P2")])
        self.assertEqual(
            (move.points, move.channel, move.user_id, move.bill_amount),
            (-150, "api", self.machine, 9.0),
        )
        cases = [
            (self.redeem_body("vend-7-bad-0001", points="10", amount="1"), 422, "points_or_amount"),
            (self.redeem_body("vend-7-bad-0002"), 422, "points_required"),
            (self.redeem_body("vend-7-bad-0003", points="5000"), 409, "insufficient_points"),
            (self.redeem_body("vend-7-bad-0004", points="1.5"), 422, "invalid_points"),
            (self.redeem_body("vend-7-bad-0005", points="-5"), 422, "invalid_points"),
            (self.redeem_body("vend-7-bad-0006", points=True), 422, "invalid_points"),
            (self.redeem_body("vend-7-bad-0007", amount="0.001"), 422, "invalid_amount"),
            (
                self.redeem_body("vend-7-bad-0008", points="10", card="4000000000002"),
                404,
                "card_not_found",
            ),
            (self.redeem_body("vend-7-bad-0009", points="10", extra=1), 422, "unknown_field"),
            (
                {"order_ref": "X", "idempotency_key": "vend-7-bad-0010", "points": "1"},
                422,
                "card_required",
            ),
        ]
        for body, status, code in cases:
            with self.subTest(body=body):
                self.assertRefused(self.api("/points/redeem", body), status, code)
        self.card.action_block()
        self.assertRefused(
            self.api("/points/redeem", self.redeem_body("vend-7-bad-0011", points="1")),
            422,
            "card_blocked",
        )
        self.account.invalidate_recordset()
        self.assertEqual(self.account.points_balance, 730)

    def test_points_otp_from_the_minimum_value(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 5.0})
        body = self.redeem_body("web-77-pts-0001", points="600", order_ref="WEB/77")
        self.assertRefused(self.api("/points/redeem", body), 403, "otp_required")
        otp_body = {
            "purpose": "points",
            "card": self.card.number,
            "amount": "6.00",
            "order_ref": "WEB/77",
        }
        with self.mockSMSGateway():
            status, otp = self.api("/otp", otp_body)
        self.assertEqual(status, 200, otp)
        self.assertEqual(otp["masked_phone"], "+32*******33")
        code = self._sms[0]["body"][:6]
        self.assertNotIn(code, json.dumps(otp))
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        self.assertRefused(
            self.api(
                "/points/redeem",
                {
                    **body,
                    "idempotency_key": "web-77-pts-0002",
                    "otp_id": otp["otp_id"],
                    "otp_code": wrong,
                },
            ),
            422,
            "otp_invalid",
        )
        status, answer = self.api(
            "/points/redeem",
            {
                **body,
                "idempotency_key": "web-77-pts-0003",
                "otp_id": otp["otp_id"],
                "otp_code": code,
            },
        )
        self.assertEqual(
            (status, answer["state"], answer["points_balance"]), (200, "confirmed", "400"), answer
        )
        otp_record = self.env["vms.otp"].sudo().browse(otp["otp_id"])
        self.assertEqual((otp_record.purpose, otp_record.state), ("points_redemption", "used"))
        # The OTP route: a purpose, and what it names.
        self.assertRefused(self.api("/otp", {**otp_body, "card": None}), 422, "card_required")
        self.assertRefused(
            self.api("/otp", {"amount": "6", "order_ref": "W/1"}), 422, "code_required"
        )
        self.assertRefused(
            self.api("/otp", {**otp_body, "purpose": "cash"}), 422, "invalid_payload"
        )

    def test_convert_points_to_a_voucher(self):
        body = {"card": self.card.number, "points": "500", "idempotency_key": "app-convert-0001"}
        status, answer = self.api("/points/convert", body)
        self.assertEqual(status, 200, answer)
        self.assertEqual(
            (answer["amount"], answer["points"], answer["points_balance"]), ("5.00", "500", "500")
        )
        self.assertTrue(answer["voucher_code"])
        self.assertEqual(self.api("/points/convert", body), (200, answer))
        status, voucher = self.api(f"/vouchers/{answer['voucher_code']}", method="GET")
        self.assertEqual((status, voucher["state"], voucher["balance"]), (200, "active", "5.00"))
        self.assertEqual(voucher["valid_to"], answer["voucher_valid_to"])
        self.assertRefused(
            self.api(
                "/points/convert", {**body, "idempotency_key": "app-convert-0002", "points": "501"}
            ),
            409,
            "insufficient_points",
        )
        self.assertRefused(
            self.api(
                "/points/convert", {"card": self.card.number, "idempotency_key": "app-convert-0003"}
            ),
            422,
            "points_required",
        )

    def test_claim_and_redeem_a_reward(self):
        body = {"card": self.card.number, "reward": "APIMUG", "idempotency_key": "app-claim-0001"}
        status, claim = self.api("/rewards/claim", body)
        self.assertEqual(status, 200, claim)
        self.assertEqual(
            (claim["state"], claim["reward_state"], claim["points"]), ("held", "claimed", "300")
        )
        self.assertEqual(claim["points_available"], "700")
        self.assertEqual(self.api("/rewards/claim", body), (200, claim))
        self.assertRefused(
            self.api(
                "/rewards/claim", {**body, "reward": "NOPE", "idempotency_key": "app-claim-0002"}
            ),
            404,
            "reward_not_found",
        )
        self.assertRefused(
            self.api(
                "/rewards/claim", {**body, "reward": "not ok!", "idempotency_key": "app-claim-0003"}
            ),
            422,
            "invalid_payload",
        )
        # The claim's hold goes with its reward: the core routes leave it alone.
        for action in ("confirm", "release"):
            self.assertRefused(
                self.api(
                    f"/redemptions/{claim['id']}/{action}",
                    {"idempotency_key": f"app-claim-{action}"},
                ),
                409,
                "reward_claim_open",
            )
        code = claim["reward_code"]
        status, redeemed = self.api(
            f"/rewards/{code}/redeem", {"idempotency_key": "kiosk-rw-0001"}, self.web_key
        )
        self.assertEqual(
            (status, redeemed["state"], redeemed["reward_state"]),
            (200, "confirmed", "redeemed"),
            redeemed,
        )
        self.assertEqual(redeemed["points_balance"], "700")
        self.assertRefused(
            self.api(f"/rewards/{code}/redeem", {"idempotency_key": "kiosk-rw-0002"}, self.web_key),
            409,
            "reward_redeemed",
        )
        self.assertRefused(
            self.api("/rewards/RWNOTACODE/redeem", {"idempotency_key": "kiosk-rw-0003"}),
            422,
            "invalid_reward_code",
        )
        self.assertRefused(
            self.api("/rewards/RW!/redeem", {"idempotency_key": "kiosk-rw-0004"}),
            422,
            "invalid_payload",
        )
        self.assertRefused(self.api(f"/rewards/{code}/redeem", {}), 422, "idempotency_key_required")
        # Handed over by the web shop, the reward is not the claiming channel's
        # to give back, even with the reversal right: its points stay spent.
        self.vending.can_reverse = True
        reverse = {"idempotency_key": "app-claim-reverse", "reason": "changed my mind"}
        self.assertRefused(
            self.api(f"/redemptions/{claim['id']}/reverse", reverse),
            409,
            "reward_handed_over_elsewhere",
        )
        self.assertEqual(self.account.sudo().claim_ids.mapped("state"), ["redeemed"])

    def test_earn_through_the_api(self):
        voucher = self.voucher(10.0)
        body = {
            "card": self.card.number,
            "order_ref": "WEB/900",
            "idempotency_key": "web-earn-0001",
            "lines": [{"barcode": "5400000000017", "qty": 5, "price_unit": "8.00"}],
            "payments": [
                {"kind": "voucher", "code": voucher.code, "amount": "10.00"},
                {"kind": "other", "amount": "30.00"},
            ],
        }
        # Awarding points is a right of its own: a vending machine's key
        # (leaked or not) mints nothing, and the refusal is not remembered.
        self.assertRefused(self.api("/points/earn", body), 403, "earn_not_allowed")
        self.assertEqual(self.account._vms_summary()["points_balance"], 1000)
        self.webshop.can_earn = True
        status, answer = self.api("/points/earn", body, self.web_key)
        self.assertEqual(status, 200, answer)
        self.assertEqual((answer["points_earned"], answer["points_balance"]), ("30", "1030"))
        self.assertEqual(answer["lots"][0]["points"], "30")
        self.assertEqual(self.api("/points/earn", body, self.web_key), (200, answer))
        self.assertRefused(
            self.api("/points/earn", {**body, "idempotency_key": "web-earn-0002"}, self.web_key),
            409,
            "already_earned",
        )
        # Nor on another member's card.
        other = self.env["vms.card"].create(
            {"partner_id": self.env["res.partner"].create({"name": "Other"}).id, "state": "active"}
        )
        self.assertRefused(
            self.api(
                "/points/earn",
                {**body, "card": other.number, "idempotency_key": "web-earn-0005"},
                self.web_key,
            ),
            409,
            "already_earned",
        )
        self.webshop.can_earn = False
        self.assertRefused(
            self.api(
                "/points/earn",
                {**body, "order_ref": "WEB/902", "idempotency_key": "web-earn-0004"},
                self.web_key,
            ),
            403,
            "earn_not_allowed",
        )
        self.webshop.can_earn = True
        bad = {**body, "idempotency_key": "web-earn-0003", "order_ref": "WEB/901"}
        for change, code in (
            ({"payments": [{"kind": "gift", "amount": "1"}]}, "invalid_payload"),
            ({"payments": [{"kind": "voucher", "amount": "1"}]}, "invalid_payload"),
            ({"payments": [{"kind": "voucher", "code": "VMSNOPE", "amount": "1"}]}, "invalid_code"),
            ({"lines": [{"barcode": "000", "qty": 1, "price_unit": 1}]}, "item_not_found"),
        ):
            with self.subTest(change=change):
                self.assertRefused(
                    self.api("/points/earn", {**bad, **change}, self.web_key),
                    422 if code != "item_not_found" else 404,
                    code,
                )

    def test_each_api_caller_numbers_its_own_orders(self):
        """Two web shops (or a web shop and an app) both have an order WEB/77:
        the first to earn does not take the other's, and a replay on another
        card of one caller's order is still refused."""
        self.webshop.can_earn = self.vending.can_earn = True
        other = self.env["vms.card"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "App user"}).id,
                "state": "active",
            }
        )
        body = {
            "order_ref": "WEB/77",
            "lines": [{"barcode": "5400000000017", "qty": 1, "price_unit": "20.00"}],
            "payments": [{"kind": "other", "amount": "20.00"}],
        }
        status, first = self.api(
            "/points/earn",
            {**body, "card": self.card.number, "idempotency_key": "shop-a-77"},
            self.web_key,
        )
        self.assertEqual((status, first["points_earned"]), (200, "20"), first)
        status, second = self.api(
            "/points/earn", {**body, "card": other.number, "idempotency_key": "shop-b-77"}
        )
        self.assertEqual((status, second["points_earned"]), (200, "20"), second)
        self.assertRefused(
            self.api(
                "/points/earn",
                {**body, "card": other.number, "idempotency_key": "shop-a-77-again"},
                self.web_key,
            ),
            409,
            "already_earned",
        )

    def test_the_core_routes_act_on_points_holds(self):
        status, answer = self.api(
            "/points/redeem", self.redeem_body("vend-7-rev-0001", points="200")
        )
        self.assertEqual(status, 200, answer)
        path = f"/redemptions/{answer['id']}/reverse"
        refund = {"idempotency_key": "vend-7-rev-0002", "amount": "0.50", "reason": "jammed"}
        self.assertRefused(self.api(path, refund), 403, "reverse_not_allowed")
        self.assertRefused(self.api(path, refund, self.web_key), 404, "redemption_not_found")
        self.vending.can_reverse = True
        status, reversed_ = self.api(path, refund)
        self.assertEqual(
            (status, reversed_["points_reversed"], reversed_["points_balance"]),
            (200, "50", "850"),
            reversed_,
        )

    def test_a_channel_key_reads_no_points_through_odoos_model_api(self):
        for model in (
            "vms.points.account",
            "vms.points.move",
            "vms.points.lot",
            "vms.reward.claim",
        ):
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
