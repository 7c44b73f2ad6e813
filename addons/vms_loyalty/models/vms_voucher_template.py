import base64

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date, formatLang

from ..tools import voucher_pdf

ELEMENTS = [
    ("code", "Code"),
    ("barcode", "Barcode"),
    ("qr", "QR Code"),
    ("nominal", "Nominal / Discount"),
    ("validity", "Validity"),
    ("holder", "Holder Name"),
    ("campaign", "Campaign Text"),
]

# Where each element goes on a blank A6 landscape page (mm from the bottom-left).
DEFAULT_LAYOUT = [
    ("campaign", 1, 10.0, 92.0, 14.0, 0.0),
    ("nominal", 1, 10.0, 78.0, 20.0, 0.0),
    ("holder", 1, 10.0, 66.0, 11.0, 0.0),
    ("validity", 1, 10.0, 58.0, 9.0, 0.0),
    ("code", 1, 10.0, 48.0, 12.0, 0.0),
    ("barcode", 1, 10.0, 10.0, 70.0, 22.0),
    ("qr", 1, 108.0, 8.0, 34.0, 0.0),
]


class VmsVoucherTemplate(models.Model):
    """A PDF template: an uploaded background and where the voucher data goes.

    Every voucher printed with a template has its data at the same places, so
    pre-printed stock and the designer's background stay aligned.
    """

    _name = "vms.voucher.template"
    _description = "Voucher PDF Template"
    _order = "name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    background = fields.Binary(
        string="Background PDF",
        attachment=True,
        help="The designer's PDF; voucher data is drawn over its pages.",
    )
    background_filename = fields.Char()
    element_ids = fields.One2many(
        "vms.voucher.template.element",
        "template_id",
        string="Positions",
        copy=True,
        default=lambda self: [
            fields.Command.create({"element": e, "page": p, "x": x, "y": y, "size": s, "height": h})
            for e, p, x, y, s, h in DEFAULT_LAYOUT
        ],
    )
    preview = fields.Binary(compute="_compute_preview", string="Preview PDF")
    preview_filename = fields.Char(compute="_compute_preview")

    @api.constrains("background")
    def _check_background(self):
        for template in self.filtered("background"):
            head = base64.b64decode(template.background)[:5]
            if head != b"%PDF-":
                raise ValidationError(
                    _("The background of template %(name)s must be a PDF.", name=template.name)
                )

    @api.model
    def _vms_default_template(self):
        template = self.env.ref(
            "vms_loyalty.vms_voucher_template_default", raise_if_not_found=False
        )
        return template or self.search([], limit=1) or self.create({"name": _("Voucher")})

    def _vms_voucher_data(self, voucher):
        """The texts and payloads printed for ``voucher``."""
        env = voucher.env
        if voucher.value_type == "nominal":
            value = formatLang(env, voucher.nominal_amount, currency_obj=voucher.currency_id)
        elif voucher.discount_type == "percent":
            value = _("%(value)s%% off", value=voucher.discount_value)
        else:
            value = _(
                "%(value)s off",
                value=formatLang(env, voucher.discount_value, currency_obj=voucher.currency_id),
            )
        if voucher.valid_from and voucher.valid_to:
            validity = _(
                "Valid from %(start)s to %(end)s",
                start=format_date(env, voucher.valid_from),
                end=format_date(env, voucher.valid_to),
            )
        elif voucher.valid_to:
            validity = _("Valid until %(end)s", end=format_date(env, voucher.valid_to))
        else:
            validity = ""
        return {
            "code": voucher.code,
            "nominal": value,
            "validity": validity,
            "holder": voucher.partner_id.name or "",
            "campaign": voucher.campaign_id.bill_text or voucher.campaign_id.name or "",
            # Only the symbols the voucher is redeemed by are printed.
            "barcode_payload": (voucher.barcode or voucher.code) if voucher.redeem_barcode else "",
            "barcode_format": voucher.company_id.vms_barcode_format,
            "qr_payload": voucher.qr_payload if voucher.redeem_qr else "",
        }

    def _vms_render(self, vouchers):
        self.ensure_one()
        elements = [
            {
                "element": e.element,
                "page": e.page,
                "x": e.x,
                "y": e.y,
                "size": e.size,
                "height": e.height,
            }
            for e in self.element_ids
        ]
        if vouchers.company_id.vms_barcode_format == "qr":
            # QR as the configured format: the QR element carries the code.
            elements = [e for e in elements if e["element"] != "barcode"]
        background = base64.b64decode(self.background) if self.background else None
        return voucher_pdf.render(
            background, elements, [self._vms_voucher_data(v) for v in vouchers]
        )

    @api.depends("background", "element_ids")
    def _compute_preview(self):
        for template in self:
            sample = self.env["vms.voucher"].search(
                [("template_id", "=", template._origin.id or 0)], limit=1
            ) or self.env["vms.voucher"].search([], limit=1)
            template.preview_filename = f"{template.name or 'template'}-preview.pdf"
            template.preview = base64.b64encode(template._vms_render(sample)) if sample else False

    def action_preview(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/vms.voucher.template/{self.id}/preview/"
            f"{self.preview_filename}?download=true",
            "target": "download",
        }
