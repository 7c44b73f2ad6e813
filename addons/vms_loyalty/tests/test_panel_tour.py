from odoo.tests import tagged

from .common_panel import PanelCase

PARTIAL = "TSTPANELTURPARE"
EXPIRED = "TSTPANELTUREXPG"
UPLOADED = "TSTPANELTURUPLZ"
NORTH_ONLY = "TSTPANELTURNRTV"
REWARD = "RWPANELTURREWRDF"
PANEL = "/odoo/action-vms_loyalty.action_vms_panel"


@tagged("post_install", "-at_install")
class TestPanelTour(PanelCase):
    """The redemption panel in headless Chromium on a phone-sized, touch
    screen, as store users of two branches."""

    browser_size = "390x844"
    touch_enabled = True

    def test_partial_redemption_with_remarks_then_expired_and_mistyped(self):
        voucher = self.active_voucher(code=PARTIAL)
        expired = self.active_voucher(
            code=EXPIRED, valid_from=self.days(-30), valid_to=self.yesterday()
        )
        self.start_tour(PANEL, "vms_panel_partial", login=self.north.login)
        row = self.rows(voucher, "use")
        self.assertEqual(
            (row.amount, row.store_id, row.user_id, row.channel),
            (12.5, self.branch_1, self.north, "panel"),
        )
        record = self.env["vms.panel.redemption"].search([("reference", "=", PARTIAL)])
        self.assertEqual(record.remarks, "Receipt 7731 service desk")
        self.assertFalse(self.rows(expired, "use"))

    def test_uploaded_qr_image_is_decoded_and_redeemed(self):
        voucher = self.active_voucher(code=UPLOADED)
        self.start_tour(PANEL, "vms_panel_upload", login=self.north.login)
        voucher.invalidate_recordset()
        self.assertEqual((voucher.state, voucher.balance), ("used", 0.0))
        self.assertEqual(self.rows(voucher, "use").store_id, self.branch_1)

    def test_reward_code_is_handed_over(self):
        self.give(1000)
        hold = (
            self.env["vms.redemption"]
            .with_user(self.vms_user)
            ._vms_reward_claim(self.card, self.mug, idempotency_key="tour-claim-1", channel="api")
        )
        claim = hold.sudo().reward_claim_id
        claim.write({"code": REWARD})  # a code the tour knows
        self.start_tour(PANEL, "vms_panel_reward", login=self.north.login)
        claim.invalidate_recordset()
        self.assertEqual((claim.state, claim.redeemed_store_id), ("redeemed", self.branch_1))

    def test_other_branch_neither_redeems_nor_sees(self):
        voucher = self.active_voucher(code=NORTH_ONLY, campaign_id=self.north_only.id)
        self.login(self.north)
        values = self.redeem_values(
            "north-tour", kind="voucher", code=NORTH_ONLY, amount="5", remarks="North receipt"
        )
        self.ok(self.panel("redeem", values=values))
        self.start_tour(PANEL, "vms_panel_other_branch", login=self.south.login)
        self.assertEqual(len(self.rows(voucher, "use")), 1)
