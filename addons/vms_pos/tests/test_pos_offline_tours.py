from unittest.mock import patch

from odoo import api
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import VmsPosCase

# The codes the tour types (static/tests/tours/vms_pos_offline_tours.js).
OFFLINE_CODES = {
    "small": "VMSTFFLNSMALL2F",
    "big": "VMSTFFLNBGGR22B",
    "plain": "VMSTFFLNPLAN222",
}


def has_offline_payment(orders):
    return any(
        isinstance(values.get("vms_tender"), dict) and values["vms_tender"].get("offline")
        for order in orders
        for _command, _id, values in order.get("payment_ids") or []
        if isinstance(values, dict)
    )


@tagged("post_install", "-at_install")
class TestVmsPosOfflineTours(VmsPosCase):
    """The till with the server unreachable, in headless Chromium."""

    def test_offline_voucher_pending_across_a_reload_then_confirmed_once(self):
        self.company.write(
            {
                "vms_offline_redemption": True,
                "vms_offline_max_amount": 20.0,
                "vms_offline_session_max_amount": 100.0,
            }
        )
        small = self.new_voucher(15.0, code=OFFLINE_CODES["small"])
        big = self.new_voucher(30.0, code=OFFLINE_CODES["big"])
        plain = self.new_voucher(30.0, code=OFFLINE_CODES["plain"])
        self.main_pos_config.with_user(self.pos_user).open_ui()

        # Until the tour says the connection is back, the server answers the
        # till's sync of an offline order with errors (a server restarting).
        PosOrder = self.registry["pos.order"]
        original = PosOrder.sync_from_ui
        refused = []

        @api.model
        def flaky_sync(model, orders):
            if has_offline_payment(orders) and not model.env.context.get(
                "vms_test_connection_back"
            ):
                refused.append(len(orders))
                raise UserError("The server is restarting, try again later.")
            return original(model, orders)

        with patch.object(PosOrder, "sync_from_ui", flaky_sync):
            self.start_pos_tour("vms_pos_offline_voucher")

        order = self.env["pos.order"].search(
            [("session_id", "=", self.main_pos_config.current_session_id.id)]
        )
        self.assertEqual(len(order), 1, "the order is saved once")
        payment = order.payment_ids.filtered(lambda p: p.payment_method_id == self.voucher_method)
        self.assertEqual(payment.amount, 15.0)
        self.assertEqual(payment.vms_tender["state"], "confirmed")
        self.assertEqual((small.balance, small.state), (0.0, "used"))
        uses = self.uses(small)
        self.assertEqual(len(uses), 1, "confirmed once")
        self.assertTrue(refused, "the reloaded till tried to sync while the server answered errors")
        self.assertFalse(self.env["vms.offline.conflict"].search([("order_id", "=", order.id)]))
        for untouched in big | plain:
            self.assertEqual(untouched.spent_amount, 0.0)
            self.assertFalse(untouched.redemption_ids)
