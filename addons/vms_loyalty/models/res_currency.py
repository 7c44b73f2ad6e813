from odoo import models


class ResCurrency(models.Model):
    _inherit = "res.currency"

    def write(self, vals):
        result = super().write(vals)
        if {"rounding", "name"} & vals.keys():
            # The redemption express lane caches a company's currency.
            self.env.registry.clear_cache()
        return result
