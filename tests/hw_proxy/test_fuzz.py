"""A fuzz pass over every route of the proxy: whatever the body, never a 5xx.

Hypothesis draws requests (route, method, token or not, and a body: any JSON
value, JSON-RPC shapes with hostile members, or raw bytes), and a few hostile
bodies are always tried: deep nesting, numbers JSON cannot carry, NUL
characters, wrong types, a body over the size limit. Each answer must be
below 500, and the proxy must still answer afterwards.
"""

import http.client
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TOKEN = "fuzz-token"
ROUTES = [
    "/",
    "/hw_proxy/hello",
    "/hw_proxy/handshake",
    "/hw_proxy/status_json",
    "/hw_proxy/default_printer_action",
    "/hw_proxy/scanner",
    "/vms/sim/scan",
    "/vms/sim/printer",
    "/hw_proxy/customer_facing_display",
    "/nowhere",
]
METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"]

HOSTILE = [
    b"[" * 100000 + b"]" * 100000,
    b'{"params": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
    b'{"id": 1e999, "params": {}}',
    b'{"id": NaN, "params": {}}',
    b'{"id": -Infinity}',
    b'{"id": ' + b"9" * 10000 + b"}",
    b'{"params": {"data": {"action": "print_receipt", "receipt": "\\u0000"}}}',
    b'{"params": {"data": {"action": "print_receipt", "receipt": "aGk=", '
    b'"action_unique_id": ' + b"7" * 5000 + b"}}}",
    b'{"params": {"data": {"action": "cashbox", "action_unique_id": {"a": [1]}}}}',
    b'{"params": {"data": {"action": "print_receipt", "receipt": ["x"]}}}',
    b'{"params": {"data": {"action": ["print_receipt"]}}}',
    b'{"params": {"data": {"action": {"x": 1}}}}',
    b'{"barcode": "a\\u0000b"}',
    b'{"barcode": ' + b"1" * 4000 + b"}",
    b'{"id": {"deep": [[[[]]]]}, "params": []}',
    b"\x00\xff\xfe",
    b'"just a string"',
    b"null",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
actions = st.sampled_from(["print_receipt", "cashbox", "launch", "", None, 7])
rpc_bodies = st.fixed_dictionaries(
    {
        "jsonrpc": st.sampled_from(["2.0", 2, None]),
        "id": json_values,
        "params": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {
                    "data": st.one_of(
                        json_values,
                        st.fixed_dictionaries(
                            {
                                "action": actions,
                                "receipt": json_values,
                                "action_unique_id": json_values,
                            }
                        ),
                    )
                }
            ),
        ),
        "barcode": json_values,
    }
)
bodies = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    rpc_bodies.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=200),
    st.sampled_from(HOSTILE),
)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    from vms_hw_proxy_service import config
    from vms_hw_proxy_service.app import ProxyApp

    options = config.load(
        ["--host", "127.0.0.1", "--port", "0", "--simulate", "--token", TOKEN,
         "--scanner-timeout", "0.05",
         "--receipts-dir", str(tmp_path_factory.mktemp("receipts"))]
    )  # fmt: skip
    app = ProxyApp(options).start().serve_in_thread()
    yield app
    app.stop()


def send(app, method, path, body, token_mode):
    headers = {"Content-Type": "application/json", "Origin": "https://till.example"}
    if token_mode == "prefix":
        path = f"/vms-token/{TOKEN}{path}"
    elif token_mode == "header":
        headers["X-VMS-Proxy-Token"] = TOKEN
    elif token_mode == "wrong":
        headers["X-VMS-Proxy-Token"] = "wrong\u00e9"
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    try:
        connection.request(method, path, body=body if method != "GET" else None, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def assert_alive(app):
    assert send(app, "GET", "/hw_proxy/hello", None, "none") == 200


@pytest.mark.parametrize("body", HOSTILE, ids=lambda body: repr(body[:24]))
@pytest.mark.parametrize("route", ["/hw_proxy/default_printer_action", "/vms/sim/scan", "/nowhere"])
def test_hostile_bodies_are_4xx(fuzzed, route, body):
    status = send(fuzzed, "POST", route, body, "prefix")
    assert 400 <= status < 500, (route, body[:60], status)
    assert_alive(fuzzed)


def test_a_body_over_the_limit_is_413(fuzzed):
    assert (
        send(fuzzed, "POST", "/hw_proxy/handshake", b"[" * (8 * 1024 * 1024 + 1), "header") == 413
    )
    assert_alive(fuzzed)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES),
    method=st.sampled_from(METHODS),
    body=bodies,
    token_mode=st.sampled_from(["prefix", "header", "none", "wrong"]),
)
def test_no_request_gets_a_5xx(fuzzed, route, method, body, token_mode):
    status = send(fuzzed, method, route, body, token_mode)
    assert status < 500, (method, route, token_mode, body[:80], status)
    assert_alive(fuzzed)
