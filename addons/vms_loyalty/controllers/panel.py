"""The redemption panel's routes (``/vms/panel/*``): JSON-RPC for the panel's
OWL client action, for logged-in store users.

Thin: each route checks that the store the panel works at is one of the
user's own, runs one entry point of ``vms.panel`` in that store (its
``env.company``), and answers ``{"ok": true, "data": ...}`` or, for a
refusal, ``{"ok": false, "error": {"code": ..., "message": ...}}`` after
rolling the request's transaction back: a refusal changes nothing (the
engine's counters of failed attempts keep their own transaction).
"""

import logging

from odoo import _, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from ..exceptions import VmsError
from ..tools import api_input

_logger = logging.getLogger(__name__)


class VmsPanelController(http.Controller):
    def _vms_call(self, store_id, method, *args):
        env = request.env
        try:
            # What the API's parser refuses in a body is refused here too: a NUL
            # (PostgreSQL cannot store it), a lone surrogate (it cannot be
            # encoded), any control character, and deep nesting, in any field.
            api_input.check_strings(request.params, "params")
        except api_input.InputError as error:
            return self._vms_refusal(error.code, error.args[0])
        # sudo: the user's own list of companies, to check the store it asks for.
        allowed = env.user.sudo().company_ids.ids
        if not isinstance(store_id, int) or isinstance(store_id, bool) or store_id not in allowed:
            return self._vms_refusal(
                "store_not_allowed", _("Choose one of your own stores at the top of the panel.")
            )
        panel = env(context=dict(env.context, allowed_company_ids=[store_id]))["vms.panel"]
        try:
            return {"ok": True, "data": getattr(panel, method)(*args)}
        except VmsError as error:
            env.cr.rollback()
            return self._vms_refusal(error.code, error.args[0], **error.details)
        except AccessError as error:
            env.cr.rollback()
            _logger.info("VMS panel: refused with AccessError: %s", error)
            return self._vms_refusal("forbidden", _("You may not do this in the panel."))
        except (UserError, ValidationError) as error:
            env.cr.rollback()
            return self._vms_refusal("refused", error.args[0])

    def _vms_refusal(self, code, message, **details):
        return {"ok": False, "error": {"code": code, "message": message, **details}}

    @http.route("/vms/panel/stores", type="jsonrpc", auth="user", methods=["POST"])
    def stores(self):
        if not request.env.user.has_group("vms_loyalty.group_vms_store_user"):
            return self._vms_refusal("forbidden", _("You may not do this in the panel."))
        stores = request.env["vms.panel"]._vms_panel_stores()
        return {"ok": True, "data": {"stores": stores, "current": request.env.company.id}}

    @http.route("/vms/panel/lookup", type="jsonrpc", auth="user", methods=["POST"])
    def lookup(self, store_id=None, text=None, pin=None, card=None):
        return self._vms_call(store_id, "_vms_panel_lookup", text, pin, card)

    @http.route("/vms/panel/decode", type="jsonrpc", auth="user", methods=["POST"])
    def decode(self, store_id=None, image=None):
        return self._vms_call(store_id, "_vms_panel_decode", image)

    @http.route("/vms/panel/redeem", type="jsonrpc", auth="user", methods=["POST"])
    def redeem(self, store_id=None, values=None):
        return self._vms_call(store_id, "_vms_panel_redeem", values)

    @http.route("/vms/panel/otp", type="jsonrpc", auth="user", methods=["POST"])
    def otp(self, store_id=None, values=None):
        return self._vms_call(store_id, "_vms_panel_otp", values)

    @http.route("/vms/panel/release", type="jsonrpc", auth="user", methods=["POST"])
    def release(self, store_id=None, hold_id=None):
        return self._vms_call(store_id, "_vms_panel_release", hold_id)

    @http.route("/vms/panel/today", type="jsonrpc", auth="user", methods=["POST"])
    def today(self, store_id=None):
        return self._vms_call(store_id, "_vms_panel_today")

    @http.route("/vms/panel/chronology", type="jsonrpc", auth="user", methods=["POST"])
    def chronology(self, store_id=None, code=None):
        return self._vms_call(store_id, "_vms_panel_chronology", code)
