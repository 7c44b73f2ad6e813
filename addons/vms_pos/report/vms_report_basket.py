from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.pos_payment_method import TERMINAL


class VmsReportBasket(models.Model):
    """Basket size of paid POS orders, with a voucher among their payments or
    without: one row per order, with its bill amount and item count, so that
    the pivot compares the average bill and the average item count of both in
    the same stores (companies, points of sale) and period."""

    _name = "vms.report.basket"
    _description = "Basket Size with and without Vouchers"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "order_id"

    date = fields.Datetime(string="Order Date", readonly=True)
    order_id = fields.Many2one("pos.order", readonly=True)
    company_id = fields.Many2one("res.company", string="Store", readonly=True)
    config_id = fields.Many2one("pos.config", string="Point of Sale", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    with_voucher = fields.Boolean(string="Paid with a Voucher", readonly=True)
    order_count = fields.Integer(string="Orders", readonly=True)
    bill_amount = fields.Monetary(string="Average Bill", readonly=True, aggregator="avg")
    item_count = fields.Float(
        string="Average Item Count", readonly=True, aggregator="avg", digits=(16, 2)
    )
    voucher_amount = fields.Monetary(string="Paid with Vouchers", readonly=True)

    def init(self):
        # Dropped with CASCADE: a view reading this one (the operator audit
        # reads the redemptions) is made again by its own model's init, later.
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %(view)s AS (
                SELECT o.id,
                       o.date_order AS date,
                       o.id AS order_id,
                       o.company_id,
                       o.config_id,
                       o.partner_id,
                       co.currency_id,
                       vp.amount IS NOT NULL AS with_voucher,
                       1 AS order_count,
                       o.amount_total AS bill_amount,
                       COALESCE(lines.qty, 0) AS item_count,
                       COALESCE(vp.amount, 0) AS voucher_amount
                  FROM pos_order o
             LEFT JOIN res_company co ON co.id = o.company_id
             LEFT JOIN (SELECT l.order_id, SUM(l.qty) AS qty
                          FROM pos_order_line l
                      GROUP BY l.order_id) lines ON lines.order_id = o.id
             LEFT JOIN (SELECT p.pos_order_id, SUM(p.amount) AS amount
                          FROM pos_payment p
                          JOIN pos_payment_method pm ON pm.id = p.payment_method_id
                         WHERE pm.use_payment_terminal = %(terminal)s
                      GROUP BY p.pos_order_id) vp ON vp.pos_order_id = o.id
                 WHERE o.state IN ('paid', 'done')
                )
                """,
                view=SQL.identifier(self._table),
                terminal=TERMINAL,
            )
        )
