from odoo import api, models


class VmsSigningKey(models.Model):
    """The public halves of the voucher signing keys travel to the till, which
    verifies signed vouchers with them while the server is unreachable."""

    _name = "vms.signing.key"
    _inherit = ["vms.signing.key", "pos.load.mixin"]

    @api.model
    def _load_pos_data_domain(self, data, config):
        return [("state", "!=", "retired")]

    @api.model
    def _load_pos_data_fields(self, config):
        # Never the private key: only the public point and the key id.
        return ["id", "kid", "state", "public_x", "public_y"]
