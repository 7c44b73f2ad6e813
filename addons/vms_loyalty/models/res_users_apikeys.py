import hashlib

from odoo import fields, models, tools
from odoo.exceptions import AccessDenied
from odoo.tools import SQL

from odoo.addons.base.models.res_users import INDEX_SIZE, KEY_CRYPT_CONTEXT

# The scope of a channel's keys: they open the VMS API and nothing else. Odoo's
# own RPC (/json/2, /xmlrpc) asks for keys of the "rpc" scope or of none, so a
# key of this scope is refused there; the VMS API refuses keys of any other.
VMS_API_SCOPE = "vms_api"


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    def _vms_api_user(self, key):
        """The user id behind a VMS API key, or None.

        Only keys of the :data:`VMS_API_SCOPE` scope count: an unscoped key
        (what Odoo's Preferences make) is refused. Odoo checks a key with
        pbkdf2 (about 8 ms of CPU) and a vending machine sends the same key
        many times a minute, so a verified key is kept in an ``ormcache``.
        Odoo clears that cache, in every worker before its next request, when
        a key is removed (below) or its user archived or regrouped; the expiry
        is checked at every call. So a revoked key is refused from its next
        call on, without a query per call.
        """
        if not isinstance(key, str) or not INDEX_SIZE <= len(key) <= 200:
            return None
        if not (key.isascii() and key.isprintable()):
            return None  # keys are printable ASCII; a NUL would reach the lookup raw
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
        self.env.cr.execute(
            SQL(
                """
                SELECT k.user_id, k.key, k.expiration_date
                  FROM %s k JOIN res_users u ON u.id = k.user_id
                 WHERE u.active AND k.index = %s AND k.scope = %s
                """,
                SQL.identifier(self._table),
                key[:INDEX_SIZE],
                VMS_API_SCOPE,
            )
        )
        for user_id, hashed, expires_at in self.env.cr.fetchall():
            if KEY_CRYPT_CONTEXT.verify(key, hashed):
                return user_id, expires_at
        raise AccessDenied()

    def unlink(self):
        self.env.registry.clear_cache()  # forget the keys verified by _vms_api_user
        return super().unlink()
