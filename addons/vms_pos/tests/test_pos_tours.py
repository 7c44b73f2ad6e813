from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon


@tagged("post_install", "-at_install")
class TestVmsPosTours(TestPointOfSaleHttpCommon):
    def test_sell_for_cash_and_close(self):
        """A cashier opens the till, sells a desk pad for cash and closes the session."""
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id
        self.start_pos_tour("vms_pos_sell_for_cash")
        order = self.env["pos.order"].search([("session_id", "=", session.id)])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.amount_total, 10.0)
        self.assertEqual(order.payment_ids.payment_method_id.type, "cash")
        self.assertEqual(session.state, "closed")
        self.assertEqual(self.main_pos_config.last_session_closing_cash, 10.0)
