from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pos_vms_proxy_token = fields.Char(related="pos_config_id.vms_proxy_token", readonly=False)
