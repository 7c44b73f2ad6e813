from odoo import api, fields, models

# A pattern no barcode matches (a company without a code prefix has no rule).
NEVER = "(?!)"


class BarcodeRule(models.Model):
    """Scanned vouchers and club cards start the voucher tender or set the card.

    Two rules of the default nomenclature (data/barcode_rule_data.xml): one for
    the companies' voucher code prefixes, kept in step with the settings, and
    one for the GS1 in-store numbers starting with 29 that EAN-13 vouchers and
    club cards carry (the till asks the server which one it is).
    """

    _inherit = "barcode.rule"

    type = fields.Selection(
        selection_add=[("vms_voucher", "Voucher or Club Card")],
        ondelete={"vms_voucher": "set default"},
    )

    @api.model
    def _vms_sync_voucher_prefix_rule(self):
        rule = self.env.ref("vms_pos.barcode_rule_vms_voucher_code", raise_if_not_found=False)
        if not rule:
            return
        # sudo: the prefixes of every company are read to build one shared rule.
        prefixes = sorted(
            {
                company.vms_code_prefix
                for company in self.env["res.company"].sudo().search([])
                if company.vms_code_prefix
            }
        )
        pattern = "|".join(prefixes) or NEVER
        if rule.pattern != pattern:
            # sudo: nomenclature rules are configuration; the settings changed the prefix.
            rule.sudo().pattern = pattern
