from odoo import api, models


class PosSession(models.Model):
    _inherit = "pos.session"

    @api.model
    def _load_pos_data_models(self, config):
        # Club cards are a model of the till, loaded one by one when scanned;
        # the public signing keys let it trust signed vouchers offline.
        return [*super()._load_pos_data_models(config), "vms.card", "vms.signing.key"]

    def _validate_session(self, *args, **kwargs):
        """Closing a session releases the holds its tills left open (an order
        abandoned in a closed tab, a crashed till): nothing stays reserved."""
        self._vms_release_open_holds()
        return super()._validate_session(*args, **kwargs)

    def _vms_release_open_holds(self):
        # sudo: the session is closed by someone allowed to; its holds go with it.
        holds = (
            self.env["vms.redemption"]
            .sudo()
            .search([("pos_session_id", "in", self.ids), ("state", "=", "held")])
        )
        for hold in holds:
            hold._vms_release()
        return holds
