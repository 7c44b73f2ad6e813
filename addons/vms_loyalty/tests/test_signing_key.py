import base64
import json
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.vms_loyalty.exceptions import VmsInvalid

from .common import VmsCase


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@tagged("post_install", "-at_install")
class TestSigningKey(VmsCase):
    """Signed voucher payloads: what a till trusts without the server."""

    def setUp(self):
        super().setUp()
        self.Keys = self.env["vms.signing.key"]
        self.voucher = self.new_voucher(
            nominal_amount=40.0,
            card_id=self.card.id,
            card_bound=True,
            valid_from=self.today,
            valid_to=self.days(30),
        )

    def refused_with(self, code, text):
        with self.assertRaises(VmsInvalid) as caught:
            self.Keys._vms_verify(text)
        self.assertEqual(caught.exception.code, code)

    def test_the_qr_carries_a_signed_payload_that_verifies(self):
        text = self.voucher.qr_payload
        code, payload, signature = text.split(".")
        self.assertEqual(code, self.voucher.code)
        self.assertEqual(len(unb64(signature)), 64, "IEEE P1363 r||s, as WebCrypto wants it")
        claims = self.Keys._vms_verify(text)
        self.assertEqual(claims["kid"], self.Keys._vms_current().kid)
        self.assertEqual(
            (claims["c"], claims["n"], claims["b"], claims["card"], claims["cb"], claims["co"]),
            (self.voucher.code, 40.0, 40.0, self.card.number, True, self.company.id),
        )
        self.assertEqual(claims["t"], str(self.voucher.valid_to))
        self.assertFalse(claims["pin"] or claims["h"])

    def test_the_qr_of_many_vouchers_costs_what_the_qr_of_a_few_does(self):
        """The signing key is looked up once for the vouchers read together
        (a list, a print batch), not once a voucher."""

        def queries(count):
            vouchers = self.env["vms.voucher"].browse(
                [self.new_voucher(nominal_amount=5.0).id for _ in range(count)]
            )
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            payloads = vouchers.mapped("qr_payload")
            self.assertTrue(all(p.count(".") == 2 for p in payloads), "all of them signed")
            return self.env.cr.sql_log_count - before

        queries(1)  # the first signature of the transaction reads the key's private part
        self.assertEqual(queries(20), queries(2))

    def test_a_tampered_payload_is_refused(self):
        code, payload, signature = self.voucher.qr_payload.split(".")
        claims = json.loads(unb64(payload))
        claims["b"] = 4000.0
        forged = b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        self.refused_with("payload_signature_invalid", f"{code}.{forged}.{signature}")
        # Another voucher's code on this signature, a flipped signature byte.
        other = self.new_voucher(nominal_amount=10.0)
        self.refused_with("payload_signature_invalid", f"{other.code}.{payload}.{signature}")
        raw = bytearray(unb64(signature))
        raw[5] ^= 1
        self.refused_with("payload_signature_invalid", f"{code}.{payload}.{b64(bytes(raw))}")
        self.refused_with("payload_malformed", f"{code}.{payload}")
        self.refused_with("payload_malformed", f"{code}.!!!.{signature}")

    def test_a_wrong_key_id_is_refused(self):
        claims = self.Keys._vms_voucher_claims(self.voucher)
        text = self.Keys._vms_sign_claims(claims)
        code, payload, signature = text.split(".")
        claims = json.loads(unb64(payload))
        claims["kid"] = "deadbeef"
        forged = b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        self.refused_with("payload_unknown_key", f"{code}.{forged}.{signature}")

    def test_rotation_keeps_old_keys_verifying_until_retired(self):
        old_key = self.Keys._vms_current()
        printed = self.voucher.qr_payload
        self.Keys.with_user(self.manager).action_rotate()
        new_key = self.Keys._vms_current()
        self.assertNotEqual(new_key, old_key)
        self.assertEqual(old_key.state, "verify")
        self.assertEqual(self.Keys._vms_verify(printed)["kid"], old_key.kid)
        self.voucher.invalidate_recordset(["qr_payload"])
        self.assertEqual(self.Keys._vms_verify(self.voucher.qr_payload)["kid"], new_key.kid)
        old_key.with_user(self.manager).action_retire()
        self.refused_with("payload_key_retired", printed)
        # The private key stays on the server: not even a VMS Manager reads it.
        self.assertNotIn("private_pem", new_key.with_user(self.manager).read()[0])

    def test_no_user_reads_the_private_key_through_the_model_api(self):
        """Not even an administrator: read, search_read, export or fields_get
        never give the private key, which only the server reads to sign."""
        key = self.Keys._vms_current()
        pem = key._vms_private_pem()
        self.assertIn("BEGIN PRIVATE KEY", pem)
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("base.group_system"))
        Keys = self.Keys.with_user(admin).with_context(allowed_company_ids=admin.company_id.ids)
        fields = Keys.fields_get(attributes=["type"])
        self.assertFalse([name for name in fields if "private" in name])
        plain = [name for name, field in fields.items() if "many" not in field["type"]]
        answers = [
            Keys.browse(key.id).read(),
            Keys.search_read([("id", "=", key.id)]),
            Keys.browse(key.id).export_data(plain)["datas"],
        ]
        for answer in answers:
            self.assertNotIn(pem.splitlines()[1], str(answer))
        self.assertNotIn("PRIVATE", str(answers))
        # The server signs with it, and rotation makes a new one.
        self.assertEqual(self.Keys._vms_verify(self.voucher.qr_payload)["kid"], key.kid)
        self.Keys.with_user(self.manager).action_rotate()
        new_key = self.Keys._vms_current()
        self.assertNotEqual(new_key._vms_private_pem(), pem)
        self.voucher.invalidate_recordset(["qr_payload"])
        self.assertEqual(self.Keys._vms_verify(self.voucher.qr_payload)["kid"], new_key.kid)

    def test_only_a_manager_rotates_the_keys(self):
        """Rotation is a button of the model: Odoo's model API calls it for any
        user who reads keys (every store and till user, of any company), so the
        action itself asks for the managers' right to change keys."""
        key = self.Keys._vms_current()
        count = self.Keys.sudo().search_count([])
        for user in (self.store_user, self.vms_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                key.with_user(user).action_rotate()
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                key.with_user(user).action_retire()
        self.assertEqual(self.Keys._vms_current(), key)
        self.assertEqual(self.Keys.sudo().search_count([]), count, "no key was made")
        self.assertEqual(key.state, "current")
        key.with_user(self.manager).action_rotate()
        self.assertNotEqual(self.Keys._vms_current(), key)

    def test_a_payload_expires_on_the_stores_date(self):
        """At 23:30 UTC on its last day it has already expired in Brussels,
        whatever the operator's own time zone says."""
        self.company.vms_tz = "Europe/Brussels"
        self.env.user.tz = "Pacific/Pago_Pago"
        self.voucher.sudo()._vms_change_validity(date(2026, 6, 1), date(2026, 6, 10))
        self.voucher.invalidate_recordset(["qr_payload"])
        payload = self.voucher.qr_payload
        with freeze_time("2026-06-10 21:30:00"):  # 23:30 in Brussels: still in date
            self.assertEqual(self.Keys._vms_verify(payload)["c"], self.voucher.code)
        with freeze_time("2026-06-10 23:30:00"):
            self.refused_with("payload_expired", payload)

    def test_an_expired_payload_is_refused(self):
        self.voucher.sudo()._vms_change_validity(self.days(-20), self.days(-1))
        self.voucher.invalidate_recordset(["qr_payload"])
        self.refused_with("payload_expired", self.voucher.qr_payload)
        # In date on the day it was accepted (a sync the next morning).
        claims = self.Keys._vms_verify(self.voucher.qr_payload, today=self.days(-2))
        self.assertEqual(claims["c"], self.voucher.code)
