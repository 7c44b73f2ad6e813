from odoo import api, fields, models, tools

from ..tools import rules
from .vms_campaign import WEEKDAY_FIELDS


class VmsCampaign(models.Model):
    """What the redemption engine needs from a campaign: its terms as the
    rules see them (cached), and whether it pays remainders out."""

    _inherit = "vms.campaign"

    remainder_as_voucher = fields.Boolean(
        string="Pay the Remainder Out as a New Voucher",
        help="When a voucher of this campaign pays part of a bill, what is left of it "
        "becomes a new voucher (linked to it as its parent, with the same terms) and the "
        "old one is used up. Handy where a voucher must be handed back whole, as on a "
        "printed receipt.",
    )

    def _vms_terms(self):
        self.ensure_one()
        return self._vms_campaign_terms(self.id)

    @api.model
    @tools.ormcache("campaign_id")
    def _vms_campaign_terms(self, campaign_id):
        # sudo: the engine checks a campaign's stores whoever asks; a store user
        # cannot see the other branches a campaign is restricted to.
        campaign = self.sudo().browse(campaign_id)
        return rules.Campaign(
            id=campaign.id,
            name=campaign.name,
            state=campaign.state,
            date_start=campaign.date_start,
            date_end=campaign.date_end,
            hour_start=campaign.hour_start,
            hour_end=campaign.hour_end,
            weekdays=tuple(campaign[name] for name in WEEKDAY_FIELDS),
            store_ids=frozenset(campaign.store_ids.ids),
            remainder_as_voucher=campaign.remainder_as_voucher,
        )

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()  # forget _vms_campaign_terms
        return result
