from odoo import fields, models


class VmsPointsAdjust(models.TransientModel):
    """A VMS manager's correction of a member's points, with its reason: a
    positive adjustment is a new lot, a negative one is drawn from the lots
    nearest to expiry (never more than the member has)."""

    _name = "vms.points.adjust"
    _description = "Adjust Points"

    account_id = fields.Many2one("vms.points.account", required=True, readonly=True)
    points = fields.Float(digits=(16, 3), required=True, help="Positive to add, negative to take.")
    expires_on = fields.Date(help="Expiry of added points; empty: the programme's lifetime.")
    reason = fields.Char(required=True)

    def action_apply(self):
        self.ensure_one()
        self.account_id._vms_adjust(self.points, self.reason, self.expires_on)
        return {"type": "ir.actions.act_window_close"}
