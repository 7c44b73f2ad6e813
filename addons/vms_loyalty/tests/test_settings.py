from contextlib import contextmanager

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestLoyaltySettings(TransactionCase):
    """The configuration manager: values stick per company and bad values are refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "VMS Test Retail"})
        cls.other_company = cls.env["res.company"].create({"name": "VMS Other Retail"})
        cls.settings_env = cls.env(
            context={
                "allowed_company_ids": [cls.company.id],
            }
        )

    def _settings(self, **vals):
        return self.settings_env["res.config.settings"].create(vals)

    @contextmanager
    def _refused(self, pattern):
        """Expect a ValidationError matching ``pattern``; the savepoint of
        ``assertRaises`` rolls the database back, the cache is dropped after."""
        with self.assertRaises(ValidationError) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)
        self.env.invalidate_all()

    def test_defaults(self):
        self.assertEqual(self.company.vms_code_prefix, "VMS")
        self.assertEqual(self.company.vms_code_length, 12)
        self.assertEqual(self.company.vms_barcode_format, "code128")
        self.assertFalse(self.company.vms_otp_mandatory)
        self.assertEqual(self.company.vms_max_vouchers_per_bill, 3)
        self.assertEqual(self.company.vms_max_vouchers_per_holder, 5)

    def test_settings_write_to_the_current_company_only(self):
        self._settings(
            vms_code_prefix="gift",
            vms_code_length=14,
            vms_barcode_format="qr",
            vms_otp_mandatory=True,
            vms_otp_min_amount=150.0,
            vms_max_vouchers_per_bill=2,
            vms_max_vouchers_per_holder=7,
            vms_offline_redemption=True,
            vms_offline_max_amount=25.0,
        ).execute()
        self.assertRecordValues(
            self.company,
            [
                {
                    "vms_code_prefix": "GIFT",  # normalised to capitals
                    "vms_code_length": 14,
                    "vms_barcode_format": "qr",
                    "vms_otp_mandatory": True,
                    "vms_otp_min_amount": 150.0,
                    "vms_max_vouchers_per_bill": 2,
                    "vms_max_vouchers_per_holder": 7,
                    "vms_offline_redemption": True,
                    "vms_offline_max_amount": 25.0,
                }
            ],
        )
        self.assertFalse(self.other_company.vms_otp_mandatory)
        self.assertEqual(self.other_company.vms_code_prefix, "VMS")
        # A new settings form shows what was saved.
        reloaded = self._settings()
        self.assertTrue(reloaded.vms_otp_mandatory)
        self.assertEqual(reloaded.vms_otp_min_amount, 150.0)

    def test_prefix_charset_and_length_refused(self):
        for bad in ("VM-S", "V S", "ÉTÉ", "TOOLONG1", "v_1"):
            with self.subTest(prefix=bad), self._refused("prefix"):
                self.company.vms_code_prefix = bad
                self.company.flush_recordset()
        self.assertEqual(self.company.vms_code_prefix, "VMS")

    def test_empty_prefix_allowed(self):
        self.company.vms_code_prefix = False
        self.company.flush_recordset()
        self.assertFalse(self.company.vms_code_prefix)

    def test_code_length_bounds(self):
        for bad in (0, 7, 25, -3):
            with self.subTest(length=bad), self._refused("length"):
                self._settings(vms_code_length=bad).execute()
        self.assertEqual(self.company.vms_code_length, 12)
        self.company.vms_code_length = 8
        self.company.vms_code_length = 24
        self.assertEqual(self.company.vms_code_length, 24)

    def test_negative_amounts_refused_and_nothing_changes(self):
        cases = {
            "vms_otp_min_amount": "OTP",
            "vms_offline_max_amount": "offline",
            "vms_max_vouchers_per_bill": "per bill",
            "vms_max_vouchers_per_holder": "card holder",
        }
        for field_name, message in cases.items():
            with self.subTest(field=field_name), self._refused(message):
                self._settings(vms_otp_mandatory=True, **{field_name: -1}).execute()
            self.assertFalse(self.company.vms_otp_mandatory)
            self.assertGreaterEqual(self.company[field_name], 0)

    def test_settings_section_is_rendered(self):
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="vms_loyalty"', arch)
        self.assertIn('name="vms_otp_mandatory"', arch)
        self.assertIn('name="vms_otp_min_amount"', arch)

    def test_groups_chain(self):
        manager = self.env.ref("vms_loyalty.group_vms_manager")
        user = self.env.ref("vms_loyalty.group_vms_user")
        store = self.env.ref("vms_loyalty.group_vms_store_user")
        self.assertIn(user, manager.all_implied_ids)
        self.assertIn(store, manager.all_implied_ids)
        self.assertEqual(
            manager.privilege_id.category_id, self.env.ref("vms_loyalty.module_category_vms")
        )
        self.assertTrue(self.env.ref("base.user_admin").has_group("vms_loyalty.group_vms_manager"))
