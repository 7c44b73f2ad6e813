from odoo import api, fields, models


class VmsRewardClaimWizard(models.TransientModel):
    """Claim a reward for a member, in the back office."""

    _name = "vms.reward.claim.wizard"
    _description = "Claim a Reward"
    _inherit = ["vms.points.spend"]

    reward_id = fields.Many2one(
        "vms.reward",
        required=True,
        domain="[('company_id', '=', company_id)]",
    )
    company_id = fields.Many2one(related="account_id.company_id")
    reward_points = fields.Float(related="reward_id.points_cost", digits=(16, 3))

    def _vms_points_wanted(self):
        return self.reward_id.points_cost

    @api.depends("account_id", "reward_id")
    def _compute_value(self):
        return super()._compute_value()

    def action_claim(self):
        self.ensure_one()
        hold = self.env["vms.redemption"]._vms_reward_claim(
            self._vms_holder(), self.reward_id, **self._vms_otp_values()
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "vms.reward.claim",
            "res_id": hold.sudo().reward_claim_id.id,
            "view_mode": "form",
            "target": "current",
        }
