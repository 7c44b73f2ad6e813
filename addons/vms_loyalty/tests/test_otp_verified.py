from odoo.tests import tagged

from odoo.addons.sms.tests.common import MockSMS

from .test_otp import refusal
from .test_redemption import RedemptionCase

PURPOSE = "voucher_redemption"


@tagged("post_install", "-at_install")
class TestOtpVerified(MockSMS, RedemptionCase):
    """A code checked at once at the till approves the order's confirmations."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "vms_otp_mandatory": True,
                "vms_otp_min_amount": 25.0,
                "country_id": cls.env.ref("base.be").id,
            }
        )
        cls.partner.phone = "+32 470 99 88 77"
        cls.Otp = cls.env["vms.otp"].with_user(cls.store_user)

    def request(self, amount, reference="POS/0001"):
        with self.mockSMSGateway():
            otp = self.Otp._vms_request(self.partner, amount, reference, PURPOSE)
        return otp, self._sms[-1]["body"][:6]

    def verify(self, otp, code, amount, reference="POS/0001"):
        return self.Otp._vms_verify(
            otp.id,
            code,
            partner=self.partner,
            amount=amount,
            reference=reference,
            purpose=PURPOSE,
        )

    def test_a_verified_code_approves_the_holds_of_its_order_up_to_its_amount(self):
        voucher = self.new_voucher(state="active", nominal_amount=100.0, partner_id=self.partner.id)
        first = self.hold(voucher, 30.0, "split-key-0001")
        second = self.hold(voucher, 30.0, "split-key-0002")
        otp, code = self.request(60.0)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        self.assertEqual(refusal(self.verify, otp, wrong, 60.0).code, "otp_invalid")
        self.assertEqual(otp.state, "pending")
        self.assertEqual(self.verify(otp, code, 60.0), otp)
        self.assertEqual(otp.state, "verified")
        self.assertTrue(otp.verified_at)
        self.assertEqual(refusal(self.verify, otp, code, 60.0).code, "otp_used")
        first._vms_confirm("split-confirm-1", verified_otp=otp)
        second._vms_confirm("split-confirm-2", verified_otp=otp)
        self.assertEqual((first.state, second.state), ("confirmed", "confirmed"))
        self.assertEqual((first.sudo().otp_id, second.sudo().otp_id), (otp, otp))
        # Its 60.00 are used up: a third hold of the order is not approved by it.
        third = self.hold(voucher, 25.0, "split-key-0003")
        error = refusal(third._vms_confirm, "split-confirm-3", verified_otp=otp)
        self.assertEqual(error.code, "otp_amount_changed")
        self.assertEqual(voucher.spent_amount, 60.0)

    def test_a_verified_code_is_for_its_holder_and_order_only(self):
        voucher = self.new_voucher(state="active", nominal_amount=100.0, partner_id=self.partner.id)
        other_order = self.hold(voucher, 30.0, "other-key-0001", order_ref="POS/0002")
        otp, code = self.request(30.0)
        error = refusal(other_order._vms_confirm, "other-confirm-1", verified_otp=otp)
        self.assertEqual(error.code, "otp_not_verified")
        self.verify(otp, code, 30.0)
        error = refusal(other_order._vms_confirm, "other-confirm-1", verified_otp=otp)
        self.assertEqual(error.code, "otp_mismatch")
        someone = self.new_voucher(
            state="active", nominal_amount=100.0, partner_id=self.partner_2.id
        )
        theirs = self.hold(someone, 30.0, "other-key-0002")
        self.assertEqual(
            refusal(theirs._vms_confirm, "other-confirm-2", verified_otp=otp).code, "otp_mismatch"
        )
        self.assertEqual(other_order.state, "held")

    def test_the_otp_goes_to_the_vouchers_own_holder_and_bearer_vouchers_need_none(self):
        bearer = self.new_voucher(state="active", nominal_amount=100.0)
        hold = self.hold(bearer, 60.0, "bearer-key-0001", card=self.card)
        hold._vms_confirm("bearer-confirm-1")
        self.assertEqual(hold.state, "confirmed", "a bearer voucher belongs to nobody")
        card_voucher = self.new_voucher(state="active", nominal_amount=100.0, card_id=self.card.id)
        hold = self.hold(card_voucher, 60.0, "card-key-0001", card=self.card)
        self.assertEqual(hold._vms_otp_holder(), self.partner, "the card's own holder")
        self.assertEqual(refusal(hold._vms_confirm, "card-confirm-1").code, "otp_required")
