from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class VmsOfflineConflict(models.Model):
    """A voucher payment the till booked that the server could not confirm.

    A till that accepted a signed voucher offline (or held one online, but
    whose order synced after the hold expired) has already given the goods:
    the order is saved, the payment stays booked on the voucher tender, and
    what the voucher could not pay (the shortfall) lands here for a VMS
    Manager to settle: collected from the customer, or written off.
    """

    _name = "vms.offline.conflict"
    _description = "Voucher Payment Conflict"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True)
    kind = fields.Selection(
        [("offline", "Accepted Offline"), ("late", "Held Online, Synced Late")],
        required=True,
        readonly=True,
    )
    state = fields.Selection(
        [("open", "To Settle"), ("collected", "Collected"), ("written_off", "Written Off")],
        default="open",
        required=True,
        readonly=True,
        tracking=True,
    )
    voucher_id = fields.Many2one("vms.voucher", readonly=True, index="btree_not_null")
    code = fields.Char(string="Voucher Code", readonly=True)
    order_id = fields.Many2one("pos.order", required=True, readonly=True, ondelete="restrict")
    payment_id = fields.Many2one("pos.payment", readonly=True)
    session_id = fields.Many2one(
        related="order_id.session_id", store=True, string="Till Session", index=True
    )
    config_id = fields.Many2one(related="order_id.config_id", store=True, string="Till")
    user_id = fields.Many2one(related="order_id.user_id", store=True, string="Cashier")
    company_id = fields.Many2one(related="order_id.company_id", store=True)
    currency_id = fields.Many2one(related="order_id.currency_id")
    amount = fields.Monetary(string="Paid by Voucher", readonly=True)
    confirmed_amount = fields.Monetary(
        readonly=True, help="What the voucher could still pay, confirmed at the sync."
    )
    shortfall = fields.Monetary(readonly=True, help="What the voucher could not pay.")
    error_code = fields.Char(readonly=True)
    reason = fields.Text(readonly=True)
    settled_by_id = fields.Many2one("res.users", readonly=True)
    settled_at = fields.Datetime(readonly=True)

    @api.model
    def _vms_report(self, order, payment, *, kind, code, voucher, confirmed, reason, error_code):
        """File the conflict of one voucher payment and ask a VMS Manager to settle it."""
        currency = order.currency_id
        values = {
            "name": _("%(order)s / %(code)s", order=order.name, code=code or "?"),
            "kind": kind,
            "voucher_id": voucher.id if voucher else False,
            "code": code,
            "order_id": order.id,
            "payment_id": payment.id,
            "amount": payment.amount,
            "confirmed_amount": confirmed,
            "shortfall": currency.round(payment.amount - confirmed),
            "error_code": error_code,
            "reason": reason,
        }
        # sudo: the cashier's sync files the conflict; the queue itself is the
        # back office's (VMS users read it, managers settle it).
        conflict = self.sudo().create(values)
        conflict._vms_ask_manager()
        if voucher:
            # sudo: the voucher is flagged by the sync of a till's order.
            voucher.sudo().message_post(
                body=Markup("<p>%s</p>")
                % _(
                    "Voucher payment conflict on POS order %(order)s: %(shortfall)s to settle.",
                    order=order.name,
                    shortfall=currency.format(conflict.shortfall),
                )
            )
        return conflict

    def _vms_ask_manager(self):
        group = self.env.ref("vms_loyalty.group_vms_manager")
        for conflict in self:
            managers = group.sudo().all_user_ids.filtered(
                lambda user, c=conflict: not user.share and c.company_id in user.company_ids
            )
            manager = managers.sorted("id")[:1] or self.env.ref("base.user_admin")
            conflict.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Voucher payment to settle"),
                note=Markup("<p>%s</p><p>%s</p>")
                % (
                    _(
                        "POS order %(order)s (%(till)s, cashier %(cashier)s) was paid "
                        "%(amount)s with voucher %(code)s; %(shortfall)s could not be "
                        "confirmed at the sync. Collect it or write it off.",
                        order=conflict.order_id.name,
                        till=conflict.config_id.name,
                        cashier=conflict.user_id.name,
                        amount=conflict.currency_id.format(conflict.amount),
                        code=conflict.code,
                        shortfall=conflict.currency_id.format(conflict.shortfall),
                    ),
                    conflict.reason or "",
                ),
                user_id=manager.id,
            )

    def _vms_settle(self, state, message):
        if not self.env.user.has_group("vms_loyalty.group_vms_manager"):
            raise UserError(_("Only a VMS Manager settles voucher payment conflicts."))
        if any(conflict.state != "open" for conflict in self):
            raise UserError(_("This conflict is settled already."))
        self.write(
            {"state": state, "settled_by_id": self.env.user.id, "settled_at": fields.Datetime.now()}
        )
        for conflict in self:
            conflict.activity_ids.action_feedback(feedback=message)
        return True

    def action_collect(self):
        """The shortfall was collected from the customer (another tender)."""
        return self._vms_settle("collected", _("Shortfall collected."))

    def action_write_off(self):
        """The shop bears the shortfall."""
        return self._vms_settle("written_off", _("Shortfall written off."))
