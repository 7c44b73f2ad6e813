import hmac
import secrets

from odoo import api, fields, models

PROXY_STATES = [
    ("unknown", "Unknown"),
    ("connected", "Connected"),
    ("disconnected", "Disconnected"),
    ("error", "Error"),
]


class PosConfig(models.Model):
    """The till's link to its vms-hw-proxy: address (Odoo's own ``proxy_ip``,
    which may carry a port), shared token, and the last status seen."""

    _inherit = "pos.config"

    vms_proxy_token = fields.Char(
        string="Proxy Token",
        copy=False,
        help="Shared secret of the hardware proxy (its --token option). The till sends it "
        "with every request; leave empty for a proxy started without a token.",
    )
    vms_proxy_status = fields.Selection(
        PROXY_STATES,
        string="Proxy Status",
        default="unknown",
        readonly=True,
        copy=False,
    )
    vms_proxy_devices = fields.Json(
        string="Proxy Devices",
        readonly=True,
        copy=False,
        help="Status of each device as the proxy last reported it.",
    )
    vms_proxy_devices_summary = fields.Char(
        string="Devices",
        compute="_compute_vms_proxy_devices_summary",
    )
    vms_proxy_last_seen = fields.Datetime(string="Proxy Last Seen", readonly=True, copy=False)
    vms_proxy_reported_by = fields.Selection(
        [("pos", "Till"), ("proxy", "Proxy")],
        readonly=True,
        copy=False,
        help="Who sent the last status: a till polling the proxy, or the proxy itself.",
    )

    @api.depends("vms_proxy_devices")
    def _compute_vms_proxy_devices_summary(self):
        for config in self:
            devices = config.vms_proxy_devices or {}
            config.vms_proxy_devices_summary = ", ".join(
                f"{name}: {(info or {}).get('status', '?')}"
                for name, info in sorted(devices.items())
            )

    def action_vms_generate_proxy_token(self):
        for config in self:
            config.vms_proxy_token = secrets.token_urlsafe(24)

    @staticmethod
    def _vms_status_from_devices(devices):
        states = {(info or {}).get("status") for info in devices.values()}
        if "error" in states:
            return "error"
        if "connected" in states:
            return "connected"
        return "disconnected"

    def _vms_store_proxy_status(self, devices, reported_by):
        # Only the status fields are written; callers checked who may report.
        self.sudo().write(
            {  # sudo: a proxy's push arrives as the public user, authenticated by its token
                "vms_proxy_status": self._vms_status_from_devices(devices),
                "vms_proxy_devices": devices,
                "vms_proxy_last_seen": fields.Datetime.now(),
                "vms_proxy_reported_by": reported_by,
            }
        )

    def vms_report_proxy_status(self, devices):
        """Called by a till when the status of its proxy changes."""
        self.ensure_one()
        self.check_access("write")
        self._vms_store_proxy_status(self._vms_clean_devices(devices), "pos")
        return True

    @staticmethod
    def _vms_clean_devices(devices):
        """Keep a bounded {name: {"status": str}} map of whatever a client sent."""
        if not isinstance(devices, dict):
            return {}
        return {
            str(name)[:64]: {"status": str((info or {}).get("status", "unknown"))[:32]}
            for name, info in list(devices.items())[:16]
            if isinstance(info, dict) or info is None
        }

    @api.model
    def _vms_find_by_proxy_token(self, token):
        """The tills whose proxy authenticates with ``token`` (constant-time compare)."""
        if not token or not isinstance(token, str):
            return self.browse()
        configs = self.sudo().search(
            [("vms_proxy_token", "!=", False)]
        )  # sudo: token is the credential
        return configs.filtered(
            lambda c: hmac.compare_digest(c.vms_proxy_token.encode(), token.encode())
        )
