"""Holds made before a hold named its store: the store is where their spend
was recorded (the chronology row of a voucher, the ledger move of points).
Holds released or expired before that stay without a store; their company's
users see them, as before."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE vms_redemption r
           SET store_id = COALESCE(t.store_id, m.store_id)
          FROM vms_redemption spent
          LEFT JOIN vms_voucher_transaction t ON t.id = spent.use_transaction_id
          LEFT JOIN vms_points_move m ON m.id = spent.points_move_id
         WHERE r.id = spent.id
           AND r.store_id IS NULL
           AND COALESCE(t.store_id, m.store_id) IS NOT NULL
        """
    )
