from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _load(self, template_code, company, install_demo, force_create=True):
        result = super()._load(template_code, company, install_demo, force_create=force_create)
        # A company that gets a chart of accounts gets its voucher tender too.
        company._vms_pos_setup_voucher_tender()
        return result
