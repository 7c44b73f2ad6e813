from odoo import _, fields, models


class ResPartner(models.Model):
    """A member's club points, shown on the customer form."""

    _inherit = "res.partner"

    # Only VMS users read them: a salesman reading partners reads no points.
    vms_points_account_ids = fields.One2many(
        "vms.points.account",
        "partner_id",
        string="Points Accounts",
        readonly=True,
        groups="vms_loyalty.group_vms_store_user",
    )
    vms_points_balance = fields.Float(
        string="Club Points",
        digits=(16, 3),
        compute="_compute_vms_points",
        groups="vms_loyalty.group_vms_store_user",
    )
    vms_points_next_expiry_date = fields.Date(
        string="Next Points Expiry",
        compute="_compute_vms_points",
        groups="vms_loyalty.group_vms_store_user",
    )

    def _compute_vms_points(self):
        """The points at the current company's retailer."""
        root = self.env.company.root_id
        accounts = self.env["vms.points.account"].search(
            [("partner_id", "in", self.ids), ("company_id", "=", root.id)]
        )
        by_partner = {account.partner_id.id: account for account in accounts}
        for partner in self:
            account = by_partner.get(partner.id)
            partner.vms_points_balance = account.points_balance if account else 0.0
            partner.vms_points_next_expiry_date = account.next_expiry_date if account else False

    def action_view_vms_points(self):
        self.ensure_one()
        accounts = self.vms_points_account_ids
        if len(accounts) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "vms.points.account",
                "res_id": accounts.id,
                "view_mode": "form",
            }
        return {
            "type": "ir.actions.act_window",
            "name": _("Points of %s", self.display_name),
            "res_model": "vms.points.account",
            "view_mode": "list,form",
            "domain": [("partner_id", "=", self.id)],
        }
