import hashlib

from odoo import fields, models, tools
from odoo.exceptions import AccessDenied
from odoo.tools import SQL

from odoo.addons.base.models.res_users import INDEX_SIZE


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    def _vms_api_user(self, key):
        """The user id behind an API key of the JSON API, or None.

        Odoo checks a key with pbkdf2 (about 8 ms of CPU) and a vending machine
        sends the same key many times a minute, so a verified key is kept in
        an ``ormcache``. Odoo clears that cache, in every worker before its
        next request, when a key is removed (below) or its user archived or
        regrouped; the expiry is checked at every call. So a revoked key is
        refused from its next call on, without a query per call.
        """
        digest = hashlib.sha256(key.encode()).hexdigest()
        try:
            uid, expires_at = self._vms_verified_key(digest, key)
        except AccessDenied:
            return None
        if expires_at and expires_at < fields.Datetime.now():
            return None
        return uid

    @tools.ormcache("digest")
    def _vms_verified_key(self, digest, key):
        # Only the digest is the cache key; a wrong key raises and is not kept.
        uid = self.sudo()._check_credentials(scope="rpc", key=key)
        if not uid:
            raise AccessDenied()
        # The earliest expiry of the user's keys sharing this index (nearly
        # always the one key): never later than the key's own.
        self.env.cr.execute(
            SQL(
                "SELECT MIN(expiration_date) FROM %s WHERE user_id = %s AND index = %s",
                SQL.identifier(self._table),
                uid,
                key[:INDEX_SIZE],
            )
        )
        return uid, self.env.cr.fetchone()[0]

    def unlink(self):
        self.env.registry.clear_cache()  # forget the keys verified by _vms_api_user
        return super().unlink()
