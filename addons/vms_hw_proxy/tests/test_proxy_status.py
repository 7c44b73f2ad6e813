import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestProxyStatus(HttpCase):
    """Tills and proxies report the proxy's devices; the back office lists them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.env["pos.config"].create(
            {
                "name": "Till with proxy",
                "is_posbox": True,
                "proxy_ip": "localhost:8071",
                "vms_proxy_token": "till-1-secret",
            }
        )
        cls.other = cls.env["pos.config"].create({"name": "Till without proxy"})

    def _post(self, body, headers=None):
        data = body if isinstance(body, str) else json.dumps(body)
        return self.url_open(
            "/vms_hw_proxy/status",
            data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def test_proxy_push_with_its_token(self):
        response = self._post(
            {
                "token": "till-1-secret",
                "devices": {
                    "printer": {"status": "connected"},
                    "scanner": {"status": "disconnected"},
                },
            }
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), {"ok": True, "tills": 1})
        self.config.invalidate_recordset()
        self.assertEqual(self.config.vms_proxy_status, "connected")
        self.assertEqual(self.config.vms_proxy_reported_by, "proxy")
        self.assertTrue(self.config.vms_proxy_last_seen)
        self.assertEqual(
            self.config.vms_proxy_devices_summary, "printer: connected, scanner: disconnected"
        )
        self.assertEqual(self.other.vms_proxy_status, "unknown")

    def test_token_in_header_and_error_state(self):
        response = self._post(
            {"devices": {"printer": {"status": "error"}}},
            headers={"X-VMS-Proxy-Token": "till-1-secret"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.config.invalidate_recordset()
        self.assertEqual(self.config.vms_proxy_status, "error")

    def test_bad_requests_change_nothing(self):
        cases = [
            (
                {"token": "wrong", "devices": {"printer": {"status": "connected"}}},
                403,
                "unknown_token",
            ),
            ({"devices": {"printer": {"status": "connected"}}}, 403, "unknown_token"),
            ("{not json", 400, "invalid_json"),
            ({"token": "till-1-secret", "devices": ["printer"]}, 422, "invalid_payload"),
            ([1, 2], 422, "invalid_payload"),
        ]
        for body, status, code in cases:
            with self.subTest(body=body):
                response = self._post(body)
                self.assertEqual(response.status_code, status, response.text)
                self.assertEqual(response.json()["error"]["code"], code)
        self.config.invalidate_recordset()
        self.assertEqual(self.config.vms_proxy_status, "unknown")
        self.assertFalse(self.config.vms_proxy_last_seen)

    def test_till_reports_status(self):
        cashier = new_test_user(
            self.env,
            login="vms_cashier",
            groups="point_of_sale.group_pos_user",
        )
        config = self.config.with_user(cashier)
        config.vms_report_proxy_status({"printer": {"status": "connected", "extra": "x" * 999}})
        self.config.invalidate_recordset()
        self.assertEqual(self.config.vms_proxy_status, "connected")
        self.assertEqual(self.config.vms_proxy_devices, {"printer": {"status": "connected"}})
        self.assertEqual(self.config.vms_proxy_reported_by, "pos")
        # Garbage is ignored, not stored.
        config.vms_report_proxy_status("not a dict")
        self.config.invalidate_recordset()
        self.assertFalse(self.config.vms_proxy_devices)
        self.assertEqual(self.config.vms_proxy_status, "disconnected")

    def test_user_outside_point_of_sale_cannot_report(self):
        clerk = new_test_user(self.env, login="vms_clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.config.with_user(clerk).vms_report_proxy_status(
                {"printer": {"status": "connected"}}
            )
        self.config.invalidate_recordset()
        self.assertEqual(self.config.vms_proxy_status, "unknown")

    def test_generate_token(self):
        self.other.action_vms_generate_proxy_token()
        self.assertGreaterEqual(len(self.other.vms_proxy_token), 32)
        self.assertEqual(
            self.env["pos.config"]._vms_find_by_proxy_token(self.other.vms_proxy_token), self.other
        )
        self.assertFalse(self.env["pos.config"]._vms_find_by_proxy_token(""))
        self.assertFalse(self.env["pos.config"]._vms_find_by_proxy_token(None))
