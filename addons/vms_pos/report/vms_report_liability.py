from odoo import fields, models, tools
from odoo.tools import SQL

LIABILITY_KINDS = [
    ("gift", "Gift Vouchers Sold"),
    ("promotional", "Promotional Vouchers"),
    ("points", "Points (Estimate)"),
]


class VmsReportLiability(models.Model):
    """What the retailer owes today, and when it expires unused.

    - Gift vouchers sold at the till (on the books: their sale was credited
      to the voucher liability account, and what is left of them is what the
      accountant reconciles that account with): their remaining balance.
    - Promotional vouchers (handed over or active, never sold): their
      remaining balance, apart, since no one paid for them.
    - Points: the points left in unexpired lots at the programme's point
      value, an estimate (a member's debt is not taken off).

    Only what is still spendable counts: not used, balance above zero, not
    expired today. ``expires_on`` is the voucher's last valid day or the
    lot's expiry: grouped by month it is the forecast of what expires unused.
    ``company_id`` is the retailer (root company), ``store_id`` the company
    or branch the voucher or the points belong to.
    """

    _name = "vms.report.liability"
    _description = "Voucher and Points Liability"
    _auto = False
    _order = "expires_on, id"

    kind = fields.Selection(LIABILITY_KINDS, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    store_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    voucher_id = fields.Many2one("vms.voucher", readonly=True)
    campaign_id = fields.Many2one("vms.campaign", readonly=True)
    lot_id = fields.Many2one("vms.points.lot", string="Points Lot", readonly=True)
    expires_on = fields.Date(readonly=True)
    amount = fields.Monetary(string="Outstanding", readonly=True)
    points = fields.Float(string="Points Outstanding", digits=(16, 3), readonly=True)
    count = fields.Integer(string="Vouchers or Lots", readonly=True)

    def init(self):
        # "Still owed" ends on the store's date (its own time zone), as the
        # engine's validity does; the database's CURRENT_DATE is UTC's.
        # Dropped with CASCADE: a view reading this one (the operator audit
        # reads the redemptions) is made again by its own model's init, later.
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %s AS (
                SELECT v.id * 2 AS id,
                       CASE WHEN v.pos_order_line_id IS NOT NULL THEN 'gift'
                            ELSE 'promotional' END AS kind,
                       split_part(co.parent_path, '/', 1)::int4 AS company_id,
                       v.company_id AS store_id,
                       co.currency_id,
                       v.id AS voucher_id,
                       v.campaign_id,
                       NULL::int4 AS lot_id,
                       v.valid_to AS expires_on,
                       v.balance AS amount,
                       0.0::numeric AS points,
                       1 AS count
                  FROM vms_voucher v
                  JOIN res_company co ON co.id = v.company_id
                 WHERE v.state IN ('handed_over', 'active', 'blocked')
                   AND v.balance > 0
                   AND (v.valid_to IS NULL
                        OR v.valid_to >= (now() AT TIME ZONE COALESCE(co.vms_tz, 'UTC'))::date)
             UNION ALL
                SELECT l.id * 2 + 1,
                       'points',
                       split_part(co.parent_path, '/', 1)::int4,
                       COALESCE(m.store_id, l.company_id),
                       co.currency_id,
                       NULL::int4,
                       NULL::int4,
                       l.id,
                       l.expires_on,
                       ROUND(l.remaining * COALESCE(pp.point_value, 0), 2),
                       l.remaining,
                       1
                  FROM vms_points_lot l
                  JOIN res_company co ON co.id = l.company_id
             LEFT JOIN vms_points_program pp ON pp.company_id = l.company_id
             LEFT JOIN vms_points_move m ON m.id = l.move_id
                 WHERE l.remaining > 0
                   AND (l.expires_on IS NULL
                        OR l.expires_on >= (now() AT TIME ZONE COALESCE(co.vms_tz, 'UTC'))::date)
                )
                """,
                SQL.identifier(self._table),
            )
        )
