from markupsafe import Markup

from odoo import _, fields, models


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

    def _vms_pos_report_conflict(self, order, payment, reason):
        """A voucher payment the sync could not confirm: an activity for a VMS
        Manager to settle it (collect or write off)."""
        self.ensure_one()
        group = self.env.ref("vms_loyalty.group_vms_manager")
        managers = group.sudo().all_user_ids.filtered(
            lambda user: not user.share and self.company_id in user.company_ids
        )
        manager = managers.sorted("id")[:1] or self.env.ref("base.user_admin")
        note = Markup("<p>%s</p><p>%s</p>") % (
            _(
                "POS order %(order)s (%(till)s, cashier %(cashier)s) was paid %(amount)s with "
                "this voucher, but the payment could not be confirmed at the sync.",
                order=order.name,
                till=order.config_id.name,
                cashier=order.user_id.name,
                amount=order.currency_id.format(payment.amount),
            ),
            reason,
        )
        # sudo: the cashier's sync reports the conflict; activities on vouchers
        # are otherwise for the back office only.
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Voucher payment to settle"),
            note=note,
            user_id=manager.id,
        )
