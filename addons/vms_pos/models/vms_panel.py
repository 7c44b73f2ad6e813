from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from ..tools.receipt_image import receipt_png


class VmsPanel(models.AbstractModel):
    """The panel's "Print slip": the slip of a redemption made at the panel,
    on the receipt printer of the store's point of sale, through its hardware
    proxy on Odoo's bus; with it, a voucher the redemption issued (what was
    left paid out as a new voucher, or points turned into one), its QR code
    scannable."""

    _inherit = "vms.panel"

    @api.model
    def _vms_panel_printer(self):
        """The store's point of sale whose proxy prints: the oldest of the
        store's tills with a proxy on Odoo's bus."""
        store = self._vms_panel_store()
        # sudo: a store user may not read the tills' configuration; only which
        # of its own store's tills has a bus proxy is looked up, to print on it.
        config = (
            self.env["pos.config"]
            .sudo()
            .search(
                [
                    ("company_id", "=", store.id),
                    ("is_posbox", "=", True),
                    ("vms_proxy_bus_secret", "!=", False),
                ],
                order="id",
                limit=1,
            )
        )
        if not config:
            raise UserError(
                _(
                    "No point of sale of %s has a hardware proxy on Odoo's bus to print on.",
                    store.name,
                )
            )
        return config

    @api.model
    def _vms_panel_print_slip(self, redemption_id):
        """Print the slip of the panel redemption ``redemption_id`` made at
        this store; returns ``{"till": name, "jobs": count}``."""
        self._vms_panel_check_user()
        store = self._vms_panel_store()
        if not isinstance(redemption_id, int) or isinstance(redemption_id, bool):
            raise UserError(_("Which redemption's slip? Redeem first, then print."))
        # sudo: the panel's records are read by nobody's rights but the panel's;
        # the store is the request's own, checked by the controller.
        record = (
            self.env["vms.panel.redemption"]
            .sudo()
            .search([("redemption_id", "=", redemption_id), ("store_id", "=", store.id)], limit=1)
        )
        if not record:
            raise UserError(_("This redemption was not made in the panel of %s.", store.name))
        config = self._vms_panel_printer()
        width = config.vms_proxy_printer_width or 512
        jobs = config._vms_hw_print_image(
            receipt_png(self._vms_panel_slip_lines(record), width), name=record.reference
        )
        redemption = record.redemption_id
        for issued in redemption.remainder_voucher_id | redemption.points_voucher_id:
            slip = self.env["vms.voucher.print.store"]._vms_voucher_slip(issued, width)
            jobs |= config._vms_hw_print_image(slip, name=issued.code)
        return {"till": config.name, "jobs": len(jobs)}

    @api.model
    def _vms_panel_slip_lines(self, record):
        """What the customer takes away: where and when, what was redeemed,
        what is left, the remarks and who served."""
        store = record.store_id
        currency = record.currency_id
        when = fields.Datetime.context_timestamp(
            self.with_context(tz=store._vms_store().tz or "UTC"), record.date
        )
        lines = [
            store.name,
            _("Redemption %s", when.strftime("%Y-%m-%d %H:%M")),
            dict(record._fields["kind"].selection)[record.kind],
            record.reference or "",
        ]
        if record.kind == "voucher":
            lines += [
                _("Paid: %s", formatLang(self.env, record.amount, currency_obj=currency)),
                _("Balance left: %s", formatLang(self.env, record.balance, currency_obj=currency)),
            ]
        else:
            lines.append(_("Points: %s", formatLang(self.env, record.points, digits=0)))
        if record.remarks:
            lines.append(record.remarks)
        lines.append(_("Served by %s", record.user_id.name))
        return lines
