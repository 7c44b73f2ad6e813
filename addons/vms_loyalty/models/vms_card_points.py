from odoo import _, fields, models


class VmsCard(models.Model):
    """A club card reaches its member's points account at the card's retailer."""

    _inherit = "vms.card"

    points_account_id = fields.Many2one("vms.points.account", compute="_compute_points")
    points_balance = fields.Float(string="Club Points", digits=(16, 3), compute="_compute_points")
    points_available = fields.Float(digits=(16, 3), compute="_compute_points")
    points_next_expiry_date = fields.Date(string="Next Points Expiry", compute="_compute_points")
    points_next_expiry_points = fields.Float(
        string="Points Expiring", digits=(16, 3), compute="_compute_points"
    )

    def _compute_points(self):
        Account = self.env["vms.points.account"]
        for card in self:
            account = Account
            if card.partner_id:
                account = Account.search(
                    [
                        ("partner_id", "=", card.partner_id.id),
                        ("company_id", "=", card.company_id.root_id.id),
                    ],
                    limit=1,
                )
            card.points_account_id = account
            card.points_balance = account.points_balance
            card.points_available = account.points_available
            card.points_next_expiry_date = account.next_expiry_date
            card.points_next_expiry_points = account.next_expiry_points

    def action_view_points(self):
        self.ensure_one()
        if not self.points_account_id:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {"type": "info", "message": _("This card's member has no points yet.")},
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": "vms.points.account",
            "res_id": self.points_account_id.id,
            "view_mode": "form",
        }
