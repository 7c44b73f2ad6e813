"""Wires the parts of the proxy together from checked :class:`~.config.Options`.

Like ``iot_drivers``' ``main``: the interfaces find the configured devices and
build their drivers (``interfaces``, ``drivers``), the scanners feed one scan
queue (``queues``), the HTTP layer translates the POS protocol into driver
actions (``server``), and with --odoo-url the link to Odoo (``link``) keeps
the bus websocket, runs print jobs and reports status and scans.
"""

import logging
import os
import threading
from pathlib import Path

from . import __version__
from .addresses import PrinterSpec, ScannerSpec
from .drivers import ActionError
from .drivers.cash_drawer import CashDrawerDriver
from .interfaces import build_drivers
from .link.bus import BusLink
from .link.client import OdooClient
from .link.jobs import JobRunner
from .link.journal import JobJournal
from .link.reports import Reporter
from .queues import ScanQueue
from .receipt import render_cashbox
from .server import ProxyHTTPServer
from .sim import scanner as _sim_scanner  # noqa: F401  (registers the simulated scanner)
from .sim.printer import SimulatedPrinter

_logger = logging.getLogger(__name__)


def default_state_dir():
    """Where the proxy keeps what must survive a restart (printed job ids)."""
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return str(Path(base) / "vms-hw-proxy")


