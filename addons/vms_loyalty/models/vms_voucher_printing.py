from odoo import _, models
from odoo.exceptions import UserError
from odoo.tools.pdf import merge_pdf


class VmsVoucherPrinting(models.AbstractModel):
    """Vouchers on paper and by mail, through their PDF template
    (``vms.voucher.template``)."""

    _name = "vms.voucher.printing"
    _description = "Voucher PDF and Mail"

    def action_download_pdf(self):
        """One PDF, one page per voucher, stored as an attachment and downloaded."""
        attachment = self._vms_pdf_attachment()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("PDF of %(count)s vouchers ready.", count=len(self)),
                "next": {
                    "type": "ir.actions.act_url",
                    "url": f"/web/content/{attachment.id}?download=true",
                    "target": "download",
                },
            },
        }

    def _vms_pdf_attachment(self):
        if not self:
            raise UserError(_("Select the vouchers to print."))
        pdf = self._vms_render_pdf()
        name = f"vouchers-{self.code}.pdf" if len(self) == 1 else f"vouchers-{len(self)}.pdf"
        return self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": pdf,
                "mimetype": "application/pdf",
                "res_model": "vms.voucher",
                "res_id": self[:1].id,
            }
        )

    def _vms_render_pdf(self):
        """Render the vouchers with their template (or the company's default)."""
        by_template = {}
        default_template = self.env["vms.voucher.template"]._vms_default_template()
        for voucher in self:
            template = voucher.template_id or voucher.campaign_id.template_id or default_template
            by_template.setdefault(template, self.browse())
            by_template[template] |= voucher
        # One template for the whole selection is the common case; mixed
        # selections are rendered template by template and concatenated in order.
        parts = [template._vms_render(vouchers) for template, vouchers in by_template.items()]
        return parts[0] if len(parts) == 1 else merge_pdf(parts)

    def _vms_send_by_mail(self, template=None):
        # sudo: the template is configuration the sender only picks; it is
        # rendered for vouchers the sender can read (checked below).
        template = (template or self.env.ref("vms_loyalty.mail_template_vms_voucher")).sudo()
        self.check_access("read")
        for voucher in self:
            attachment = voucher._vms_pdf_attachment()
            rendered = {
                field: template._render_field(field, voucher.ids)[voucher.id]
                for field in ("subject", "body_html")
            }
            voucher.message_post(
                subject=rendered["subject"],
                body=rendered["body_html"],
                partner_ids=voucher.partner_id.ids,
                attachment_ids=attachment.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        return True
