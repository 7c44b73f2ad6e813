import secrets

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools import rules


class VmsPointsSpend(models.AbstractModel):
    """What the back office's points wizards share: the member's account and
    card, and the OTP the rules may ask for (sent to the member's mobile,
    typed by the operator), as at the till."""

    _name = "vms.points.spend"
    _description = "Spend Points in the Back Office"

    account_id = fields.Many2one("vms.points.account", required=True, readonly=True)
    partner_id = fields.Many2one(related="account_id.partner_id")
    points_available = fields.Float(related="account_id.points_available", digits=(16, 3))
    currency_id = fields.Many2one(related="account_id.currency_id")
    card_id = fields.Many2one(
        "vms.card",
        domain="[('partner_id', '=', partner_id), ('state', '=', 'active')]",
        help="The member's card (optional).",
    )
    reference = fields.Char(
        required=True,
        readonly=True,
        default=lambda self: f"BO-{secrets.token_hex(4).upper()}",
        help="The operation's reference: the OTP is sent for it.",
    )
    value = fields.Monetary(compute="_compute_value", currency_field="currency_id")
    otp_required = fields.Boolean(compute="_compute_value")
    otp_id = fields.Many2one("vms.otp", readonly=True)
    otp_code = fields.Char(string="Code from the Member's SMS")

    def _vms_points_wanted(self):
        raise NotImplementedError

    @api.depends("account_id")
    def _compute_value(self):
        for wizard in self:
            program = wizard.account_id._vms_program(required=False)
            wizard.value = program.to_money(wizard._vms_points_wanted()) if program else 0.0
            store = wizard.account_id.company_id._vms_store()
            wizard.otp_required = rules.otp_required(store, wizard.partner_id.id, wizard.value)

    def _vms_holder(self):
        return self.card_id or self.partner_id

    def _vms_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_send_code(self):
        self.ensure_one()
        if not self.value:
            raise UserError(_("Choose what to spend first."))
        otp = self.env["vms.otp"]._vms_request(
            self.partner_id,
            self.value,
            self.reference,
            "points_redemption",
            currency=self.currency_id,
            company=self.account_id.company_id,
        )
        self.otp_id = otp.id
        return self._vms_reopen()

    def _vms_otp_values(self):
        return {
            "order_ref": self.reference,
            "otp_id": self.otp_id.id or None,
            "otp_code": (self.otp_code or "").strip() or None,
            # One operation per wizard: a second click is the same request.
            "idempotency_key": f"bo-{self._name}-{self.id}-{self.reference}",
            "channel": "backoffice",
        }
