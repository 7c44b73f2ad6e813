import hashlib
import hmac
import secrets

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.pdf_raster import RasterError, rasterise_pdf_page

# Must match vms_hw_proxy_service.link.bus_channel (the proxy computes the same).
BUS_CHANNEL_PREFIX = "vms_hw_proxy/"
BACK_OFFICE_MESSAGE = "vms_hw_proxy/status"
# What only the back office may read: never loaded into a till's browser.
MANAGER_ONLY_FIELDS = ("vms_proxy_bus_secret", "vms_proxy_bus_channel")


def bus_channel(secret):
    """The bus channel of the proxy with ``secret``: a digest, so that whoever reads
    the channel name (the bus table, a log) cannot report to Odoo as the proxy."""
    return BUS_CHANNEL_PREFIX + hashlib.sha256(f"vms-hw-proxy-bus:{secret}".encode()).hexdigest()


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
    vms_proxy_bus_secret = fields.Char(
        string="Proxy Bus Secret",
        copy=False,
        groups="point_of_sale.group_pos_manager",
        help="The proxy's own secret (its --bus-secret option): it names the proxy's "
        "channel on Odoo's bus and authenticates what the proxy reports. Unlike the token, "
        "no till's browser ever gets it.",
    )
    vms_proxy_bus_channel = fields.Char(
        compute="_compute_vms_proxy_bus_channel",
        store=True,
        index=True,
        groups="point_of_sale.group_pos_manager",
    )
    vms_proxy_on_bus = fields.Boolean(
        string="On the Bus",
        readonly=True,
        copy=False,
        help="The proxy's last report says its websocket to Odoo's bus is open.",
    )
    vms_proxy_printer_width = fields.Integer(
        string="Printer Width (dots)",
        default=512,
        readonly=True,
        copy=False,
        help="Width of the proxy's receipt printer, as it reported it; PDF pages are "
        "rasterised at this width.",
    )
    vms_proxy_report_scans = fields.Boolean(
        string="Report Scans to Odoo",
        help="The proxy also sends what its scanners read to Odoo (shown in Hardware Proxies).",
    )
    vms_proxy_last_scan = fields.Char(string="Last Scan", readonly=True, copy=False)
    vms_proxy_last_scan_at = fields.Datetime(string="Last Scan At", readonly=True, copy=False)
    vms_hw_job_ids = fields.One2many("vms.hw.job", "config_id", string="Print Jobs")

    @api.depends("vms_proxy_devices")
    def _compute_vms_proxy_devices_summary(self):
        for config in self:
            devices = config.vms_proxy_devices or {}
            config.vms_proxy_devices_summary = ", ".join(
                f"{name}: {(info or {}).get('status', '?')}"
                for name, info in sorted(devices.items())
            )

    @api.depends("vms_proxy_bus_secret")
    def _compute_vms_proxy_bus_channel(self):
        for config in self:
            secret = config.vms_proxy_bus_secret
            config.vms_proxy_bus_channel = bus_channel(secret) if secret else False

    def action_vms_generate_proxy_token(self):
        for config in self:
            config.vms_proxy_token = secrets.token_urlsafe(24)

    def action_vms_generate_bus_secret(self):
        for config in self:
            config.vms_proxy_bus_secret = secrets.token_urlsafe(32)

    def _load_pos_data_read(self, records, config):
        # Every browser of the till loads its pos.config: the proxy's own secret stays out.
        read_records = super()._load_pos_data_read(records, config)
        for record in read_records:
            for name in MANAGER_ONLY_FIELDS:
                record.pop(name, None)
        return read_records

    # -- printing from Odoo --------------------------------------------------------

    def _vms_hw_check_printable(self):
        self.ensure_one()
        self.check_access("read")
        # sudo: only whether a secret is set is read, never the secret itself
        if not self.sudo().vms_proxy_bus_channel:
            raise UserError(
                _(
                    "The point of sale %s has no hardware proxy on Odoo's bus: give its proxy "
                    "a bus secret in Point of Sale > Configuration > Hardware Proxies.",
                    self.display_name,
                )
            )

    def _vms_hw_print_image(self, image_bytes, name=None, ttl=None):
        """Print a PNG or JPEG on this till's proxy receipt printer; returns the
        ``vms.hw.job``.

        The image is scaled to the printer's width by the proxy and thresholded
        to black and white. The job is announced to the proxy when the current
        transaction commits; it waits up to ``ttl`` minutes (default 10) for a
        proxy that is offline, then expires. Follow it on the job's ``state``
        (waiting, sent, done, failed, expired). Raises UserError for an image
        that cannot be printed, a till without a bus proxy, or a caller who
        cannot read this point of sale.
        """
        self._vms_hw_check_printable()
        self.env["vms.hw.job"]._vms_check_image(image_bytes)
        return self.env["vms.hw.job"]._vms_create_job(
            self, "image", image_bytes, name, ttl_minutes=ttl
        )

    def _vms_hw_print_pdf(self, pdf_bytes, name=None, page=0, ttl=None):
        """Print page ``page`` (0 = first) of a PDF on this till's proxy printer;
        returns the ``vms.hw.job``.

        The page is rasterised here, on the Odoo server, by poppler's pdftoppm at
        the printer's width in dots (as the proxy last reported it, 512 by
        default), so the proxy prints it dot for dot. Otherwise as
        :meth:`_vms_hw_print_image`.
        """
        self._vms_hw_check_printable()
        try:
            png = rasterise_pdf_page(pdf_bytes, page, self.vms_proxy_printer_width or 512)
        except RasterError as exc:
            raise UserError(_("This PDF cannot be printed: %s", exc)) from exc
        return self.env["vms.hw.job"]._vms_create_job(
            self, "pdf", png, name, ttl_minutes=ttl, pdf_page=page
        )

    # -- live back office ----------------------------------------------------------

    def _vms_notify_back_office(self, what="status"):
        """Tell open Hardware Proxies views that these tills changed (on commit);
        ``what`` changed: status, scan or job."""
        if not self:
            return
        self.env["bus.bus"]._sendone(
            self.env.ref("point_of_sale.group_pos_manager"),
            BACK_OFFICE_MESSAGE,
            {"config_ids": self.ids, "what": what},
        )

    @staticmethod
    def _vms_status_from_devices(devices):
        states = {(info or {}).get("status") for info in devices.values()}
        if "error" in states:
            return "error"
        if "connected" in states:
            return "connected"
        return "disconnected"

    def _vms_store_proxy_status(self, devices, reported_by, extra=None):
        # Only the status fields are written; callers checked who may report.
        self.sudo().write(
            {  # sudo: a proxy's push arrives as the public user, authenticated by its secret
                "vms_proxy_status": self._vms_status_from_devices(devices),
                "vms_proxy_devices": devices,
                "vms_proxy_last_seen": fields.Datetime.now(),
                "vms_proxy_reported_by": reported_by,
                **(extra or {}),
            }
        )
        self._vms_notify_back_office()

    def _vms_store_scan(self, barcode):
        """A scan the proxy forwarded: kept on the tills that ask for their scans."""
        wanted = self.filtered("vms_proxy_report_scans")
        # sudo: the proxy reports as the public user, authenticated by its secret
        wanted.sudo().write(
            {"vms_proxy_last_scan": barcode, "vms_proxy_last_scan_at": fields.Datetime.now()}
        )
        wanted._vms_notify_back_office("scan")
        return wanted

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
    def _vms_find_by_bus_secret(self, secret):
        """The tills whose proxy authenticates with ``secret`` (constant-time compare).

        Every call of a proxy starts here, so it reads the columns it needs rather
        than the whole point of sale: the channel (a digest of the secret, indexed)
        finds the candidates among the active tills, the compare decides.
        """
        if not secret or not isinstance(secret, str) or len(secret) > 256:
            return self.browse()
        self.flush_model(["vms_proxy_bus_channel", "vms_proxy_bus_secret", "active"])
        self.env.cr.execute(
            SQL(
                "SELECT id, vms_proxy_bus_secret FROM pos_config"
                " WHERE vms_proxy_bus_channel = %s AND active",
                bus_channel(secret),
            )
        )
        ids = [
            config_id
            for config_id, stored in self.env.cr.fetchall()
            if stored and hmac.compare_digest(stored.encode(), secret.encode())
        ]
        # sudo: the proxy calls as the public user; the secret it proved is its credential
        return self.sudo().browse(ids)
