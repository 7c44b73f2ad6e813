from datetime import datetime, time, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class VmsReportRedemptionPrint(models.TransientModel):
    """Print the loyalty redemptions of a period and a store as a PDF."""

    _name = "vms.report.redemption.print"
    _description = "Print Loyalty Redemptions"

    date_from = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self).replace(day=1)
    )
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    store_id = fields.Many2one(
        "res.company",
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
        help="Empty: every store you work in.",
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise UserError(_("The period ends before it starts."))

    def _vms_domain(self):
        """Redemptions of the period (whole days in the user's time zone) and store."""
        self.ensure_one()
        tz = pytz.timezone(self.env.user.tz or "UTC")

        def utc(day):
            local = tz.localize(datetime.combine(day, time.min))
            return local.astimezone(pytz.utc).replace(tzinfo=None)

        domain = [
            ("date", ">=", utc(self.date_from)),
            ("date", "<", utc(self.date_to + timedelta(days=1))),
        ]
        if self.store_id:
            domain.append(("store_id", "=", self.store_id.id))
        return domain

    def _vms_report_values(self):
        """What the PDF shows: totals per day, per customer, and every row."""
        self.ensure_one()
        report = self.env["vms.report.redemption"]
        domain = self._vms_domain()
        aggregates = ["redemption_count:sum", "reversal_count:sum", "amount:sum", "points:sum"]

        def rows(groupby):
            return [
                {"key": key, "count": count, "reversals": rev, "amount": amount, "points": points}
                for key, count, rev, amount, points in report._read_group(
                    domain, [groupby], aggregates, order=groupby
                )
            ]

        totals = report._read_group(domain, [], aggregates)[0]
        return {
            "wizard": self,
            "store": self.store_id,
            "currency": self.store_id.currency_id or self.env.company.currency_id,
            "days": rows("date:day"),
            "customers": rows("partner_id"),
            "lines": report.search(domain, order="date, id"),
            "totals": dict(zip(("count", "reversals", "amount", "points"), totals, strict=True)),
        }

    def action_print(self):
        self.ensure_one()
        action = self.env.ref("vms_loyalty.action_report_vms_redemption").report_action(self)
        # The wizard has done its job once the PDF is downloaded.
        return {**action, "close_on_report_download": True}
