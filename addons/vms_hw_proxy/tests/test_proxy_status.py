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
                "vms_proxy_token": "till-1-token",
                "vms_proxy_bus_secret": "till-1-secret",
            }
        )
        cls.other = cls.env["pos.config"].create({"name": "Till without proxy"})

    def _post(self, body, secret="till-1-secret", route="/vms_hw_proxy/status"):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-VMS-Proxy-Secret"] = secret
        return self.url_open(route, data=data, headers=headers)

    def test_proxy_push_with_its_bus_secret(self):
        response = self._post(
            {
                "devices": {
                    "printer": {"status": "connected"},
                    "scanner": {"status": "disconnected"},
                },
                "printer_width": 576,
                "bus": True,
            }
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            response.json(),
            {"ok": True, "tills": 1, "report_scans": False, "db": self.env.cr.dbname},
        )
        self.config.invalidate_recordset()
        self.assertEqual(self.config.vms_proxy_status, "connected")
        self.assertEqual(self.config.vms_proxy_reported_by, "proxy")
        self.assertTrue(self.config.vms_proxy_last_seen)
        self.assertEqual(
            self.config.vms_proxy_devices_summary, "printer: connected, scanner: disconnected"
        )
        self.assertEqual(self.config.vms_proxy_printer_width, 576)
        self.assertTrue(self.config.vms_proxy_on_bus)
        self.assertEqual(self.other.vms_proxy_status, "unknown")

    def test_the_tills_token_is_not_the_proxys_credential(self):
        """Every browser of the till holds its token: it must not report as the proxy."""
        response = self._post({"devices": {"printer": {"status": "error"}}}, secret="till-1-token")
        self.assertEqual(response.status_code, 403, response.text)
        response = self._post(
            {"devices": {"printer": {"status": "error"}}, "token": "till-1-token"}, secret=None
        )
        self.assertEqual(response.status_code, 403, response.text)
        self.config.invalidate_recordset()
        self.assertEqual(self.config.vms_proxy_status, "unknown")

    def test_an_archived_tills_proxy_is_refused(self):
        self.config.active = False
        response = self._post({"devices": {"printer": {"status": "connected"}}})
        self.assertEqual(response.status_code, 403, response.text)
        self.config.active = True
        response = self._post({"devices": {"printer": {"status": "connected"}}})
        self.assertEqual(response.status_code, 200, response.text)

    def test_scans_are_kept_where_the_till_asks(self):
        response = self._post({"barcode": "4006381333931"}, route="/vms_hw_proxy/scan")
        self.assertEqual(response.json(), {"ok": True, "tills": 0})
        self.config.vms_proxy_report_scans = True
        response = self._post({"barcode": "4006381333931"}, route="/vms_hw_proxy/scan")
        self.assertEqual(response.json(), {"ok": True, "tills": 1})
        self.config.invalidate_recordset()
        self.assertEqual(self.config.vms_proxy_last_scan, "4006381333931")
        self.assertTrue(self.config.vms_proxy_last_scan_at)

    def test_bad_requests_change_nothing(self):
        ok = {"devices": {"printer": {"status": "connected"}}}
        deep = "[" * 20000 + "]" * 20000
        cases = [
            (ok, "wrong", 403, "unknown_secret"),
            (ok, None, 403, "unknown_secret"),
            (ok, "x" * 5000, 403, "unknown_secret"),
            ("{not json", "till-1-secret", 400, "invalid_json"),
            ({"devices": ["printer"]}, "till-1-secret", 422, "invalid_payload"),
            ([1, 2], "till-1-secret", 422, "invalid_payload"),
            (deep, "till-1-secret", 400, "too_deep"),
            ('{"devices": ' + '{"a": ' * 20 + "1" + "}" * 21, "till-1-secret", 400, "too_deep"),
            ('{"devices": {}, "printer_width": 1e999}', "till-1-secret", 400, "invalid_json"),
            ('{"devices": {}, "printer_width": NaN}', "till-1-secret", 400, "invalid_json"),
            (
                '{"devices": {}, "printer_width": ' + "9" * 5000 + "}",
                "till-1-secret",
                400,
                "invalid_json",
            ),
            ({"devices": {}, "printer_width": 99999}, "till-1-secret", 422, "invalid_payload"),
            (
                {"devices": {"pr\u0000inter": {"status": "x"}}},
                "till-1-secret",
                422,
                "invalid_payload",
            ),
            (
                {"devices": {"printer": {"status": "a\x00b"}}},
                "till-1-secret",
                422,
                "invalid_payload",
            ),
            (b"\xff\xfe", "till-1-secret", 400, "invalid_json"),
            ("x" * 70000, "till-1-secret", 413, "too_large"),
        ]
        for body, secret, status, code in cases:
            with self.subTest(body=str(body)[:60], secret=str(secret)[:20]):
                response = self._post(body, secret=secret)
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

    def test_generate_token_and_bus_secret(self):
        self.other.action_vms_generate_proxy_token()
        self.assertGreaterEqual(len(self.other.vms_proxy_token), 32)
        self.other.action_vms_generate_bus_secret()
        secret = self.other.vms_proxy_bus_secret
        self.assertGreaterEqual(len(secret), 40)
        self.assertNotEqual(secret, self.other.vms_proxy_token)
        find = self.env["pos.config"]._vms_find_by_bus_secret
        self.assertEqual(find(secret), self.other)
        self.assertTrue(self.other.vms_proxy_bus_channel.startswith("vms_hw_proxy/"))
        self.assertNotIn(secret, self.other.vms_proxy_bus_channel)
        self.assertFalse(find(""))
        self.assertFalse(find(None))
        self.assertFalse(find(self.other.vms_proxy_bus_channel))

    def test_the_bus_secret_never_reaches_a_tills_browser(self):
        self.config.open_ui()
        data = self.config.current_session_id.load_data(["pos.config"])
        (loaded,) = data["pos.config"]
        self.assertEqual(loaded["vms_proxy_token"], "till-1-token")
        self.assertNotIn("vms_proxy_bus_secret", loaded)
        self.assertNotIn("vms_proxy_bus_channel", loaded)
        cashier = new_test_user(
            self.env, login="vms_cashier2", groups="point_of_sale.group_pos_user"
        )
        with self.assertRaises(AccessError):
            self.config.with_user(cashier).read(["vms_proxy_bus_secret"])
