from odoo import api, fields, models


class VmsPointsConvert(models.TransientModel):
    """Points to voucher, in the back office."""

    _name = "vms.points.convert"
    _description = "Points to Voucher"
    _inherit = ["vms.points.spend"]

    points = fields.Float(digits=(16, 3), required=True)

    def _vms_points_wanted(self):
        return self.points

    @api.depends("account_id", "points")
    def _compute_value(self):
        return super()._compute_value()

    def action_convert(self):
        self.ensure_one()
        hold = self.env["vms.redemption"]._vms_points_convert(
            self._vms_holder(), self.points, **self._vms_otp_values()
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "vms.voucher",
            "res_id": hold.sudo().points_voucher_id.id,
            "view_mode": "form",
            "target": "current",
        }
