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
