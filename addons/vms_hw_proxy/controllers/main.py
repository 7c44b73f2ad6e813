import json

from odoo import http
from odoo.http import request


class VmsProxyStatusController(http.Controller):
    """A proxy started with --odoo-url and --token reports its devices here."""

    @http.route(
        "/vms_hw_proxy/status",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def proxy_status(self):
        try:
            payload = json.loads(request.httprequest.get_data(as_text=True) or "{}")
        except ValueError:
            return self._answer(400, "invalid_json", "The body is not JSON.")
        if not isinstance(payload, dict) or not isinstance(payload.get("devices"), dict):
            return self._answer(422, "invalid_payload", "Expected {token, devices: {...}}.")
        token = request.httprequest.headers.get("X-VMS-Proxy-Token") or payload.get("token")
        configs = request.env["pos.config"]._vms_find_by_proxy_token(token)
        if not configs:
            return self._answer(403, "unknown_token", "No till uses this proxy token.")
        configs._vms_store_proxy_status(configs._vms_clean_devices(payload["devices"]), "proxy")
        return request.make_json_response({"ok": True, "tills": len(configs)})

    @staticmethod
    def _answer(status, code, message):
        return request.make_json_response(
            {"error": {"code": code, "message": message}}, status=status
        )
