from odoo import api, fields, models


class VmsVoucher(models.Model):
    """Vouchers issued at the till: the order they came from, and conflicts."""

    _inherit = "vms.voucher"

    pos_order_id = fields.Many2one(
        "pos.order", string="Issued on POS Order", readonly=True, index="btree_not_null"
    )
    pos_order_line_id = fields.Many2one(
        "pos.order.line",
        string="Sold on POS Order Line",
        readonly=True,
        help="The gift voucher product line this voucher was sold with.",
    )

    pos_conflict_ids = fields.One2many(
        "vms.offline.conflict", "voucher_id", string="Payment Conflicts", readonly=True
    )
    pos_conflict_open = fields.Boolean(
        string="Conflict to Settle",
        compute="_compute_pos_conflict_open",
        store=True,
        help="A till booked a payment with this voucher that the server could not confirm.",
    )

    @api.depends("pos_conflict_ids.state")
    def _compute_pos_conflict_open(self):
        for voucher in self:
            voucher.pos_conflict_open = any(c.state == "open" for c in voucher.pos_conflict_ids)

    def _vms_pos_report_conflict(self, order, payment, reason, error_code=None):
        """A voucher payment held online that the sync could not confirm (the
        hold expired, and the balance was spent meanwhile): the conflict goes
        to the back-office queue, for a VMS Manager to settle (collect or
        write off)."""
        self.ensure_one()
        return self.env["vms.offline.conflict"]._vms_report(
            order,
            payment,
            kind="late",
            code=self.code,
            voucher=self,
            confirmed=0.0,
            reason=reason,
            error_code=error_code,
        )
