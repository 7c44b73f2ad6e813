import logging
import re
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.sms.tests.common import MockSMS

from ..exceptions import VmsError

PURPOSE = "voucher_redemption"


def refusal(func, *args, **kwargs):
    """Call ``func`` expecting a refusal, without the savepoint assertRaises adds:
    a wrong code must cost its attempt, and a savepoint rollback would hide that."""
    try:
        func(*args, **kwargs)
    except VmsError as error:
        return error
    raise AssertionError(f"{func.__name__} was not refused")


@tagged("post_install", "-at_install")
class TestOtp(MockSMS):
    """Seed 003: a code sent to the holder's mobile approves one redemption."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.belgium = cls.env.ref("base.be")
        cls.holder = cls.env["res.partner"].create(
            {"name": "Ana Holder", "phone": "0470 12 34 56", "country_id": cls.belgium.id}
        )
        cls.Otp = cls.env["vms.otp"]

    def _request(self, amount=40.0, reference="SHOP/0001", partner=None):
        with self.mockSMSGateway():
            otp = self.Otp._vms_request(partner or self.holder, amount, reference, PURPOSE)
        self.assertEqual(len(self._sms), 1)
        code = re.match(r"(\d{6}) is your code", self._sms[0]["body"]).group(1)
        return otp, code

    def _consume(self, otp, code, amount=40.0, reference="SHOP/0001", partner=None):
        return self.Otp._vms_consume(
            otp.id,
            code,
            partner=partner or self.holder,
            amount=amount,
            reference=reference,
            purpose=PURPOSE,
        )

    def test_code_is_sent_to_the_e164_mobile_and_never_kept(self):
        with self.assertLogs(level=logging.DEBUG) as logs:
            otp, code = self._request()
        self.assertEqual(otp.phone, "+32470123456")
        self.assertEqual(self._sms[0]["number"], "+32470123456")
        self.assertEqual(otp.state, "pending")
        self.assertEqual(otp.attempts_left, 5)
        self.assertEqual(otp._vms_masked_phone(), "+32*******56")
        # The code lives nowhere but in the SMS: not in the OTP row, not in the
        # SMS queue, not in the log, not in the chatter.
        stored = " ".join(str(v) for v in otp.read()[0].values())
        self.assertNotIn(code, stored)
        self.assertNotIn(code, otp.sudo().code_hash)
        self.assertFalse(self.env["sms.sms"].sudo().search([("body", "like", code)]))
        self.assertFalse(self.env["sms.sms"].sudo().search([("number", "=", "+32470123456")]))
        self.assertFalse(self.env["mail.message"].sudo().search([("body", "like", code)]))
        self.assertFalse([line for line in logs.output if code in line])
        self.assertLessEqual(otp.expires_at, fields.Datetime.now() + timedelta(seconds=300))

    def test_right_code_approves_once(self):
        otp, code = self._request()
        self.assertEqual(self._consume(otp, code), otp)
        self.assertEqual(otp.state, "used")
        self.assertEqual(refusal(self._consume, otp, code).code, "otp_used")
        # A lower amount than approved is fine for a fresh code.
        otp2, code2 = self._request_later(seconds=31)
        self.assertEqual(self._consume(otp2, code2, amount=25.0).state, "used")

    def _request_later(self, seconds, **kwargs):
        with self.mock_datetime_and_now(fields.Datetime.now() + timedelta(seconds=seconds)):
            return self._request(**kwargs)

    def test_wrong_codes_use_up_the_attempts(self):
        otp, code = self._request()
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for left in (4, 3, 2, 1):
            error = refusal(self._consume, otp, wrong)
            self.assertEqual((error.code, error.details["attempts_left"]), ("otp_invalid", left))
            self.assertEqual(error.http_status, 422)
        error = refusal(self._consume, otp, wrong)
        self.assertEqual((error.code, error.http_status), ("otp_attempts_exhausted", 429))
        # Even the right code is refused now.
        self.assertEqual(refusal(self._consume, otp, code).code, "otp_attempts_exhausted")
        self.assertEqual(otp.state, "pending")

    def test_bound_to_holder_order_and_amount(self):
        other = self.holder.copy({"name": "Someone Else"})
        otp, code = self._request(amount=40.0)
        self.assertEqual(refusal(self._consume, otp, code, amount=40.01).code, "otp_amount_changed")
        self.assertEqual(refusal(self._consume, otp, code, partner=other).code, "otp_mismatch")
        self.assertEqual(
            refusal(self._consume, otp, code, reference="SHOP/0002").code, "otp_mismatch"
        )
        self.assertEqual(
            refusal(
                self.Otp._vms_consume,
                0,
                code,
                partner=self.holder,
                amount=1,
                reference="x",
                purpose=PURPOSE,
            ).code,
            "otp_not_found",
        )
        # None of those refusals cost an attempt or used the code.
        self.assertEqual(otp.attempts_left, 5)
        self.assertEqual(self._consume(otp, code).state, "used")

    def test_verified_at_the_till_then_used_by_the_redemption(self):
        otp, code = self._request()
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        verify = self.Otp._vms_verify
        bound = {"partner": self.holder, "amount": 40.0, "reference": "SHOP/0001"}
        error = refusal(verify, otp.id, wrong, purpose=PURPOSE, **bound)
        self.assertEqual((error.code, error.details["attempts_left"]), ("otp_invalid", 4))
        self.assertEqual(verify(otp.id, code, purpose=PURPOSE, **bound).state, "verified")
        # Verified: the redemption uses it without the code, once.
        self.assertEqual(self._consume(otp, None).state, "used")
        self.assertEqual(refusal(self._consume, otp, code).code, "otp_used")

    def test_expiry(self):
        otp, code = self._request()
        with self.mock_datetime_and_now(fields.Datetime.now() + timedelta(seconds=301)):
            self.assertEqual(refusal(self._consume, otp, code).code, "otp_expired")
        self.assertEqual(otp.state, "pending")

    def test_resend_throttle_and_hourly_cap(self):
        first, _code = self._request()
        with self.mockSMSGateway():
            error = refusal(self.Otp._vms_request, self.holder, 40.0, "SHOP/0001", PURPOSE)
        self.assertEqual((error.code, error.http_status), ("otp_throttled", 429))
        self.assertFalse(self._sms, "a throttled request sends nothing")
        second, _code = self._request_later(seconds=31)
        # A new code for the same order replaces the old one.
        self.assertEqual(first.state, "canceled")
        self.assertEqual(second.state, "pending")
        self._request_later(seconds=62)
        later = fields.Datetime.now() + timedelta(seconds=93)
        with self.mock_datetime_and_now(later), self.mockSMSGateway():
            error = refusal(self.Otp._vms_request, self.holder, 40.0, "SHOP/0001", PURPOSE)
        self.assertEqual(error.code, "otp_throttled")
        self.assertIn("per hour", error.args[0])

    def test_no_valid_mobile_is_a_clear_error(self):
        cases = {
            "no phone": False,
            "landline": "02 123 45 67",
            "garbage": "call me maybe",
        }
        for label, phone in cases.items():
            with self.subTest(label):
                partner = self.holder.copy({"name": f"Holder {label}", "phone": phone})
                with self.mockSMSGateway():
                    error = refusal(self.Otp._vms_request, partner, 10.0, "SHOP/9", PURPOSE)
                self.assertEqual(error.code, "no_valid_mobile")
                # No personal data in a refusal: channels read it.
                self.assertNotIn(partner.name, error.args[0])
                if phone:
                    self.assertNotIn(phone.split()[0], error.args[0])
                self.assertFalse(self._sms)
        self.assertFalse(self.Otp.search([("reference", "=", "SHOP/9")]))

    def test_bad_requests(self):
        with self.mockSMSGateway():
            for amount in (0, -5, None):
                with self.subTest(amount=amount):
                    error = refusal(self.Otp._vms_request, self.holder, amount, "SHOP/1", PURPOSE)
                    self.assertEqual(error.code, "invalid_amount")
            error = refusal(self.Otp._vms_request, self.holder, 5, "", PURPOSE)
            self.assertEqual(error.code, "order_ref_required")
        self.assertFalse(self._sms)

    def test_failed_sms_is_reported_and_dropped(self):
        with self.mockSMSGateway(sim_error="server_error"):
            error = refusal(self.Otp._vms_request, self.holder, 10.0, "SHOP/2", PURPOSE)
        self.assertEqual((error.code, error.http_status), ("sms_failed", 502))
        self.assertFalse(self._sms)
        self.assertNotIn("+32", error.args[0])
        self.assertNotIn("56", error.args[0])


@tagged("post_install", "-at_install")
class TestOtpAttemptsSurviveRollback(TransactionCase):
    """A wrong code is usually answered with an error, which rolls the
    request's transaction back; the attempt it cost must stay spent."""

    def test_wrong_code_is_counted_after_a_rollback(self):
        registry = self.registry
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Rollback Holder"})
            otp = env["vms.otp"].create(
                {
                    "partner_id": partner.id,
                    "phone": "+32470123456",
                    "purpose": PURPOSE,
                    "reference": "SHOP/RB",
                    "amount": 10,
                    "currency_id": env.company.currency_id.id,
                    "company_id": env.company.id,
                    "salt": "s",
                    "code_hash": env["vms.otp"]._vms_hash("s", "123456"),
                    "expires_at": fields.Datetime.now() + timedelta(minutes=5),
                    "attempts_left": 5,
                }
            )
            ids = {"otp": otp.id, "partner": partner.id}

        def cleanup():
            with registry.cursor() as cr:
                cr.execute("DELETE FROM vms_otp WHERE id = %s", [ids["otp"]])
                cr.execute("DELETE FROM res_partner WHERE id = %s", [ids["partner"]])

        self.addCleanup(cleanup)
        for _attempt in range(2):
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                error = refusal(
                    env["vms.otp"]._vms_consume,
                    ids["otp"],
                    "654321",
                    partner=env["res.partner"].browse(ids["partner"]),
                    amount=10,
                    reference="SHOP/RB",
                    purpose=PURPOSE,
                )
                self.assertEqual(error.code, "otp_invalid")
                cr.rollback()
        with registry.cursor() as cr:
            cr.execute("SELECT attempts_left, state FROM vms_otp WHERE id = %s", [ids["otp"]])
            self.assertEqual(cr.fetchone(), (3, "pending"))
