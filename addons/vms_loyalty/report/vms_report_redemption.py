from odoo import fields, models, tools
from odoo.tools import SQL

REDEMPTION_KINDS = [("voucher", "Voucher"), ("points", "Points")]


class VmsReportRedemption(models.Model):
    """Loyalty redemptions, vouchers and points together: one row per
    redemption or reversal, read from the chronology and the points ledger.

    It backs both reports: the date/customer wise summary (pivot and graph,
    grouped by day, week or month, store, operator, channel, campaign,
    customer) and the customer wise detailed list (every redemption with its
    bill, amount, points, store, operator, channel and remarks). A reversal is
    a row of its own with a negative amount, so that sums are net.

    Points converted into a voucher are not counted here: the voucher they
    bought is, when it is spent. Every join is a LEFT JOIN on a unique key, so
    that PostgreSQL drops those a grouping does not need.
    """

    _name = "vms.report.redemption"
    _description = "Loyalty Redemption Analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "bill_ref"

    kind = fields.Selection(REDEMPTION_KINDS, readonly=True)
    date = fields.Datetime(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    store_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Operator", readonly=True)
    channel = fields.Selection(
        selection=lambda self: self.env["vms.voucher.transaction"]._fields["channel"].selection,
        readonly=True,
    )
    campaign_id = fields.Many2one("vms.campaign", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    voucher_id = fields.Many2one("vms.voucher", readonly=True)
    points_account_id = fields.Many2one("vms.points.account", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    redemption_count = fields.Integer(string="Redemptions", readonly=True)
    reversal_count = fields.Integer(string="Reversals", readonly=True)
    amount = fields.Monetary(string="Amount Redeemed", readonly=True)
    points = fields.Float(string="Points Redeemed", digits=(16, 3), readonly=True)
    bill_ref = fields.Char(string="Bill", readonly=True)
    bill_amount = fields.Monetary(readonly=True)
    remarks = fields.Char(readonly=True)
    is_reversal = fields.Boolean(string="Reversal", readonly=True)

    def _vms_query(self):
        return SQL(
            """
            SELECT t.id * 2 AS id,
                   'voucher' AS kind,
                   t.date,
                   t.company_id,
                   COALESCE(t.store_id, t.company_id) AS store_id,
                   t.user_id,
                   t.channel,
                   v.campaign_id,
                   COALESCE(v.partner_id, card.partner_id) AS partner_id,
                   t.voucher_id,
                   NULL::int4 AS points_account_id,
                   co.currency_id,
                   (t.type = 'use')::int4 AS redemption_count,
                   (t.type = 'reverse')::int4 AS reversal_count,
                   CASE WHEN t.type = 'use' THEN t.amount ELSE -t.amount END AS amount,
                   0.0::numeric AS points,
                   t.bill_ref,
                   t.bill_amount,
                   t.reason AS remarks,
                   t.type = 'reverse' AS is_reversal
              FROM vms_voucher_transaction t
         LEFT JOIN vms_voucher v ON v.id = t.voucher_id
         LEFT JOIN vms_card card ON card.id = v.card_id
         LEFT JOIN res_company co ON co.id = t.company_id
             WHERE t.type IN ('use', 'reverse') AND t.state = 'recorded'
         UNION ALL
            SELECT m.id * 2 + 1,
                   'points',
                   m.date,
                   m.company_id,
                   COALESCE(m.store_id, m.company_id),
                   m.user_id,
                   m.channel,
                   NULL::int4,
                   acc.partner_id,
                   NULL::int4,
                   m.account_id,
                   co.currency_id,
                   (m.type = 'redeem')::int4,
                   (m.type = 'reverse')::int4,
                   -- The money the points paid: the hold's amount, in proportion
                   -- for a partial reversal; at the point value without a hold.
                   ROUND(
                       (CASE WHEN r.points > 0 THEN -m.points * r.amount / r.points
                             ELSE -m.points * COALESCE(pp.point_value, 0) END)::numeric,
                       2
                   ),
                   -m.points,
                   m.order_ref,
                   m.bill_amount,
                   m.reason,
                   m.type = 'reverse'
              FROM vms_points_move m
         LEFT JOIN vms_points_account acc ON acc.id = m.account_id
         LEFT JOIN vms_redemption r ON r.id = m.redemption_id
         LEFT JOIN vms_points_program pp ON pp.company_id = m.company_id
         LEFT JOIN res_company co ON co.id = m.company_id
             WHERE m.type = 'redeem'
                OR (m.type = 'reverse' AND m.redemption_id IS NOT NULL
                    AND r.points_purpose IN ('redeem', 'reward'))
            """
        )

    def init(self):
        # Dropped with CASCADE: a view reading this one (the operator audit
        # reads the redemptions) is made again by its own model's init, later.
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._vms_query())
        )
