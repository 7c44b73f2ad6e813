from odoo import _, api, models
from odoo.exceptions import UserError

from odoo.addons.vms_loyalty.tools import codes


class VmsCard(models.Model):
    """Club cards at the till: looked up one by one, never loaded in bulk."""

    _name = "vms.card"
    _inherit = ["vms.card", "pos.load.mixin"]

    @api.model
    def _load_pos_data_domain(self, data, config):
        return False  # a store may have a million cards: the till asks for the one scanned

    @api.model
    def _load_pos_data_fields(self, config):
        return ["id", "number", "partner_id", "state", "company_id"]

    @api.model
    def vms_pos_lookup(self, number, config_id):
        """The card with this number for the till of ``config_id``, with its holder.

        Returns POS data (``vms.card`` and ``res.partner``), or ``{}`` when no
        card has this number, so the till can try the code as a voucher.
        """
        if not isinstance(number, str) or not 1 <= len(number) <= 40:
            raise UserError(_("A club card number is 8 to 19 digits."))
        config = self.env["pos.config"].browse(config_id if isinstance(config_id, int) else 0)
        if not config.exists():
            raise UserError(_("Unknown point of sale."))
        config.check_access("read")
        store = config.company_id
        card = self.search(
            [
                ("number", "=", codes.normalize(number)),
                ("company_id", "in", (store | store.parent_ids).ids),
            ],
            limit=1,
        )
        if not card:
            return {}
        if card.state == "blocked":
            raise UserError(_("Club card %(number)s is blocked.", number=card.number))
        partner = card.partner_id
        return {
            "vms.card": self._load_pos_data_read(card, config),
            "res.partner": self.env["res.partner"]._load_pos_data_read(partner, config)
            if partner
            else [],
        }

    @api.model
    def vms_pos_cards_of(self, partner_id, config_id):
        """The cards of one customer, to pick one at the till."""
        config = self.env["pos.config"].browse(config_id if isinstance(config_id, int) else 0)
        if not config.exists() or not isinstance(partner_id, int):
            raise UserError(_("Unknown point of sale or customer."))
        config.check_access("read")
        store = config.company_id
        cards = self.search(
            [
                ("partner_id", "=", partner_id),
                ("state", "!=", "blocked"),
                ("company_id", "in", (store | store.parent_ids).ids),
            ],
            limit=20,
        )
        return {"vms.card": self._load_pos_data_read(cards, config)}
