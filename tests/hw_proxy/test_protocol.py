"""The routes the unmodified Odoo 19 POS calls, and how bad requests are refused."""

import json

import pytest

from .helpers import http, receipt_b64, result, rpc


def test_hello_answers_ping(proxy):
    status, headers, body = http("GET", f"{proxy.base}/hw_proxy/hello")
    assert (status, body) == (200, b"ping")
    assert headers["Content-Type"].startswith("text/plain")
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_handshake_is_true(proxy):
    status, body = rpc(proxy.base, "handshake", rpc_id=42)
    assert status == 200
    assert body == {"jsonrpc": "2.0", "id": 42, "result": True}


def test_status_json_reports_printer_and_scanner(proxy, sim_printer):
    drivers = result(proxy.base, "status_json")
    assert {"printer", "scanner"} <= drivers.keys()
    assert drivers["printer"]["status"] == "connected"
    assert drivers["scanner"]["status"] == "disconnected"  # none configured
    for driver in drivers.values():
        assert driver["status"] in ("connected", "disconnected", "error")
        assert driver["messages"] == "" or isinstance(driver["messages"], list)


def test_status_json_without_devices(start_proxy):
    app = start_proxy()
    drivers = result(app.url, "status_json")
    assert drivers["printer"]["status"] == "disconnected"
    assert drivers["scanner"]["status"] == "disconnected"
    # and printing is refused rather than silently dropped
    assert result(app.url, "default_printer_action", {"data": {"action": "cashbox"}}) is False
    params = {"data": {"action": "print_receipt", "receipt": receipt_b64("X")}}
    assert result(app.url, "default_printer_action", params) is False


def test_absent_printer_is_disconnected_not_fatal(start_proxy):
    from .helpers import free_port

    app = start_proxy("--printer", f"tcp://127.0.0.1:{free_port()}", "--printer", "usb://dead:beef")
    status, body, raw = http("GET", f"{app.url}/hw_proxy/hello")
    assert raw == b"ping"
    drivers = result(app.url, "status_json")
    assert drivers["printer"]["status"] == "disconnected"
    assert drivers["printer"]["messages"]
    assert drivers["printer_printer1"]["status"] in ("disconnected", "error")


def test_unknown_routes_are_404_json(proxy):
    for route in ("customer_facing_display", "log", "scale_read", "does/not/exist"):
        status, body = rpc(proxy.base, route, {"x": 1}, rpc_id=7)
        assert status == 404, route
        assert body["error"]["code"] == "not_found"
        assert body["id"] == 7
    status, _, raw = http("GET", f"{proxy.base}/nothing-here")
    assert status == 404 and json.loads(raw)["error"]["code"] == "not_found"
    assert http("GET", f"{proxy.base}/hw_proxy/hello")[2] == b"ping"


def test_rpc_routes_need_post(proxy):
    status, headers, raw = http("GET", f"{proxy.base}/hw_proxy/status_json")
    assert status == 405
    assert "POST" in headers["Allow"]


def test_not_json_is_400(proxy):
    status, _, raw = http("POST", f"{proxy.base}/hw_proxy/handshake", b"{not json")
    assert status == 400
    assert json.loads(raw)["error"]["code"] == "invalid_json"
    status, _, raw = http("POST", f"{proxy.base}/hw_proxy/handshake", b"\xff\xfe")
    assert status == 400


def test_huge_body_is_413_without_reading_it(proxy):
    body = b"x" * (8 * 1024 * 1024 + 1)
    status, _, raw = http("POST", f"{proxy.base}/hw_proxy/default_printer_action", body)
    assert status == 413
    assert json.loads(raw)["error"]["code"] == "too_large"
    assert http("GET", f"{proxy.base}/hw_proxy/hello")[2] == b"ping"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"action": "print_receipt", "receipt": 12345}, "base64 string"),
        ({"action": "print_receipt", "receipt": "***not base64***"}, "not valid base64"),
        ({"action": "print_receipt", "receipt": "aGVsbG8gd29ybGQ="}, "not a readable image"),
        ({"action": "print_receipt"}, "missing"),
        ({"action": "launch_rocket"}, "unknown action"),
        ("print_receipt", "data must be an object"),
    ],
)
def test_wrong_types_are_422(proxy, sim_printer, data, fragment):
    status, body = rpc(proxy.base, "default_printer_action", {"data": data})
    assert status == 422, body
    assert fragment in body["error"]["message"]
    assert body["error"]["data"]["message"] == body["error"]["message"]
    assert result(proxy.base, "handshake") is True
    assert sim_printer.printed == 0


