"""Wires the parts of the proxy together from checked :class:`~.config.Options`."""

import logging
import threading

from . import __version__
from .bus import StatusReporter
from .devices import PrinterSpec, ScannerSpec
from .printing import PrinterWorker, PrintService, render_cashbox
from .scanners import (
    CameraScanner,
    EvdevScanner,
    ScannerService,
    ScanQueue,
    SerialScanner,
)
from .server import ProxyHTTPServer
from .simulators import SimulatedPrinter, SimulatedScanner

_logger = logging.getLogger(__name__)


class ProxyApp:
    """The running proxy: printers, scanners, the HTTP server and the optional Odoo link."""

    def __init__(self, options):
        self.options = options
        self.token = options.token
        self.max_body = int(options.max_body_mb * 1024 * 1024)
        self.scanner_timeout = options.scanner_timeout
        self.sim_printer = None
        self.sim_scanner = None
        self.printing = None
        self.scanners = None
        self.reporter = None
        self.httpd = None
        self._serving = None

    # -- building ------------------------------------------------------------------

    def _build_printing(self):
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
        workers = [
            PrinterWorker(
                spec,
                width=options.printer_width,
                queue_size=options.queue_size,
                max_age=options.job_max_age,
            )
            for spec in specs
        ]
        # ValueError for an unknown --drawer; the command line reports it.
        return PrintService(workers, drawer=options.drawer, dedupe_window=options.dedupe_window)

    def _build_scanners(self):
        options = self.options
        queue = ScanQueue(max_age=options.scan_max_age)
        sources = []
        for spec in options.scanners:
            if spec.kind == "evdev":
                sources.append(EvdevScanner(spec, queue, layout=options.keyboard_layout))
            elif spec.kind == "serial":
                sources.append(SerialScanner(spec, queue))
            elif spec.kind == "camera":
                sources.append(CameraScanner(spec, queue))
            else:
                sources.append(SimulatedScanner(spec, queue))
        if options.simulate and not any(s.kind == "sim" for s in sources):
            sources.append(SimulatedScanner(ScannerSpec("sim", "sim"), queue))
        if options.simulate:
            # The HTTP feed route (/vms/sim/scan) is a development aid: only with --simulate.
            self.sim_scanner = next(s for s in sources if s.kind == "sim")
        return ScannerService(queue, sources)

    def start(self):
        """Bind the HTTP port and start every worker; raises OSError if the port is taken."""
        options = self.options
        self.printing = self._build_printing()
        self.scanners = self._build_scanners()
        try:
            self.httpd = ProxyHTTPServer(
                (options.host, options.port), self, ssl_context=options.ssl_context
            )
        except BaseException:
            self.printing = None
            if self.sim_printer:
                self.sim_printer.stop()
            raise
        self.printing.start()
        self.scanners.start()
        if options.odoo_url:
            self.reporter = StatusReporter(
                self.status, options.odoo_url, options.token, interval=options.status_interval
            )
            self.reporter.start()
        return self

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
        if self.reporter:
            self.reporter.stop()
        if self.scanners:
            self.scanners.stop()
        if self.printing:
            self.printing.stop()
        if self.sim_printer:
            self.sim_printer.stop()

    # -- reporting -----------------------------------------------------------------

    def status(self):
        """Driver statuses for status_json; only cached state, never device I/O."""
        printing = self.printing.status()
        result = {"printer": printing.pop("printer"), "scanner": self.scanners.status()}
        result.update(printing)
        return result

    def summary(self):
        """What ``GET /`` shows store IT."""
        info = {
            "service": "vms-hw-proxy",
            "version": __version__,
            "devices": self.status(),
            "token_required": bool(self.token),
        }
        if self.sim_printer:
            info["simulated_printer"] = self.sim_printer.url
        if self.sim_scanner:
            info["simulated_scanner"] = self.sim_scanner.endpoint
        return info

    def sim_printer_summary(self):
        """What the simulated printer printed so far (tests and POS tours check it)."""
        printer = self.sim_printer
        return {
            "receipts": printer.printed,
            "drawer_kicks": len(printer.drawer_kicks),
            "partial_receipts": printer.partial_receipts,
            "receipts_dir": str(printer.receipts_dir or ""),
        }

    def startup_lines(self):
        lines = [f"vms-hw-proxy {__version__} listening on {self.url}"]
        for worker in self.printing.workers:
            role = "receipts" if worker is self.printing.default else "printer"
            if worker is self.printing.drawer:
                role += " + cash drawer"
            lines.append(f"  printer {worker.name}: {worker.spec.url} ({role})")
        if not self.printing.workers:
            lines.append("  no printer: print requests answer false")
        for source in self.scanners.sources:
            lines.append(f"  scanner: {source.spec.url}")
            if source.kind == "sim":
                lines.append(f"    feed barcodes one a line to {source.endpoint}")
        if self.sim_scanner:
            lines.append(f'    or POST {{"barcode": "..."}} to {self.url}/vms/sim/scan')
        if self.sim_printer and self.options.receipts_dir:
            lines.append(f"  simulated receipts saved in {self.options.receipts_dir}")
        if self.reporter:
            lines.append(f"  reporting status to {self.reporter.url}")
        return lines
