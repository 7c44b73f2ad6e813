from odoo import fields, models, tools
from odoo.tools import SQL


class VmsReportCampaign(models.Model):
    """Campaign effect: what happened to a campaign's vouchers, per period.

    One row per operation of the chronology that counts (generating, handing
    over, activating, using, reversing), dated when it happened, so that any
    period sums the vouchers issued, handed over, activated and redeemed in
    it, and the amount redeemed (net of reversals).

    The redemption rate is the share of the vouchers issued in the period that
    have been spent since (their spent amount is above zero or they are used):
    it is carried by the "generate" rows only and is NULL elsewhere, so that
    its average over any group is exactly that share.
    """

    _name = "vms.report.campaign"
    _description = "Campaign Effect Analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "campaign_id"

    date = fields.Datetime(readonly=True)
    campaign_id = fields.Many2one("vms.campaign", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    store_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    issued_count = fields.Integer(string="Issued", readonly=True)
    handed_over_count = fields.Integer(string="Handed Over", readonly=True)
    activated_count = fields.Integer(string="Activated", readonly=True)
    redeemed_count = fields.Integer(string="Redemptions", readonly=True)
    redemption_rate = fields.Float(
        string="Redemption Rate (%)", readonly=True, aggregator="avg", digits=(16, 2)
    )
    amount = fields.Monetary(string="Amount Redeemed", readonly=True)

    def init(self):
        # Dropped with CASCADE: a view reading this one (the operator audit
        # reads the redemptions) is made again by its own model's init, later.
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %s AS (
                SELECT t.id,
                       t.date,
                       v.campaign_id,
                       t.company_id,
                       COALESCE(t.store_id, t.company_id) AS store_id,
                       co.currency_id,
                       (t.type = 'generate')::int4 AS issued_count,
                       (t.type = 'hand_over')::int4 AS handed_over_count,
                       (t.type = 'activate')::int4 AS activated_count,
                       (t.type = 'use')::int4 AS redeemed_count,
                       CASE WHEN t.type <> 'generate' THEN NULL
                            WHEN v.spent_amount > 0 OR v.state = 'used' THEN 100.0
                            ELSE 0.0 END AS redemption_rate,
                       CASE t.type WHEN 'use' THEN t.amount
                                   WHEN 'reverse' THEN -t.amount
                                   ELSE 0 END AS amount
                  FROM vms_voucher_transaction t
                  JOIN vms_voucher v ON v.id = t.voucher_id
             LEFT JOIN res_company co ON co.id = t.company_id
                 WHERE t.state = 'recorded'
                   AND t.type IN ('generate', 'hand_over', 'activate', 'use', 'reverse')
                )
                """,
                SQL.identifier(self._table),
            )
        )
