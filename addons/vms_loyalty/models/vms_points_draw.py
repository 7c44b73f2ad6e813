from odoo import _, api, fields, models
from odoo.exceptions import UserError


class VmsPointsDraw(models.Model):
    """Points a move took from a lot (positive) or gave back to it (negative,
    a refund re-crediting the lot). Append-only, like the moves."""

    _name = "vms.points.draw"
    _description = "Points Drawn from a Lot"
    _order = "id"
    _log_access = False

    move_id = fields.Many2one(
        "vms.points.move", required=True, readonly=True, ondelete="restrict", index=True
    )
    lot_id = fields.Many2one(
        "vms.points.lot", required=True, readonly=True, ondelete="restrict", index=True
    )
    points = fields.Float(digits=(16, 3), readonly=True)
    expires_on = fields.Date(related="lot_id.expires_on")
    move_type = fields.Selection(related="move_id.type", string="Move Type")

    def init(self):
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION vms_points_append_only()
            RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% rows are never changed nor deleted', TG_TABLE_NAME;
            END $$;
            DROP TRIGGER IF EXISTS vms_points_draw_append_only ON vms_points_draw;
            CREATE TRIGGER vms_points_draw_append_only
                BEFORE UPDATE OR DELETE ON vms_points_draw
                FOR EACH ROW EXECUTE FUNCTION vms_points_append_only();
            """
        )

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")
        if vals_list:
            raise UserError(_("Points draws are written by the points ledger itself."))
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")
        if vals:
            raise UserError(_("The points ledger is never edited."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("The points ledger is never deleted."))
