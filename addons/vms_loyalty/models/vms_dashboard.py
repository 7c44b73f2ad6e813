from datetime import datetime, time

import pytz
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import date_utils


class VmsDashboard(models.AbstractModel):
    """The VMS Manager's key figures, one row per store, each figure a way
    into the report it comes from.

    Every figure is a ``_read_group`` of a report, read with the user's own
    rights: the report's record rules keep a store user to its stores, and a
    report the user may not read is left out, not shown as zero. Stores are
    the companies selected in the company switcher. Other addons add their
    figures by extending :meth:`_vms_dashboard_measures` (the till adds the
    liability)."""

    _name = "vms.dashboard"
    _description = "VMS Dashboard"

    @api.model
    def _vms_dashboard_period(self):
        """This month in the user's time zone, as domain values: ``(its first
        day, its start and the next month's start in UTC, as Odoo stores
        datetimes)``."""
        tz = self.env.tz  # Odoo's: the context's or the user's zone, UTC if invalid
        first_day = date_utils.start_of(datetime.now(tz).date(), "month")

        def utc_midnight(day):
            midnight = tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc)
            return fields.Datetime.to_string(midnight.replace(tzinfo=None))

        return (
            fields.Date.to_string(first_day),
            utc_midnight(first_day),
            utc_midnight(first_day + relativedelta(months=1)),
        )

    @api.model
    def _vms_dashboard_measures(self):
        """The figures, in their order: ``key``, ``label``, ``model``,
        ``aggregate`` (as ``_read_group`` takes it), ``domain`` (with the
        store field ``store_id``), ``monetary`` and ``action`` (the xml id of
        the report a click opens, filtered like the figure)."""
        first_day, start, end = self._vms_dashboard_period()
        this_month = [("date", ">=", start), ("date", "<", end)]
        return [
            {
                "key": "redeemed_amount",
                "label": _("Redeemed this month (net)"),
                "model": "vms.report.redemption",
                "aggregate": "amount:sum",
                "domain": this_month,
                "monetary": True,
                "action": "vms_loyalty.action_vms_report_redemption_summary",
            },
            {
                "key": "redemption_count",
                "label": _("Redemptions this month"),
                "model": "vms.report.redemption",
                "aggregate": "redemption_count:sum",
                "domain": this_month,
                "monetary": False,
                "action": "vms_loyalty.action_vms_report_redemption_summary",
            },
            {
                "key": "issued_count",
                "label": _("Vouchers issued this month"),
                "model": "vms.report.campaign",
                "aggregate": "issued_count:sum",
                "domain": this_month,
                "monetary": False,
                "action": "vms_loyalty.action_vms_report_campaign",
            },
            {
                "key": "refusal_count",
                "label": _("Refused spends this month"),
                "model": "vms.report.operator",
                "aggregate": "refusal_count:sum",
                "domain": this_month,
                "monetary": False,
                "action": "vms_loyalty.action_vms_report_operator",
            },
            {
                "key": "flagged_operators",
                "label": _("Operators flagged this month"),
                "model": "vms.report.operator.flag",
                "aggregate": "user_id:count_distinct",
                "domain": [("month", "=", first_day), ("flagged", "=", True)],
                "monetary": False,
                "action": "vms_loyalty.action_vms_report_operator_flag",
            },
        ]

    @api.model
    def _vms_dashboard_readable(self):
        return [
            measure
            for measure in self._vms_dashboard_measures()
            if self.env[measure["model"]].has_access("read")
        ]

    @api.model
    def get_dashboard_data(self):
        """What the dashboard shows: ``{"measures": [{key, label, monetary}],
        "stores": [{id, name, currency_id, values: {key: figure}}]}``."""
        stores = self.env.companies
        measures = self._vms_dashboard_readable()
        values = {store.id: {} for store in stores}
        for measure in measures:
            domain = [*measure["domain"], ("store_id", "in", stores.ids)]
            for store, figure in self.env[measure["model"]]._read_group(
                domain, ["store_id"], [measure["aggregate"]]
            ):
                values[store.id][measure["key"]] = figure
        return {
            "measures": [
                {"key": m["key"], "label": m["label"], "monetary": m["monetary"]} for m in measures
            ],
            "stores": [
                {
                    "id": store.id,
                    "name": store.name,
                    "currency_id": store.currency_id.id,
                    "values": {m["key"]: values[store.id].get(m["key"], 0) for m in measures},
                }
                for store in stores
            ],
        }

    @api.model
    def action_open_measure(self, key, store_id):
        """The report behind one figure of one store, filtered as the figure."""
        measure = next((m for m in self._vms_dashboard_readable() if m["key"] == key), None)
        if (
            measure is None
            or not isinstance(store_id, int)
            or isinstance(store_id, bool)
            or store_id not in self.env.companies.ids
        ):
            raise UserError(_("This figure is not on your dashboard."))
        action = self.env["ir.actions.act_window"]._for_xml_id(measure["action"])
        action["domain"] = [*measure["domain"], ("store_id", "=", store_id)]
        store = self.env["res.company"].browse(store_id)
        action["name"] = action["display_name"] = f"{measure['label']} - {store.name}"
        return action
