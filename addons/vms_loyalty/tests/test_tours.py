from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestLoyaltySettingsTour(HttpCase):
    def test_otp_settings_tour(self):
        company = self.env.ref("base.main_company")
        company.write({"vms_otp_mandatory": False, "vms_otp_min_amount": 0.0})
        self.start_tour("/odoo/settings#vms_loyalty", "vms_loyalty_otp_settings", login="admin")
        company.invalidate_recordset()
        self.assertTrue(company.vms_otp_mandatory)
        self.assertEqual(company.vms_otp_min_amount, 75.0)