def test_params_must_be_an_object(proxy):
    body = {"jsonrpc": "2.0", "method": "call", "params": [1, 2], "id": 3}
    status, _, raw = http("POST", f"{proxy.base}/hw_proxy/handshake", body)
    assert status == 422
    status, _, raw = http("POST", f"{proxy.base}/hw_proxy/handshake", [1, 2])
    assert status == 422


def test_cors_and_private_network_preflight(proxy):
    status, headers, _ = http(
        "OPTIONS",
        f"{proxy.base}/hw_proxy/default_printer_action",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-vms-proxy-token",
            "Access-Control-Request-Private-Network": "true",
            "Access-Control-Request-Local-Network": "true",
        },
    )
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "OPTIONS" in headers["Access-Control-Allow-Methods"]
    assert headers["Access-Control-Allow-Headers"] == "content-type,x-vms-proxy-token"
    assert int(headers["Access-Control-Max-Age"]) > 0
    assert headers["Access-Control-Allow-Private-Network"] == "true"
    assert headers["Access-Control-Allow-Local-Network"] == "true"


def test_preflight_without_pna_request_has_no_pna_header(proxy):
    status, headers, _ = http("OPTIONS", f"{proxy.base}/hw_proxy/handshake")
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Private-Network" not in headers
    assert "content-type" in headers["Access-Control-Allow-Headers"].lower()


def test_normal_responses_carry_cors_origin(proxy):
    status, body = rpc(proxy.base, "handshake", headers={"Origin": "http://till.local:8069"})
    status, headers, _ = http(
        "POST",
        f"{proxy.base}/hw_proxy/handshake",
        {"jsonrpc": "2.0", "params": {}, "id": 1},
        headers={"Origin": "http://till.local:8069", "Content-Type": "application/json"},
    )
    assert headers["Access-Control-Allow-Origin"] == "http://till.local:8069"


class TestToken:
    TOKEN = "s3cret-Tok_en"

    @pytest.fixture
    def guarded(self, start_proxy, sim_printer):
        return start_proxy("--printer", sim_printer.url, "--token", self.TOKEN)

    def test_missing_or_wrong_token_is_403(self, guarded):
        for headers in ({}, {"X-VMS-Proxy-Token": "wrong"}):
            status, body = rpc(guarded.url, "handshake", headers=headers)
            assert status == 403
            assert body["error"]["code"] == "invalid_token"
        status, body = rpc(f"{guarded.url}/vms-token/wrong", "status_json")
        assert status == 403
        status, body = rpc(guarded.url, "status_json")
        assert status == 403

    def test_token_as_path_prefix_header_or_query(self, guarded):
        prefixed = f"{guarded.url}/vms-token/{self.TOKEN}"
        assert result(prefixed, "handshake") is True
        assert result(prefixed, "status_json")["printer"]["status"] == "connected"
        status, _, body = http("GET", f"{prefixed}/hw_proxy/hello")
        assert (status, body) == (200, b"ping")
        assert result(guarded.url, "handshake", headers={"X-VMS-Proxy-Token": self.TOKEN})
        status, _, raw = http(
            "POST",
            f"{guarded.url}/hw_proxy/handshake?token={self.TOKEN}",
            {"jsonrpc": "2.0", "params": {}, "id": 1},
        )
        assert status == 200 and json.loads(raw)["result"] is True

    def test_prefixed_unknown_route_is_404_and_preflight_needs_no_token(self, guarded):
        prefixed = f"{guarded.url}/vms-token/{self.TOKEN}"
        assert rpc(prefixed, "customer_facing_display")[0] == 404
        status, headers, _ = http(
            "OPTIONS",
            f"{guarded.url}/vms-token/anything/hw_proxy/handshake",
            headers={
                "Origin": "https://x.example",
                "Access-Control-Request-Private-Network": "true",
            },
        )
        assert status == 204
        assert headers["Access-Control-Allow-Private-Network"] == "true"
        assert http("GET", f"{guarded.url}/hw_proxy/hello")[2] == b"ping"


def test_refused_request_keeps_the_keep_alive_connection_usable(start_proxy):
    import http.client

    app = start_proxy("--token", "tk")
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=5)
    body = json.dumps({"jsonrpc": "2.0", "params": {}, "id": 1})
    headers = {"Content-Type": "application/json"}
    connection.request("POST", "/hw_proxy/handshake", body, headers)  # no token
    response = connection.getresponse()
    assert response.status == 403
    response.read()
    connection.request("POST", "/vms-token/tk/hw_proxy/handshake", body, headers)
    response = connection.getresponse()
    assert response.status == 200
    assert json.loads(response.read())["result"] is True
    connection.close()
