from odoo import fields, models

from .vms_voucher_template import ELEMENTS


class VmsVoucherTemplateElement(models.Model):
    """Where one piece of voucher data goes on the template."""

    _name = "vms.voucher.template.element"
    _description = "Voucher PDF Template Position"
    _order = "page, id"

    template_id = fields.Many2one(
        "vms.voucher.template", required=True, ondelete="cascade", index=True
    )
    element = fields.Selection(ELEMENTS, required=True)
    page = fields.Integer(default=1, required=True)
    x = fields.Float(string="X (mm)", required=True, help="From the left edge of the page.")
    y = fields.Float(string="Y (mm)", required=True, help="From the bottom edge of the page.")
    size = fields.Float(
        default=10.0,
        help="Font size in points for texts; width in mm for barcodes and QR codes.",
    )
    height = fields.Float(string="Height (mm)", help="Height of a barcode.")

    _positive = models.Constraint(
        "CHECK(page >= 1 AND x >= 0 AND y >= 0 AND size >= 0 AND height >= 0)",
        "Template positions are on a page (from 1) with positive coordinates and sizes.",
    )
