import base64
import io
from datetime import timedelta

from PIL import Image, UnidentifiedImageError

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

JOB_STATES = [
    ("waiting", "Waiting"),
    ("sent", "Sent"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("expired", "Expired"),
]
# States a job can still leave: Odoo offers it again to the proxy on subscription.
OPEN_STATES = ("waiting", "sent")
BUS_JOB_MESSAGE = "vms_hw_proxy/job"
DEFAULT_TTL_MINUTES = 10
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 20000


class VmsHwJob(models.Model):
    """A print job for a till's proxy printer, sent by Odoo over the bus.

    Life of a job: ``waiting`` when created (and announced on the proxy's bus
    channel once the transaction commits), ``sent`` once the proxy fetched
    its image, then ``done`` when the printer confirmed every byte or
    ``failed`` with the proxy's message. A job no proxy took before
    ``expires_at`` (proxy offline, or fetched and never confirmed) becomes
    ``expired`` and is never printed. A proxy that subscribes to its channel
    is offered every open job of its tills again (``ir.websocket``); it prints
    each job id once, whatever the number of offers.
    """

    _name = "vms.hw.job"
    _description = "Hardware Proxy Print Job"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    config_id = fields.Many2one(
        "pos.config",
        string="Point of Sale",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="config_id.company_id", store=True, index=True)
    kind = fields.Selection([("image", "Image"), ("pdf", "PDF page")], required=True, readonly=True)
    pdf_page = fields.Integer(string="PDF Page", readonly=True, help="0 is the first page.")
    payload = fields.Binary(
        string="Image",
        attachment=True,
        readonly=True,
        help="What the proxy prints: the image given, or the PDF page rasterised at the "
        "printer's width.",
    )
    state = fields.Selection(
        JOB_STATES, default="waiting", required=True, readonly=True, index=True
    )
    expires_at = fields.Datetime(string="Expires", required=True, readonly=True, index=True)
    sent_at = fields.Datetime(string="Sent", readonly=True)
    done_at = fields.Datetime(string="Finished", readonly=True)
    offers = fields.Integer(
        readonly=True, help="How many times the job was announced on the proxy's bus channel."
    )
    message = fields.Char(readonly=True, help="Why the job failed or expired.")
    user_id = fields.Many2one(
        "res.users", string="Sent By", readonly=True, default=lambda self: self.env.user
    )

    # -- creation (through pos.config._vms_hw_print_image / _vms_hw_print_pdf) ------

    @api.model
    def _vms_check_image(self, image_bytes):
        """Refuse what the proxy could not print, with a clear message; returns nothing."""
        if not isinstance(image_bytes, bytes) or not image_bytes:
            raise UserError(_("There is no image to print."))
        if len(image_bytes) > MAX_IMAGE_BYTES:
            raise UserError(_("The image to print is larger than 10 MB."))
        try:
            with Image.open(io.BytesIO(image_bytes)) as image:
                if image.format not in ("PNG", "JPEG"):
                    raise UserError(_("Only PNG and JPEG images can be printed."))
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise UserError(
                        _(
                            "The image to print is too large (%(width)sx%(height)s).",
                            width=image.width,
                            height=image.height,
                        )
                    )
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise UserError(_("The image to print cannot be read.")) from exc

    @api.model
    def _vms_create_job(self, config, kind, payload, name, *, ttl_minutes=None, pdf_page=0):
        ttl = DEFAULT_TTL_MINUTES if ttl_minutes is None else ttl_minutes
        if not isinstance(ttl, (int, float)) or isinstance(ttl, bool) or not 0 < ttl <= 7 * 1440:
            raise UserError(_("A print job waits between a minute and a week."))
        # sudo: the caller was checked on the point of sale (read access); the job holds
        # only what the caller gave, and only managers read other people's jobs.
        job = self.sudo().create(
            {
                "name": (name or _("Print job"))[:128],
                "config_id": config.id,
                "kind": kind,
                "payload": base64.b64encode(payload),
                "pdf_page": pdf_page,
                "expires_at": fields.Datetime.now() + timedelta(minutes=ttl),
                "user_id": self.env.user.id,
            }
        )
        job._vms_offer()
        return job.sudo(False)

    # -- the bus ---------------------------------------------------------------------

    def _vms_offer(self):
        """Announce open, unexpired jobs on their proxy's channel (sent on commit)."""
        now = fields.Datetime.now()
        for job in self:
            channel = job.config_id.sudo().vms_proxy_bus_channel  # sudo: a manager-only field
            if job.state not in OPEN_STATES or job.expires_at <= now or not channel:
                continue
            self.env["bus.bus"]._sendone(
                channel,
                BUS_JOB_MESSAGE,
                {"job_id": job.id, "name": job.name, "expires_at": job.expires_at.isoformat()},
            )
            job.sudo().offers += 1  # sudo: bookkeeping of a job the caller may only read

    @api.model
    def _vms_offer_open_jobs(self, channels):
        """Offer again every open job of the proxies subscribing to ``channels``."""
        # sudo: a subscription is anonymous; knowing the channel (a digest of the
        # proxy's secret) only makes Odoo announce job ids, which print nothing alone.
        configs = self.env["pos.config"].sudo().search([("vms_proxy_bus_channel", "in", channels)])
        if not configs:
            return
        jobs = self.sudo().search(
            [("config_id", "in", configs.ids), ("state", "in", OPEN_STATES)], order="id"
        )
        jobs._vms_offer()

    # -- what the proxy fetches and reports -------------------------------------------

    @api.model
    def _vms_proxy_payload(self, configs, job_id):
        """The image of job ``job_id`` if it belongs to one of ``configs`` (the tills of
        the proxy asking), for the way to the printer: one query and a file read, no
        ORM (records and fields cost more than the query, on every job).

        Returns None for a job that is not theirs, else ``(state, image bytes)``,
        the state "expired" (and no bytes) once it may no longer be printed.
        """
        if not configs:
            return None
        self.flush_model(["config_id", "state", "expires_at"])
        self.env["ir.attachment"].flush_model(
            ["res_model", "res_field", "res_id", "store_fname", "db_datas"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT job.state, job.expires_at, attachment.store_fname, attachment.db_datas
                  FROM vms_hw_job job
             LEFT JOIN ir_attachment attachment
                    ON attachment.res_model = 'vms.hw.job' AND attachment.res_field = 'payload'
                   AND attachment.res_id = job.id
                 WHERE job.id = %s AND job.config_id IN %s
                """,
                job_id,
                tuple(configs.ids),
            )
        )
        row = self.env.cr.fetchone()
        if row is None:
            return None
        state, expires_at, store_fname, db_datas = row
        if state == "expired" or (state in OPEN_STATES and expires_at <= fields.Datetime.now()):
            return "expired", b""
        if store_fname:
            return state, self.env["ir.attachment"]._file_read(store_fname)
        return state, bytes(db_datas or b"")

    def _vms_mark_sent(self):
        """The proxy has the image (it says so after fetching it)."""
        self.ensure_one()
        if self.state != "waiting":
            return False
        self.write({"state": "sent", "sent_at": fields.Datetime.now()})
        return True

    def _vms_mark_result(self, ok, message=""):
        """The proxy's report. Done stands whatever came before (the paper is out);
        failed only for a job not finished yet. True when the report was taken.

        The caller tells the back office (``pos.config._vms_notify_back_office``),
        once for all the results of one report."""
        self.ensure_one()
        now = fields.Datetime.now()
        if ok:
            if self.state != "done":
                # A proxy that printed at once reports done alone: it was sent too.
                self.write(
                    {
                        "state": "done",
                        "done_at": now,
                        "sent_at": self.sent_at or now,
                        "message": False,
                    }
                )
        elif self.state in OPEN_STATES:
            self.write(
                {
                    "state": "failed",
                    "done_at": now,
                    "message": message or _("The proxy could not print it."),
                }
            )
        else:
            return self.state == "failed"
        return True

    def _vms_is_expired(self):
        self.ensure_one()
        return self.state == "expired" or (
            self.state in OPEN_STATES and self.expires_at <= fields.Datetime.now()
        )

    @api.model
    def _cron_vms_expire(self):
        """Jobs no proxy printed in time: expired, with the reason, never printed later."""
        jobs = self.search(
            [("state", "in", OPEN_STATES), ("expires_at", "<=", fields.Datetime.now())]
        )
        for job in jobs:
            job.write(
                {
                    "state": "expired",
                    "done_at": fields.Datetime.now(),
                    "message": _("The proxy fetched it but never confirmed it was printed.")
                    if job.state == "sent"
                    else _("No proxy was connected to take it before it expired."),
                }
            )
        jobs.config_id._vms_notify_back_office("job")
        return len(jobs)
