from odoo import _, api, fields, models
from odoo.exceptions import UserError

LOT_STATES = [("open", "Open"), ("spent", "Spent"), ("expired", "Expired")]


class VmsPointsLot(models.Model):
    """Points earned together, with one expiry date: what an earning (or a
    positive adjustment) brought in, and how much of it is left.

    Spends draw from the lots nearest to expiry first; a refund gives the
    points back to the lots they came from, with their own expiry. Only
    ``remaining`` ever changes, by the ledger, under the account's lock; it
    is always the lot's points minus its draws (``_vms_check_ledger``).
    """

    _name = "vms.points.lot"
    _description = "Points Lot"
    _order = "expires_on asc nulls last, id"
    _log_access = False
    _rec_name = "move_id"
    _check_company_auto = True

    account_id = fields.Many2one(
        "vms.points.account", required=True, readonly=True, ondelete="restrict", index=True
    )
    partner_id = fields.Many2one(related="account_id.partner_id", string="Member")
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="restrict")
    move_id = fields.Many2one(
        "vms.points.move", string="Earned By", required=True, readonly=True, ondelete="restrict"
    )
    date = fields.Datetime(string="Earned On", required=True, readonly=True)
    points = fields.Float(digits=(16, 3), readonly=True)
    remaining = fields.Float(digits=(16, 3), readonly=True)
    expires_on = fields.Date(readonly=True, help="Last day the points may be spent; empty: never.")
    order_ref = fields.Char(related="move_id.order_ref", string="Order")
    state = fields.Selection(LOT_STATES, compute="_compute_state")
    draw_ids = fields.One2many("vms.points.draw", "lot_id", readonly=True)

    _points_bounds = models.Constraint(
        "CHECK(points > 0 AND remaining >= 0 AND remaining <= points)",
        "A lot holds between nothing and the points it was earned with.",
    )
    # The lots a balance is read from: the open ones of one account by expiry.
    _open_idx = models.Index("(account_id, expires_on) WHERE remaining > 0")

    def init(self):
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION vms_points_lot_guard()
            RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'vms_points_lot rows are never deleted';
                END IF;
                IF (NEW.account_id, NEW.move_id, NEW.points, NEW.expires_on, NEW.date)
                   IS DISTINCT FROM
                   (OLD.account_id, OLD.move_id, OLD.points, OLD.expires_on, OLD.date) THEN
                    RAISE EXCEPTION 'only what is left of points lot % changes', OLD.id;
                END IF;
                RETURN NEW;
            END $$;
            DROP TRIGGER IF EXISTS vms_points_lot_guard ON vms_points_lot;
            CREATE TRIGGER vms_points_lot_guard
                BEFORE UPDATE OR DELETE ON vms_points_lot
                FOR EACH ROW EXECUTE FUNCTION vms_points_lot_guard();
            """
        )

    @api.depends("remaining", "expires_on")
    def _compute_state(self):
        for lot in self:
            today = lot.account_id._vms_today()
            if lot.remaining <= 0:
                lot.state = "spent" if not lot._vms_expired_by_move() else "expired"
            elif lot.expires_on and lot.expires_on < today:
                lot.state = "expired"
            else:
                lot.state = "open"

    def _vms_expired_by_move(self):
        return any(draw.move_id.type == "expire" for draw in self.draw_ids)

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")
        if vals_list:
            raise UserError(_("Points lots are made by the points ledger itself; not by hand."))
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")
        if vals:
            raise UserError(_("Points lots change only through the moves of the ledger."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("Points lots are never deleted."))
