from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from ..tools.receipt_image import receipt_png


class VmsVoucherPrintStore(models.TransientModel):
    """Print vouchers on the receipt printer of a store's till, through its
    hardware proxy on Odoo's bus: one print job per voucher, laid out for the
    paper's width (not the voucher's A6 PDF page, whose QR no longer scans
    once shrunk to a receipt's 512 dots)."""

    _name = "vms.voucher.print.store"
    _description = "Print Vouchers at a Store"

    voucher_ids = fields.Many2many("vms.voucher", string="Vouchers", required=True)
    voucher_count = fields.Integer(compute="_compute_voucher_count")
    config_id = fields.Many2one(
        "pos.config",
        string="Point of Sale",
        required=True,
        domain="[('is_posbox', '=', True)]",
        help="The till whose hardware proxy prints. A proxy that is offline prints the "
        "job when it reconnects, or the job expires.",
    )
    job_ids = fields.Many2many("vms.hw.job", string="Print Jobs", readonly=True)

    @api.depends("voucher_ids")
    def _compute_voucher_count(self):
        for wizard in self:
            wizard.voucher_count = len(wizard.voucher_ids)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "vms.voucher" and "voucher_ids" in fields_list:
            values["voucher_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return values

    @api.model
    def _vms_voucher_slip(self, voucher, width):
        """The voucher as a black-and-white PNG ``width`` dots wide: its
        lines and its QR (signed payload)."""
        lines = self._vms_voucher_slip_lines(voucher)
        return receipt_png(lines, width, qr_data=voucher.qr_payload or voucher.code)

    @api.model
    def _vms_voucher_slip_lines(self, voucher):
        """Campaign, nominal (and balance, once partly spent), code, validity."""
        currency = voucher.currency_id
        amount = formatLang(self.env, voucher.nominal_amount, currency_obj=currency)
        if currency.compare_amounts(voucher.balance, voucher.nominal_amount):
            amount = _(
                "%(balance)s left of %(nominal)s",
                balance=formatLang(self.env, voucher.balance, currency_obj=currency),
                nominal=amount,
            )
        lines = [voucher.campaign_id.name or _("Voucher"), amount, voucher.code]
        if voucher.valid_to:
            lines.append(_("Valid until %s", fields.Date.to_string(voucher.valid_to)))
        return lines

    def action_print(self):
        """One job per voucher; each is announced to the proxy on commit and
        followed on its state (waiting, sent, done, failed, expired)."""
        self.ensure_one()
        if not self.voucher_ids:
            raise UserError(_("Select the vouchers to print."))
        self.voucher_ids.check_access("read")
        jobs = self.env["vms.hw.job"]
        width = self.config_id.vms_proxy_printer_width or 512
        for voucher in self.voucher_ids:
            slip = self._vms_voucher_slip(voucher, width)
            jobs |= self.config_id._vms_hw_print_image(slip, name=voucher.code)
        self.job_ids = jobs
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "%(count)s voucher(s) sent to the printer of %(till)s.",
                    count=len(jobs),
                    till=self.config_id.display_name,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
