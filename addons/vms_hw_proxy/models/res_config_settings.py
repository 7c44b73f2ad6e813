from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pos_vms_proxy_token = fields.Char(related="pos_config_id.vms_proxy_token", readonly=False)
    pos_vms_proxy_bus_secret = fields.Char(
        related="pos_config_id.vms_proxy_bus_secret",
        readonly=False,
        groups="point_of_sale.group_pos_manager",
    )
    pos_vms_proxy_report_scans = fields.Boolean(
        related="pos_config_id.vms_proxy_report_scans", readonly=False
    )
