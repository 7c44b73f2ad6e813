from odoo import fields, models, tools
from odoo.tools import SQL

from .vms_report_operator_measures import MEASURES

FACTOR = 3  # an operator above FACTOR x the store's median on a measure is flagged


class VmsReportOperatorFlag(models.Model):
    """Operator audit per month: each operator's totals at a store, the
    store's median over its operators that month, and a flag on each measure
    where the operator is above three times that median (a median of zero
    flags anyone above zero: at a store where no one is refused, the one
    operator refused stands out)."""

    _name = "vms.report.operator.flag"
    _inherit = ["vms.report.operator.measures"]
    _description = "Operator Audit Flags"
    _auto = False
    _order = "month desc, store_id, user_id"

    month = fields.Date(readonly=True)
    # Shorter here: a column of the flags list.
    no_customer_count = fields.Integer(string="Without Customer")
    flag_redemption_count = fields.Boolean(string="Many Redemptions", readonly=True)
    flag_amount = fields.Boolean(string="High Amount", readonly=True)
    flag_refusal_count = fields.Boolean(string="Many Refusals", readonly=True)
    flag_otp_sent_count = fields.Boolean(string="Many OTPs Sent", readonly=True)
    flag_otp_failed_count = fields.Boolean(string="Many OTPs Failed", readonly=True)
    flag_no_customer_count = fields.Boolean(string="Many without Customer", readonly=True)
    flag_reversal_count = fields.Boolean(string="Many Reversals", readonly=True)
    flagged = fields.Boolean(readonly=True)
    flag_count = fields.Integer(string="Flags", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        sums = SQL(", ").join(
            SQL("SUM(%s) AS %s", SQL.identifier(m), SQL.identifier(m)) for m in MEASURES
        )
        medians = SQL(", ").join(
            SQL(
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY %s) AS %s",
                SQL.identifier(m),
                SQL.identifier(f"median_{m}"),
            )
            for m in MEASURES
        )
        flags = [
            SQL(
                "(a.%s > %s * m.%s)",
                SQL.identifier(m),
                FACTOR,
                SQL.identifier(f"median_{m}"),
            )
            for m in MEASURES
        ]
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %(view)s AS (
                WITH a AS (
                    SELECT date_trunc('month', date)::date AS month, store_id, user_id,
                           MAX(currency_id) AS currency_id, %(sums)s
                      FROM vms_report_operator
                  GROUP BY 1, 2, 3
                ), m AS (
                    SELECT month, store_id, %(medians)s FROM a GROUP BY 1, 2
                )
                SELECT row_number() OVER (ORDER BY a.month, a.store_id, a.user_id) AS id,
                       a.*, %(flags)s, (%(any)s) AS flagged, (%(count)s) AS flag_count
                  FROM a JOIN m ON m.month = a.month AND m.store_id IS NOT DISTINCT FROM a.store_id
                )
                """,
                view=SQL.identifier(self._table),
                sums=sums,
                medians=medians,
                flags=SQL(", ").join(
                    SQL("%s AS %s", flag, SQL.identifier(f"flag_{m}"))
                    for flag, m in zip(flags, MEASURES, strict=True)
                ),
                any=SQL(" OR ").join(flags),
                count=SQL(" + ").join(SQL("%s::int4", flag) for flag in flags),
            )
        )
