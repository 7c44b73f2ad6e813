from odoo import models


class PosConfig(models.Model):
    _inherit = "pos.config"

    def _vms_sharing_orders(self):
        """These points of sale and those they share orders with (Odoo's
        "trusted" points of sale, either way): an order held at one may be
        paid at the other, and its holds are then that till's too."""
        return (
            self | self.trusted_config_ids | self.search([("trusted_config_ids", "in", self.ids)])
        )

    def _vms_till_holds_domain(self, order_uuid):
        """The holds a till of this point of sale (or of one sharing its orders)
        took for the order ``order_uuid``. A payment line names its hold by id
        and a store's users read the store's holds (a web shop's, the panel's,
        another till's): only these are the till's to confirm, free or approve."""
        if not order_uuid:
            return [(0, "=", 1)]  # an empty uuid would name every hold without one
        return [
            ("channel", "=", "pos"),
            ("pos_session_id.config_id", "in", self._vms_sharing_orders().ids),
            ("pos_order_uuid", "=", order_uuid),
        ]
