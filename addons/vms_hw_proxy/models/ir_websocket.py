from odoo import models

from .pos_config import BUS_CHANNEL_PREFIX


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _after_subscribe_data(self, data):
        """A proxy subscribing to its channel gets its tills' open print jobs again:
        those created while it was offline, and those it never confirmed."""
        result = super()._after_subscribe_data(data)
        channels = [
            channel
            for channel in data["channels"]
            if isinstance(channel, str) and channel.startswith(BUS_CHANNEL_PREFIX)
        ]
        if channels:
            self.env["vms.hw.job"]._vms_offer_open_jobs(channels)
        return result
