import logging
from datetime import timedelta

from odoo import api, fields, models

from ..tools.counting import counting_cursor

_logger = logging.getLogger(__name__)
# The operator audit compares a month with the same month a year before.
KEEP_FOR = timedelta(days=400)


class VmsRefusal(models.Model):
    """A redemption request the engine refused, for the operator audit.

    The refused request is rolled back, so the row is written on a connection
    of its own that commits at once (see tools/counting.py), like wrong PINs.
    It holds no personal data and no code: when, the refusal's reason code
    (``voucher_blocked``, ``voucher_not_found`` ...), the operator and the
    store. Ids, not Many2one: that connection must never wait for a lock the
    request holds, as a foreign key check would.

    Only refused spends are recorded, vouchers and points alike (holds,
    confirmations, one-call redemptions, conversions, reward claims and
    reversals, from the till, the panel or the API: see tools/audit.py), not
    refused previews (validate): a preview spends nothing, the same code is
    often checked again before it is spent, and the API serves previews
    read-only, possibly from a replica, which an audit write would tie back
    to the primary.
    """

    _name = "vms.refusal"
    _description = "Refused Redemption"
    _order = "id desc"
    _log_access = False

    date = fields.Datetime(required=True, readonly=True, index=True)
    code = fields.Char(string="Reason", required=True, readonly=True)
    user_id = fields.Integer(string="Operator ID", required=True, readonly=True)
    store_id = fields.Integer(string="Store ID", readonly=True)

    @api.model
    def _vms_record(self, code):
        """Remember a refusal of the current request (never raises: the
        refusal itself is what the caller gets)."""
        try:
            store_id = self.env["res.company"]._vms_current().id
            with counting_cursor(self.env) as counter:
                counter.execute(
                    "INSERT INTO vms_refusal (date, code, user_id, store_id) "
                    "VALUES (%s, %s, %s, %s)",
                    [fields.Datetime.now(), str(code)[:64], self.env.uid, store_id],
                )
        except Exception:  # noqa: BLE001 - an audit row never hides the refusal
            _logger.warning("could not record a refused redemption (%s)", code, exc_info=True)

    @api.autovacuum
    def _gc_old_refusals(self):
        self.env.cr.execute(
            "DELETE FROM vms_refusal WHERE date < %s", [fields.Datetime.now() - KEEP_FOR]
        )
