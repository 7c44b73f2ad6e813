"""HTTP routes of the simulated devices; served only by a proxy started with --simulate.

POST /vms/sim/scan      {"barcode": "..."} (or JSON-RPC params): as if scanned
GET  /vms/sim/printer   what the simulated printer printed so far
"""

from ..errors import RequestError


def sim_scan(handler, app, verb):
    if app.sim_scanner is None:
        return False
    if verb != "POST":
        raise RequestError(405, "method_not_allowed", 'POST {"barcode": "..."}')
    body = handler.read_json()
    if isinstance(body, dict) and isinstance(body.get("params"), dict):
        body = body["params"]
    barcode = body.get("barcode") if isinstance(body, dict) else None
    if not isinstance(barcode, str) or not barcode.strip():
        raise RequestError(422, "invalid_barcode", "barcode must be a non-empty string")
    if len(barcode) > 4096 or "\x00" in barcode:
        raise RequestError(422, "invalid_barcode", "barcode is too long or holds a NUL")
    app.sim_scanner.inject(barcode)
    handler.send_json(200, {"ok": True})
    return True


def sim_printer(handler, app, verb):
    printer = app.sim_printer
    if printer is None or verb != "GET":
        return False
    handler.send_json(
        200,
        {
            "receipts": printer.printed,
            "drawer_kicks": len(printer.drawer_kicks),
            "partial_receipts": printer.partial_receipts,
            "receipts_dir": str(printer.receipts_dir or ""),
        },
    )
    return True


# path -> handler(request handler, app, verb): True when it answered
SIM_ROUTES = {"/vms/sim/scan": sim_scan, "/vms/sim/printer": sim_printer}
