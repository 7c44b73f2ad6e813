"""Helpers shared by the proxy tests: receipts, JSON-RPC calls, free ports."""

import base64
import io
import json
import socket
import urllib.error
import urllib.request

import qrcode
from PIL import Image, ImageDraw
from pyzbar import pyzbar


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def receipt_image(qr_text, width=512, height=900):
    """A receipt like the POS renders: text lines and a QR code."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for line, y in enumerate(range(20, 300, 28)):
        draw.text((20, y), f"Line {line}  Voucher item  {line * 3}.50 EUR", fill="black")
    qr = qrcode.QRCode(border=2, box_size=6)
    qr.add_data(qr_text)
    qr_image = qr.make_image(fill_color="black", back_color="white").convert("RGB")
    image.paste(qr_image, ((width - qr_image.width) // 2, 320))
    draw.text((20, 320 + qr_image.height + 10), qr_text, fill="black")
    return image


def jpeg_base64(image, quality=85):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return base64.b64encode(buffer.getvalue()).decode()


def receipt_b64(qr_text, **kwargs):
    return jpeg_base64(receipt_image(qr_text, **kwargs))


def qr_texts(image):
    """Every QR code pyzbar finds in ``image``."""
    return [symbol.data.decode() for symbol in pyzbar.decode(image.convert("L"))]


def http(method, url, body=None, headers=None, timeout=10):
    """(status, headers, body bytes) of one request, errors included."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and "Content-Type" not in (headers or {}):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def rpc(base, route, params=None, *, headers=None, timeout=10, rpc_id=1):
    """JSON-RPC call the way Odoo's rpc() makes it; returns (status, decoded body)."""
    body = {"jsonrpc": "2.0", "method": "call", "params": params or {}, "id": rpc_id}
    status, _, raw = http("POST", f"{base}/hw_proxy/{route}", body, headers, timeout)
    return status, json.loads(raw)


def result(base, route, params=None, **kwargs):
    status, body = rpc(base, route, params, **kwargs)
    assert status == 200, body
    assert "error" not in body, body
    return body["result"]
