from odoo import fields, models

PANEL_KINDS = [
    ("voucher", "Voucher"),
    ("points", "Points"),
    ("reward", "Reward"),
]


class VmsPanelRedemption(models.Model):
    """What the redemption panel recorded of one redemption made at a branch:
    who made it, at which store, with the receipt remarks the store user
    typed. The money or points moved are the engine's (the redemption and
    its chronology or ledger rows); this record only adds the remarks and
    keeps the branch's list of the day. Written by the panel (sudo, once the
    engine confirmed); no group may create, edit or delete one."""

    _name = "vms.panel.redemption"
    _description = "Panel Redemption"
    _order = "id desc"
    _rec_name = "reference"
    _check_company_auto = True

    redemption_id = fields.Many2one(
        "vms.redemption", required=True, readonly=True, ondelete="restrict", index=True
    )
    kind = fields.Selection(PANEL_KINDS, required=True, readonly=True)
    reference = fields.Char(readonly=True, help="The code the customer showed, as recognised.")
    store_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="Store User", required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    currency_id = fields.Many2one(related="redemption_id.currency_id")
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    points = fields.Float(digits=(16, 3), readonly=True)
    remarks = fields.Char(string="Receipt Remarks", readonly=True)
    balance = fields.Monetary(string="Balance After", readonly=True, currency_field="currency_id")

    _redemption_unique = models.Constraint(
        "UNIQUE(redemption_id)", "A redemption is recorded once by the panel."
    )
