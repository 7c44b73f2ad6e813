from odoo.tests import tagged

from .common import VmsPosCase


@tagged("post_install", "-at_install")
class TestReportsTour(VmsPosCase):
    # Wide enough for every top menu of the Vouchers app: at Odoo's default
    # width, Reporting folds into the "more" dropdown the tour does not open.
    browser_size = "1920x1080"

    def test_reports_tour(self):
        """Every report opens on real figures, as pivot and as graph, and the
        redemptions print; the PDF itself is read back in the server tests."""
        session = self.open_session()
        voucher = self.new_voucher(50.0)
        data = self.order_data(session, [(self.desk_pad, 3, 10.0)], [])
        payment_uuid, info = self.hold(session, data, voucher.code, 30.0)
        self.sync(
            self.order_data(
                session,
                [(self.desk_pad, 3, 10.0)],
                [(self.voucher_method, info["amount"], payment_uuid, info["transaction_id"])],
                uuid=data["uuid"],
                pos_reference=data["pos_reference"],
            )
        )
        self.env.user.company_ids |= self.company
        # The dashboard shows the companies selected in the switcher: the
        # manager works in the store of the till.
        admin = self.env.ref("base.user_admin")
        admin.write({"company_ids": [(4, self.company.id)], "company_id": self.company.id})
        # Companies that chose their document layout print at once.
        self.env["res.company"].search([]).external_report_layout_id = self.env.ref(
            "web.external_layout_standard"
        )
        self.start_tour(
            "/odoo/action-vms_loyalty.action_vms_report_redemption_summary",
            "vms_reports",
            login="admin",
            timeout=300,  # five reports, two views each, and a PDF
        )
        prints = self.env["vms.report.redemption.print"].search([])
        self.assertTrue(prints, "the wizard was saved and printed")
