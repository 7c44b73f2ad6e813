"""Routes of the Voucher tender, and the simulated SMS gateway's page.

The till calls the tender through these JSON routes rather than the ORM's
``call_kw``: a PIN or an OTP code travels in their body only, and Odoo's debug
logging of ORM calls (which prints their arguments) never sees it.
"""

import os

from markupsafe import Markup

from odoo import _, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from odoo.addons.vms_loyalty.exceptions import VmsError
from odoo.addons.vms_loyalty.tools import api_input

from ..models.res_company import SMS_SIMULATOR_ENV
from ..tools import sms_simulator

ACTIONS = {
    "hold": "_vms_pos_hold",
    "release": "_vms_pos_release",
    "otp_request": "_vms_pos_otp_request",
    "otp_verify": "_vms_pos_otp_verify",
    "refund": "_vms_pos_refund",
    # The Loyalty Points tender (models/pos_payment_method_points.py).
    "points_info": "_vms_pos_points_info",
    "points_hold": "_vms_pos_points_hold",
    "points_refund": "_vms_pos_points_refund",
    "points_convert_otp": "_vms_pos_points_convert_otp",
    "points_convert_verify": "_vms_pos_points_convert_verify",
    "points_convert": "_vms_pos_points_convert",
}


class VmsPosController(http.Controller):
    @http.route("/vms_pos/tender/<string:action>", type="jsonrpc", auth="user", methods=["POST"])
    def tender(self, action, payment_method_id=None, **params):
        """``{"ok": true, ...}`` or ``{"ok": false, "error": {"code", "message"}}``.

        A refusal changes nothing: the transaction is rolled back before
        answering (attempts at a PIN or an OTP code are counted apart).
        """
        method_name = ACTIONS.get(action)
        try:
            # As in the VMS API's bodies: no NUL, lone surrogate or other control
            # character in any field (PostgreSQL or the JSON encoder would fail
            # on it), and no deep nesting.
            api_input.check_strings(request.params, "params")
            if not method_name:
                raise VmsError("unknown_action", _("Unknown voucher tender action."))
            if isinstance(payment_method_id, bool) or not isinstance(payment_method_id, int):
                raise VmsError("invalid_payment_method", _("Which payment method?"))
            method = request.env["pos.payment.method"].browse(payment_method_id).exists()
            if not method:
                raise VmsError("invalid_payment_method", _("This payment method does not exist."))
            method.check_access("read")
            method = method._vms_pos_in_store(params.get("session_id"))
            result = getattr(method, method_name)(params)
            return {"ok": True, **result}
        except api_input.InputError as error:
            return {"ok": False, "error": {"code": error.code, "message": error.args[0]}}
        except VmsError as error:
            request.env.cr.rollback()
            return {"ok": False, "error": error.to_dict()}
        except (AccessError, ValidationError, UserError) as error:
            request.env.cr.rollback()
            return {"ok": False, "error": {"code": "refused", "message": error.args[0]}}

    @http.route("/vms_pos/sms", type="http", auth="user", methods=["GET"])
    def sms_outbox(self):
        """The simulated gateway's delivered messages (``make run`` only)."""
        if not os.environ.get(SMS_SIMULATOR_ENV):
            raise request.not_found()
        if not request.env.user.has_group("point_of_sale.group_pos_user"):
            raise request.not_found()
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>")
            % (
                message["at"].strftime("%H:%M:%S"),
                message["number"],
                message["company"],
                message["body"],
            )
            for message in sms_simulator.delivered()
        )
        body = Markup(
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            "<meta http-equiv='refresh' content='3'><title>%s</title>"
            "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .8em;"
            "border-bottom:1px solid #ddd;text-align:left}</style></head><body>"
            "<h1>%s</h1><p>%s</p><table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>"
            "%s</table></body></html>"
        ) % (
            _("Simulated SMS"),
            _("Simulated SMS gateway"),
            _(
                "make run delivers text messages here instead of to phones. They are kept in "
                "the memory of this Odoo process only; the page refreshes itself."
            ),
            _("Time (UTC)"),
            _("To"),
            _("From"),
            _("Message"),
            rows or Markup("<tr><td colspan='4'>%s</td></tr>") % _("No message yet."),
        )
        return request.make_response(
            str(body),
            headers=[
                ("Content-Type", "text/html; charset=utf-8"),
                ("Cache-Control", "no-store"),
            ],
        )
