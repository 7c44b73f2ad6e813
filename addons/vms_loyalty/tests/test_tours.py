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


@tagged("post_install", "-at_install")
class TestVoucherBackofficeTour(HttpCase):
    def test_voucher_backoffice_tour(self):
        self.start_tour(
            "/odoo/action-vms_loyalty.action_vms_campaign",
            "vms_loyalty_voucher_backoffice",
            login="admin",
        )
        campaign = self.env["vms.campaign"].search([("code", "=", "TOUR1")])
        self.assertEqual(campaign.state, "running")
        vouchers = campaign.voucher_ids
        self.assertEqual(len(vouchers), 50)
        self.assertEqual(set(vouchers.mapped("nominal_amount")), {25.0})
        blocked = vouchers.filtered(lambda v: v.state == "blocked")
        self.assertEqual(len(blocked), 10)
        Row = self.env["vms.voucher.transaction"]
        self.assertEqual(
            Row.search_count([("voucher_id", "in", vouchers.ids), ("type", "=", "group_block")]), 10
        )
        changed = Row.search([("voucher_id", "in", vouchers.ids), ("type", "=", "change_validity")])
        self.assertEqual(len(changed), 5)
        self.assertEqual(str(changed[0].valid_to), "2030-12-31")
        self.assertFalse(changed.voucher_id & blocked)
        pdf = self.env["ir.attachment"].search(
            [("res_model", "=", "vms.voucher"), ("name", "=", "vouchers-50.pdf")]
        )
        self.assertEqual(len(pdf), 1)
        self.assertTrue(pdf.raw.startswith(b"%PDF-"))
        for voucher in vouchers[:3]:
            replay = voucher._vms_replay()
            self.assertEqual(
                (replay["state"], replay["valid_to"]), (voucher.state, voucher.valid_to)
            )
