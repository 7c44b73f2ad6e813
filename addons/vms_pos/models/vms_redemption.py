from odoo import fields, models


class VmsRedemption(models.Model):
    """Which till, order and payment line a hold was made for.

    The till keys every hold by the order's and the payment line's uuids; the
    order's sync finds its holds by them, closing a session releases the holds
    it left open, and the OTP a customer approved the order's voucher payments
    with is kept here until the sync confirms them.
    """

    _inherit = "vms.redemption"

    pos_session_id = fields.Many2one(
        "pos.session", string="POS Session", readonly=True, index="btree_not_null"
    )
    pos_order_uuid = fields.Char(string="POS Order", readonly=True, index="btree_not_null")
    pos_payment_uuid = fields.Char(string="POS Payment", readonly=True, index="btree_not_null")
    pos_hold_key = fields.Char(
        string="POS Hold Key",
        readonly=True,
        index="btree_not_null",
        help="The till's idempotency key of the hold (order, payment line, attempt).",
    )
    pos_fingerprint = fields.Char(
        readonly=True,
        help="Digest of the lines, bill, customer and card the hold was checked against; the "
        "sync checks again if the order changed since.",
    )
    pos_otp_id = fields.Many2one(
        "vms.otp", string="Approved by OTP", readonly=True, groups="vms_loyalty.group_vms_manager"
    )
