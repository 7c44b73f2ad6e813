from odoo import fields, models


class VmsCampaign(models.Model):
    _inherit = "vms.campaign"

    remainder_as_voucher = fields.Boolean(
        string="Pay the Remainder Out as a New Voucher",
        help="When a voucher of this campaign pays part of a bill, what is left of it "
        "becomes a new voucher (linked to it as its parent) and the old one is used up. "
        "Handy where a voucher must be handed back whole, as on a printed receipt.",
    )

    def write(self, vals):
        result = super().write(vals)
        # The redemption express lane caches what it checks of a campaign.
        self.env.registry.clear_cache()
        return result
