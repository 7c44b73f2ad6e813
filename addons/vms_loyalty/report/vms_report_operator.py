from odoo import fields, models, tools
from odoo.tools import SQL


class VmsReportOperator(models.Model):
    """Operator audit: what each operator did at each store, one row per
    event: a redemption (with its amount, and whether it had a customer), a
    reversal, a refused request (``vms.refusal``), an OTP sent and an OTP
    that failed (never used: replaced by a newer code or expired)."""

    _name = "vms.report.operator"
    _inherit = ["vms.report.operator.measures"]
    _description = "Operator Audit"
    _auto = False
    _order = "date desc"

    date = fields.Datetime(readonly=True)

    def _vms_query(self):
        return SQL(
            """
            SELECT r.id * 4 AS id, r.date, r.user_id, r.store_id, r.currency_id,
                   r.redemption_count, r.amount, 0 AS refusal_count, 0 AS otp_sent_count,
                   0 AS otp_failed_count,
                   (r.redemption_count = 1 AND r.partner_id IS NULL)::int4 AS no_customer_count,
                   r.reversal_count
              FROM vms_report_redemption r
         UNION ALL
            SELECT f.id * 4 + 1, f.date, f.user_id, f.store_id, co.currency_id,
                   0, 0, 1, 0, 0, 0, 0
              FROM vms_refusal f
         LEFT JOIN res_company co ON co.id = f.store_id
         UNION ALL
            SELECT o.id * 4 + 2, o.create_date, o.create_uid, o.company_id, o.currency_id,
                   0, 0, 0, 1,
                   (o.state <> 'used' AND (o.state = 'canceled'
                        OR o.expires_at < (now() AT TIME ZONE 'UTC')))::int4,
                   0, 0
              FROM vms_otp o
            """
        )

    def init(self):
        # Dropped with CASCADE: a view reading this one (the operator audit
        # reads the redemptions) is made again by its own model's init, later.
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._vms_query())
        )