class ProxyApp:
    """The running proxy: drivers, the HTTP server and the optional Odoo link."""

    def __init__(self, options):
        self.options = options
        self.token = options.token
        self.max_body = int(options.max_body_mb * 1024 * 1024)
        self.scanner_timeout = options.scanner_timeout
        self.sim_printer = None
        self.sim_scanner = None
        self.printers = []
        self.cash_drawer = None
        self.scanners = []
        self.scan_queue = ScanQueue(max_age=options.scan_max_age)
        self.reporter = None
        self.bus = None
        self.jobs = None
        self.httpd = None
        self._serving = None

    # -- building ------------------------------------------------------------------

    def _build_printers(self):
        options = self.options
        # python-escpos loads its printer profiles on first use (~0.4 s): do it
        # now rather than while the first customer waits for a receipt.
        render_cashbox(options.printer_width)
        specs = list(options.printers)
        if options.simulate:
            self.sim_printer = SimulatedPrinter(
                port=0,
                receipts_dir=options.receipts_dir or None,
                max_kept=20,  # a long demo must not keep every receipt in memory
                keep_raw=False,
            ).start()
            specs.append(
                PrinterSpec(
                    "tcp",
                    "simulated",
                    self.sim_printer.url,
                    host="127.0.0.1",
                    port=self.sim_printer.port,
                )
            )
        self.printers = build_drivers(
            specs,
            width=options.printer_width,
            queue_size=options.queue_size,
            max_age=options.job_max_age,
            dedupe_window=options.dedupe_window,
        )
        drawer = self._pick_drawer(options.drawer)
        self.cash_drawer = CashDrawerDriver(drawer) if drawer else None

    def _pick_drawer(self, drawer):
        """The printer the cash drawer is wired to; ValueError when none matches."""
        if not self.printers:
            return None
        if drawer in (None, ""):
            return self.printers[0]
        if str(drawer).isdigit():
            index = int(drawer)
            if index >= len(self.printers):
                raise ValueError(f"no printer number {index} (there are {len(self.printers)})")
            return self.printers[index]
        for printer in self.printers:
            if printer.name == drawer:
                return printer
        names = ", ".join(printer.name for printer in self.printers)
        raise ValueError(f"no printer named {drawer!r} (printers: {names})")

    def _build_scanners(self):
        options = self.options
        specs = list(options.scanners)
        if options.simulate and not any(spec.kind == "sim" for spec in specs):
            specs.append(ScannerSpec("sim", "sim"))
        self.scanners = build_drivers(specs, queue=self.scan_queue)
        for scanner in self.scanners:
            if scanner.kind == "evdev":  # only keyboard wedges have a layout
                scanner.layout = options.keyboard_layout
        if options.simulate:
            # The HTTP feed route (/vms/sim/scan) is a development aid: only with --simulate.
            self.sim_scanner = next(s for s in self.scanners if s.kind == "sim")

    def _build_link(self):
        options = self.options
        client = OdooClient(options.odoo_url, options.bus_secret, db=options.odoo_db)
        self.reporter = Reporter(client, self.odoo_status, interval=options.status_interval)
        journal = JobJournal(options.state_dir or default_state_dir(), options.odoo_url)
        self.jobs = JobRunner(client, self.reporter, journal, lambda: self.default_printer)
        self.bus = BusLink(
            options.odoo_url,
            options.bus_secret,
            self.jobs.notify,
            db=options.odoo_db,
            on_change=self._bus_changed,
        )
        for driver in [*self.printers, *self.scanners]:
            driver.status_listeners.append(self.reporter.status_changed)
        self.scan_queue.listeners.append(self.reporter.scan)

    def _bus_changed(self):
        if self.bus.connected:
            self.reporter.odoo_back()
        else:
            self.reporter.status_changed()

    def start(self):
        """Bind the HTTP port and start every driver; raises OSError if the port is taken."""
        options = self.options
        try:
            self._build_printers()
            self._build_scanners()
            if options.odoo_url:
                self._build_link()
            self.httpd = ProxyHTTPServer(
                (options.host, options.port), self, ssl_context=options.ssl_context
            )
        except BaseException:
            self.printers, self.scanners = [], []
            if self.sim_printer:
                self.sim_printer.stop()
            raise
        for driver in [*self.printers, *self.scanners]:
            driver.start()
        if self.reporter:
            self.reporter.start()
            self.jobs.start()
            self.bus.start()
        return self

    @property
    def default_printer(self):
        """The printer receipts and Odoo's print jobs go to: the first one."""
        return self.printers[0] if self.printers else None

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def url(self):
        scheme = "https" if self.options.ssl_context else "http"
        host = self.options.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"{scheme}://{host}:{self.port}"

    def serve_forever(self):
        self.httpd.serve_forever(poll_interval=0.2)

    def serve_in_thread(self):
        """Serve from a background thread (tests and embedding)."""
        self._serving = threading.Thread(target=self.serve_forever, name="http", daemon=True)
        self._serving.start()
        return self

    def stop(self):
        if self.httpd is not None:
            if self._serving is not None:
                self.httpd.shutdown()
            self.httpd.server_close()
        for part in (self.bus, self.jobs, self.reporter):
            if part is not None:
                part.stop()
        for driver in [*self.scanners, *self.printers]:
            driver.stop()
        if self.sim_printer:
            self.sim_printer.stop()

    # -- actions the HTTP layer asks for -------------------------------------------

    def printer_action(self, data):
        """The POS's default_printer_action: print_receipt on the receipt printer,
        cashbox on the cash drawer; False when that device is not configured."""
        action = data.get("action")
        if action == "print_receipt":
            driver = self.default_printer
        elif action == "cashbox":
            driver = self.cash_drawer
        else:
            raise ActionError(
                f"unknown action {action!r} (print_receipt or cashbox)", "invalid_action"
            )
        if driver is None:
            return False
        return driver.action(data)

    # -- reporting -----------------------------------------------------------------

    def status(self):
        """Driver statuses for status_json; only cached state, never device I/O."""
        if not self.printers:
            missing = {"status": "disconnected", "messages": ["no printer configured"]}
            result = {"printer": dict(missing)}
        else:
            result = {"printer": self.default_printer.status()}
        result["scanner"] = self._scanner_status()
        result["cashdrawer"] = (
            self.cash_drawer.status() if self.cash_drawer else dict(result["printer"])
        )
        for printer in self.printers[1:]:
            result[f"printer_{printer.name}"] = printer.status()
        return result

    def _scanner_status(self):
        if not self.scanners:
            return {"status": "disconnected", "messages": ["no scanner configured"]}
        states = [scanner.status() for scanner in self.scanners]
        messages = [m for state in states for m in (state["messages"] or [])]
        names = {state["status"] for state in states}
        status = next((name for name in ("connected", "error") if name in names), "disconnected")
        return {"status": status, "messages": messages or ""}

    def odoo_status(self):
        """What the status report to Odoo carries."""
        return {
            "devices": {name: {"status": info["status"]} for name, info in self.status().items()},
            "printer_width": self.options.printer_width,
            "bus": bool(self.bus and self.bus.connected),
        }

    def summary(self):
        """What ``GET /`` shows store IT."""
        info = {
            "service": "vms-hw-proxy",
            "version": __version__,
            "devices": self.status(),
            "token_required": bool(self.token),
        }
        if self.bus:
            info["odoo"] = {
                "url": self.options.odoo_url,
                "bus": "connected" if self.bus.connected else "disconnected",
                "connections": self.bus.connections,
                "jobs_printed": self.jobs.printed,
                "jobs_failed": self.jobs.failed,
                "job_phases": self.jobs.phase_times(),
            }
        if self.sim_printer:
            info["simulated_printer"] = self.sim_printer.url
        if self.sim_scanner:
            info["simulated_scanner"] = self.sim_scanner.endpoint
        return info

    def startup_lines(self):
        lines = [f"vms-hw-proxy {__version__} listening on {self.url}"]
        for printer in self.printers:
            role = "receipts" if printer is self.default_printer else "printer"
            if self.cash_drawer and printer is self.cash_drawer.printer:
                role += " + cash drawer"
            lines.append(f"  printer {printer.name}: {printer.spec.url} ({role})")
        if not self.printers:
            lines.append("  no printer: print requests answer false")
        for scanner in self.scanners:
            lines.append(f"  scanner: {scanner.spec.url}")
            if scanner.kind == "sim":
                lines.append(f"    feed barcodes one a line to {scanner.endpoint}")
        if self.sim_scanner:
            lines.append(f'    or POST {{"barcode": "..."}} to {self.url}/vms/sim/scan')
        if self.sim_printer and self.options.receipts_dir:
            lines.append(f"  simulated receipts saved in {self.options.receipts_dir}")
        if self.bus:
            lines.append(f"  Odoo: {self.bus.url} (bus), reports to {self.reporter.url}")
        return lines
