from odoo import fields, models, tools


class VmsOfflineExposure(models.Model):
    """What each till session accepted in vouchers while it could not reach
    the server: how much replayed cleanly, how much conflicted, and the
    limits it was accepted under."""

    _name = "vms.offline.exposure"
    _description = "Offline Voucher Exposure per Till Session"
    _auto = False
    _order = "session_id desc"
    # What the view reads: the ORM flushes these before it is queried.
    _depends = {
        "pos.payment": ["amount", "session_id", "vms_tender", "vms_conflict"],
        "vms.offline.conflict": ["session_id", "shortfall", "state", "kind"],
        "pos.session": ["config_id"],
        "pos.config": ["company_id"],
        "res.company": ["vms_offline_max_amount", "vms_offline_session_max_amount"],
    }

    session_id = fields.Many2one("pos.session", string="Till Session", readonly=True)
    config_id = fields.Many2one("pos.config", string="Till", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    offline_count = fields.Integer(string="Accepted Offline", readonly=True)
    offline_amount = fields.Monetary(string="Amount Accepted Offline", readonly=True)
    clean_amount = fields.Monetary(string="Replayed Cleanly", readonly=True)
    conflict_count = fields.Integer(string="Conflicts", readonly=True)
    conflict_amount = fields.Monetary(string="Amount in Conflict", readonly=True)
    shortfall = fields.Monetary(readonly=True)
    open_conflict_count = fields.Integer(string="Conflicts to Settle", readonly=True)
    limit_voucher = fields.Monetary(string="Limit per Voucher", readonly=True)
    limit_session = fields.Monetary(string="Limit per Session", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS (
                WITH pay AS (
                    SELECT p.session_id,
                           count(*) AS offline_count,
                           sum(p.amount) AS offline_amount,
                           sum(CASE WHEN p.vms_tender->>'state' = 'confirmed'
                                    THEN p.amount ELSE 0 END) AS clean_amount,
                           count(*) FILTER (WHERE p.vms_conflict) AS conflict_count,
                           sum(CASE WHEN p.vms_conflict THEN p.amount ELSE 0 END)
                               AS conflict_amount
                      FROM pos_payment p
                     WHERE p.vms_tender->>'offline' = 'true'
                     GROUP BY p.session_id
                ), conf AS (
                    SELECT c.session_id,
                           sum(c.shortfall) AS shortfall,
                           count(*) FILTER (WHERE c.state = 'open') AS open_conflict_count
                      FROM vms_offline_conflict c
                     WHERE c.kind = 'offline'
                     GROUP BY c.session_id
                )
                SELECT s.id AS id,
                       s.id AS session_id,
                       s.config_id AS config_id,
                       cfg.company_id AS company_id,
                       coalesce(pay.offline_count, 0) AS offline_count,
                       coalesce(pay.offline_amount, 0) AS offline_amount,
                       coalesce(pay.clean_amount, 0) AS clean_amount,
                       coalesce(pay.conflict_count, 0) AS conflict_count,
                       coalesce(pay.conflict_amount, 0) AS conflict_amount,
                       coalesce(conf.shortfall, 0) AS shortfall,
                       coalesce(conf.open_conflict_count, 0) AS open_conflict_count,
                       co.vms_offline_max_amount AS limit_voucher,
                       co.vms_offline_session_max_amount AS limit_session
                  FROM pos_session s
                  JOIN pos_config cfg ON cfg.id = s.config_id
                  JOIN res_company co ON co.id = cfg.company_id
                  JOIN pay ON pay.session_id = s.id
                  LEFT JOIN conf ON conf.session_id = s.id
            )
            """
        )
