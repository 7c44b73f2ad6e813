from datetime import timedelta

from odoo import _, api, fields, models


class VmsDashboard(models.AbstractModel):
    """The till's part of the dashboard: what the retailer owes, by kind,
    and what of it expires unused within 30 days (from the liability)."""

    _inherit = "vms.dashboard"

    @api.model
    def _vms_dashboard_measures(self):
        soon = fields.Date.to_string(
            self.env["res.company"]._vms_current()._vms_today() + timedelta(days=30)
        )
        liability = {
            "model": "vms.report.liability",
            "aggregate": "amount:sum",
            "monetary": True,
            "action": "vms_pos.action_vms_report_liability",
        }
        return [
            *super()._vms_dashboard_measures(),
            {
                **liability,
                "key": "gift_liability",
                "label": _("Gift vouchers sold, outstanding"),
                "domain": [("kind", "=", "gift")],
            },
            {
                **liability,
                "key": "promotional_outstanding",
                "label": _("Promotional vouchers, outstanding"),
                "domain": [("kind", "=", "promotional")],
            },
            {
                **liability,
                "key": "points_value",
                "label": _("Points, at the point value (estimate)"),
                "domain": [("kind", "=", "points")],
            },
            {
                **liability,
                "key": "expiring_soon",
                "label": _("Expiring unused within 30 days"),
                "domain": [("expires_on", "<=", soon)],
                "action": "vms_pos.action_vms_report_liability_forecast",
            },
        ]
