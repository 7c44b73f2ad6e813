"""Holds of tills made before a hold named its store, and never spent: the
store is the company of the till that took them."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE vms_redemption r
           SET store_id = c.company_id
          FROM pos_session s
          JOIN pos_config c ON c.id = s.config_id
         WHERE s.id = r.pos_session_id AND r.store_id IS NULL
        """
    )
