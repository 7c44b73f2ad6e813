import hashlib
import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import ConcurrencyError
from odoo.tools import SQL

from ..exceptions import VmsError
from ..tools import rules

KEEP_FOR = timedelta(days=90)


def _canonical(value):
    """A JSON-able, order-independent form of a request's inputs."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, models.BaseModel):
        return sorted(value.ids)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def fingerprint(operation, inputs):
    """The digest of a request: its operation and every input its decision uses."""
    text = json.dumps([operation, _canonical(inputs)], separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class VmsIdempotency(models.Model):
    """A request made once: the answer every retry with the same key gets.

    A key belongs to its caller (the user it was sent by) and to one request:
    the same key with other inputs (another amount, voucher, order, card ...)
    is refused with ``idempotency_key_reused`` and changes nothing; an exact
    retry gets the first answer, before any check that depends on time (a
    campaign's closing hour, an expired hold, a paused PIN). Inputs are kept
    only as a digest; a PIN or an OTP code only ever enters it hashed.
    """

    _name = "vms.idempotency"
    _description = "Idempotent Request"
    _order = "id desc"
    _log_access = False

    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    key = fields.Char(required=True, readonly=True)
    operation = fields.Char(required=True, readonly=True)
    fingerprint = fields.Char(required=True, readonly=True)
    redemption_id = fields.Many2one("vms.redemption", readonly=True, index="btree_not_null")
    response = fields.Json(readonly=True)
    date = fields.Datetime(required=True, readonly=True)

    _user_key_unique = models.Constraint(
        "UNIQUE(user_id, key)", "An idempotency key is used once per caller."
    )

    @api.model
    def _vms_replayed(self, key, operation, inputs):
        """The first answer to this request, None if it is new; refuses a key
        used with another request. Returns ``(answer, fingerprint)``."""
        rules.check_key(self.env, key)
        digest = fingerprint(operation, inputs)
        self.env.cr.execute(
            "SELECT fingerprint, response FROM vms_idempotency WHERE user_id = %s AND key = %s",
            [self.env.uid, key],
        )
        row = self.env.cr.fetchone()
        if row is None:
            return None, digest
        if row[0] != digest:
            raise VmsError(
                "idempotency_key_reused",
                _(
                    "Idempotency key %(key)s was used for another request; send a new key "
                    "for a new request.",
                    key=key,
                ),
            )
        return row[1], digest

    @api.model
    def _vms_insert_sql(self, key, operation, digest, response, redemption_id=None):
        """The INSERT recording an answered request (also run inside the
        express lane's statement)."""
        return SQL(
            """
            INSERT INTO vms_idempotency
                   (user_id, key, operation, fingerprint, redemption_id, response, date)
            VALUES (%s, %s, %s, %s, %s, %s, now() at time zone 'UTC')
            """,
            self.env.uid,
            key,
            operation,
            digest,
            redemption_id,
            json.dumps(response),
        )

    @api.model
    def _vms_remember(self, key, operation, digest, response, redemption_id=None):
        """Record the answer; an identical request that committed first makes
        this transaction retry (Odoo's request retry), then get that answer."""
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    self._vms_insert_sql(key, operation, digest, response, redemption_id),
                    log_exceptions=False,
                )
        except psycopg2.errors.UniqueViolation:
            raise ConcurrencyError(
                "an identical request committed first; retried to return its result"
            ) from None

    @api.autovacuum
    def _gc_old_requests(self):
        """A retry comes within minutes; a quarter of a year is plenty."""
        self.env.cr.execute(
            "DELETE FROM vms_idempotency WHERE date < %s", [fields.Datetime.now() - KEEP_FOR]
        )
