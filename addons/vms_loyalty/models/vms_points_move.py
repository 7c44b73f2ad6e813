from odoo import _, api, fields, models
from odoo.exceptions import UserError

MOVE_TYPES = [
    ("earn", "Earning"),
    ("redeem", "Redeeming"),
    ("convert", "Converting to a Voucher"),
    ("expire", "Expiring"),
    ("adjust", "Adjusting"),
    ("reverse", "Reversing"),
]


class VmsPointsMove(models.Model):
    """The points ledger: one row per change of a member's points, never edited.

    ``points`` is what the move changed the balance by (earned points are
    positive, spent ones negative). An earning (or a positive adjustment) is
    also a lot (``vms.points.lot``) with its own expiry; a move that takes
    points records which lots it took them from (``vms.points.draw``); what a
    move takes back that was already spent becomes a debt (``debt_change``)
    that the next points coming in pay first. So, for every move::

        points = points of the lots it made - points it drew + points it gave
                 back to lots - debt_change

    and the account's debt is the sum of its moves' ``debt_change``
    (``vms.points.account._vms_check_ledger`` checks both).

    Rows are written by the ledger only (``vms.points.ledger``), with SQL, and
    a database trigger refuses UPDATE and DELETE whatever the client.
    """

    _name = "vms.points.move"
    _description = "Points Move"
    _order = "id desc"
    _log_access = False
    _rec_name = "type"
    _check_company_auto = True

    # Indexed by _account_idx (account, id): the ledger of one member, in order.
    account_id = fields.Many2one(
        "vms.points.account", required=True, readonly=True, ondelete="restrict"
    )
    partner_id = fields.Many2one(related="account_id.partner_id", string="Member")
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="restrict")
    type = fields.Selection(MOVE_TYPES, required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True)
    points = fields.Float(digits=(16, 3), readonly=True)
    debt_change = fields.Float(
        digits=(16, 3), readonly=True, help="Debt this move made (positive) or paid (negative)."
    )
    expires_on = fields.Date(readonly=True, help="Expiry of the lot this move made.")
    reason = fields.Char(readonly=True)
    order_ref = fields.Char(string="Order", readonly=True, index="btree_not_null")
    earned_order = fields.Char(
        readonly=True,
        copy=False,
        help="On the first earning of an order: the order as it earns once (its store, its "
        "channel, the web shop for the API, and its reference). Unique, so that two cards "
        "naming one order at the same moment cannot both earn on it.",
    )
    bill_amount = fields.Float(digits=(16, 6), readonly=True)
    store_id = fields.Many2one("res.company", readonly=True, ondelete="restrict")
    user_id = fields.Many2one("res.users", string="Operator", readonly=True, ondelete="restrict")
    channel = fields.Selection(
        selection=lambda self: self.env["vms.voucher.transaction"]._fields["channel"].selection,
        readonly=True,
    )
    card_id = fields.Many2one("vms.card", string="Club Card", readonly=True, ondelete="restrict")
    idempotency_key = fields.Char(readonly=True, copy=False)
    origin_id = fields.Many2one(
        "vms.points.move", string="Reversed Move", readonly=True, index="btree_not_null"
    )
    reversal_ids = fields.One2many("vms.points.move", "origin_id", readonly=True)
    redemption_id = fields.Many2one("vms.redemption", readonly=True, index="btree_not_null")
    voucher_id = fields.Many2one(
        "vms.voucher", string="Voucher Issued", readonly=True, index="btree_not_null"
    )
    detail = fields.Json(
        readonly=True,
        help="Earning: item id -> [bill amount, points]; taking an earning back: item id -> "
        "refunded amount.",
    )
    lot_ids = fields.One2many("vms.points.lot", "move_id", string="Lots Made", readonly=True)
    draw_ids = fields.One2many("vms.points.draw", "move_id", string="Lots Drawn", readonly=True)

    _idempotency_key_unique = models.UniqueIndex(
        "(idempotency_key) WHERE idempotency_key IS NOT NULL",
        "This idempotency key was already used.",
    )
    _earned_order_unique = models.UniqueIndex(
        "(earned_order) WHERE earned_order IS NOT NULL",
        "This order has earned its points already.",
    )
    _account_idx = models.Index("(account_id, id)")

    def init(self):
        # Append-only also for SQL clients, not only for the ORM.
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION vms_points_append_only()
            RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% rows are never changed nor deleted', TG_TABLE_NAME;
            END $$;
            DROP TRIGGER IF EXISTS vms_points_move_append_only ON vms_points_move;
            CREATE TRIGGER vms_points_move_append_only
                BEFORE UPDATE OR DELETE ON vms_points_move
                FOR EACH ROW EXECUTE FUNCTION vms_points_append_only();
            """
        )

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # the ACL refuses first, for everyone but sudo
        if vals_list:
            raise UserError(_("Points moves are written by the points ledger itself; not by hand."))
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")
        if vals:
            raise UserError(_("The points ledger is never edited; corrections are new moves."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("The points ledger is never deleted."))

    def copy(self, default=None):
        if self:
            raise UserError(_("Points moves cannot be duplicated."))
        return super().copy(default)
