from odoo import _, api, fields, models
from odoo.exceptions import UserError


class VmsVoucherPrintStore(models.TransientModel):
    """Print vouchers on the receipt printer of a store's till, through its
    hardware proxy on Odoo's bus: one print job per voucher, first page of its
    PDF (the voucher's own template)."""

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

    def action_print(self):
        """One job per voucher; each is announced to the proxy on commit and
        followed on its state (waiting, sent, done, failed, expired)."""
        self.ensure_one()
        if not self.voucher_ids:
            raise UserError(_("Select the vouchers to print."))
        self.voucher_ids.check_access("read")
        jobs = self.env["vms.hw.job"]
        for voucher in self.voucher_ids:
            pdf = voucher._vms_render_pdf()
            jobs |= self.config_id._vms_hw_print_pdf(pdf, name=voucher.code)
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
