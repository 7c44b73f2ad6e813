"""Attacks on the VMS API a review found, each answered as the trust boundary
requires (DESIGN.md): a retried request, an OTP rule per store, proof at
confirmation, personal data in refusals, discount vouchers held twice."""

from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import ConcurrencyError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_api import ApiCase


@tagged("post_install", "-at_install")
class TestApiAttacks(ApiCase):
    def test_retried_request_keeps_its_body(self):
        """Odoo retries a request after a serialization failure; the retry must
        see the same body (it reads an empty one: 422 code_required)."""
        voucher = self.voucher(50.0)
        Redemption = type(self.env["vms.redemption"])
        original = Redemption._vms_api_redeem
        calls = []

        def flaky(this, values):
            calls.append(values)
            if len(calls) == 1:
                raise ConcurrencyError("lost a race with another till")
            return original(this, values)

        with (
            patch.object(Redemption, "_vms_api_redeem", autospec=True, side_effect=flaky),
            patch("odoo.service.model.random.uniform", return_value=0.0),
            mute_logger("odoo.service.model"),
        ):
            status, answer = self.api("/redeem", self.hold_body(voucher, "5", "retry-body-0001"))
        self.assertEqual(status, 200, answer)

    def test_branch_express_lane_applies_the_same_otp_rule(self):
        """A parent-company voucher with a holder, OTP mandatory at the parent:
        the branch's /redeem (express lane) must refuse like hold+confirm does."""
        branch = self.env["res.company"].create(
            {"name": "Review Branch", "parent_id": self.company.id}
        )
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 1.0})
        channel = self.env["vms.channel"].create({"name": "Branch kiosk", "company_id": branch.id})
        key = channel._vms_generate_key("t")
        voucher = self.voucher(50.0, partner_id=self.holder.id)
        body = self.hold_body(voucher, "10", "branch-otp-0001", card=self.card.number)
        status, hold = self.api("/redemptions", body, key)
        self.assertRefused(
            self.api(
                f"/redemptions/{hold['id']}/confirm", {"idempotency_key": "branch-otp-c001"}, key
            ),
            403,
            "otp_required",
        )
        self.assertRefused(
            self.api("/redeem", dict(body, idempotency_key="branch-otp-0002"), key),
            403,
            "otp_required",
        )

    def test_otp_is_not_sent_for_a_voucher_that_cannot_be_spent_here(self):
        self.company.write({"vms_otp_mandatory": True, "vms_otp_min_amount": 1.0})
        voucher = self.voucher(50.0, partner_id=self.holder.id)
        voucher.action_block("stolen")
        with self.mockSMSGateway():
            status, answer = self.api(
                "/otp", {"code": voucher.code, "amount": "5", "order_ref": "W/9"}
            )
        self.assertEqual(
            (status, answer.get("error", {}).get("code")), (422, "voucher_blocked"), answer
        )
        self.assertFalse(self._sms)

    def test_no_holder_name_in_a_refusal(self):
        campaign = self.env["vms.campaign"].create(
            {
                "name": "Remainders",
                "code": "REMREV",
                "state": "running",
                "remainder_as_voucher": True,
            }
        )
        family_card = self.env["vms.card"].create({"partner_id": self.holder.id, "state": "active"})
        voucher = self.voucher(
            50.0, campaign_id=campaign.id, partner_id=self.holder.id, card_id=family_card.id
        )
        other = self.env["res.partner"].create({"name": "Someone Else"})
        family_card.partner_id = other  # the card goes to another member of the family
        status, answer = self.api(
            "/redeem", self.hold_body(voucher, "10", "pii-rem-0001", card=self.card.number)
        )
        self.assertNotIn("Api Holder", str(answer))
        self.assertNotIn(family_card.number, str(answer))

    def test_a_blocked_card_does_not_confirm_its_hold(self):
        voucher = self.voucher(
            50.0, partner_id=self.holder.id, card_id=self.card.id, card_bound=True
        )
        status, hold = self.api(
            "/redemptions", self.hold_body(voucher, "40", "blocked-card-01", card=self.card.number)
        )
        self.assertEqual(status, 200, hold)
        self.card.action_block()
        status, answer = self.api(
            f"/redemptions/{hold['id']}/confirm", {"idempotency_key": "blocked-card-c1"}
        )
        self.assertNotEqual(status, 200, answer)

    def test_a_held_discount_voucher_is_not_held_twice(self):
        voucher = self.voucher(
            0.0, value_type="discount", discount_type="percent", discount_value=20
        )
        status, first = self.api("/redemptions", self.hold_body(voucher, "50", "disc-hold-0001"))
        self.assertEqual(status, 200, first)
        self.assertRefused(
            self.api(
                "/redemptions",
                self.hold_body(voucher, "50", "disc-hold-0002", "WEB/2"),
                self.web_key,
            ),
            409,
            "voucher_held",
        )

    def test_exact_retry_answered_after_an_item_is_archived(self):
        voucher = self.voucher(50.0)
        body = self.hold_body(
            voucher,
            "5",
            "retry-item-0001",
            lines=[{"barcode": self.mug.barcode, "qty": 1, "price_unit": "8"}],
        )
        first = self.api("/redeem", body)
        self.assertEqual(first[0], 200, first)
        self.mug.active = False
        self.assertEqual(self.api("/redeem", body), first)

    def test_bill_amount_off_the_grid_is_refused(self):
        voucher = self.voucher(50.0, min_payment_amount=20.0)
        status, answer = self.api(
            "/vouchers/validate", {"code": voucher.code, "amount": "5", "bill_amount": "19.995"}
        )
        self.assertEqual(
            (status, answer.get("error", {}).get("code")), (422, "invalid_amount"), answer
        )

    def test_a_key_of_another_request_never_makes_the_same_row_key(self):
        self.campaign.remainder_as_voucher = True
        first, second = self.voucher(50.0), self.voucher(50.0)
        status, answer = self.api("/redeem", self.hold_body(first, "10", "shared-key:remainder"))
        self.assertEqual(status, 200, answer)
        status, answer = self.api("/redeem", self.hold_body(second, "10", "shared-key"))
        self.assertEqual((status, bool(answer.get("remainder_code"))), (200, True), answer)

    def test_the_lookup_and_validate_count_the_same_day(self):
        self.company.vms_tz = "Pacific/Kiritimati"  # UTC+14: tomorrow already, often
        yesterday = self.company._vms_today() - timedelta(days=1)
        voucher = self.voucher(50.0, valid_to=yesterday)
        status, info = self.api(f"/vouchers/{voucher.code}", method="GET")
        self.assertEqual((status, info["expired"]), (200, True), info)
        self.assertRefused(
            self.api("/vouchers/validate", {"code": voucher.code, "amount": "5"}),
            422,
            "voucher_expired",
        )

    def test_a_key_with_a_control_character_is_unknown(self):
        voucher = self.voucher(50.0)
        body = {
            "code": voucher.code,
            "amount": "1",
            "order_ref": "V7/N",
            "idempotency_key": "nul-key-1",
        }
        for key in ("\x00" + self.key[1:], self.key[:4] + "\x00" + self.key[5:], "\x7f" * 12):
            for route in ("/redeem", "/vouchers/validate"):
                with self.subTest(route=route, key=repr(key[:6])):
                    self.assertRefused(self.api(route, body, key=key), 401, "unauthorized")
            with self.subTest(route="GET", key=repr(key[:6])):
                self.assertRefused(
                    self.api(f"/vouchers/{voucher.code}", method="GET", key=key),
                    401,
                    "unauthorized",
                )
        self.assertFalse(voucher.spent_amount)

    def test_a_huge_body_is_refused_unread(self):
        raw = '{"code": "' + "A" * (2 * 1024 * 1024) + '"}'
        for route in ("/vouchers/validate", "/redeem"):
            with self.subTest(route=route):
                self.assertRefused(self.api(route, raw=raw, key=False), 401, "unauthorized")
                self.assertRefused(self.api(route, raw=raw), 413, "payload_too_large")
