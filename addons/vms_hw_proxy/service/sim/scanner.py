"""A simulated barcode scanner, fed by hand or by tests.

One barcode a line on a loopback TCP port (``sim`` or ``sim:PORT``), through
a FIFO or appended to a file (``sim:/path``), or through the HTTP route
``POST /vms/sim/scan`` (``sim.routes``) of a proxy started with --simulate.
"""

import os
import select
import socket
import stat
import threading
import time

from ..drivers.scanner import LineReader, ScannerDriver
from ..interfaces import Interface


class SimInterface(Interface):
    connection_type = "sim"


class SimulatedScanner(ScannerDriver):
    """Barcodes typed in by hand: one a line on a loopback TCP port or a FIFO/file."""

    kind = "sim"
    connection_types = ("sim",)

    def __init__(self, spec, queue, **kwargs):
        super().__init__(spec, queue, **kwargs)
        self.port = spec.port
        self.path = spec.path
        self._server = None
        self._ready = threading.Event()

    def inject(self, code):
        self.queue.push(code)

    @property
    def endpoint(self):
        """Where to feed barcodes, once started."""
        self._ready.wait(2)
        if self.path:
            return self.path
        return f"127.0.0.1:{self.port}"

    def read_forever(self):
        if self.path:
            self._read_path()
        else:
            self._listen()

    def _listen(self):
        self._server = server = socket.create_server(("127.0.0.1", self.port))
        server.settimeout(0.2)
        self.port = server.getsockname()[1]
        self._set_state("connected")
        self._ready.set()
        while not self._stopping.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._read_client, args=(client,), daemon=True).start()

    def _read_client(self, client):
        lines = LineReader()
        with client:
            client.settimeout(0.5)
            while not self._stopping.is_set():
                try:
                    data = client.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    break
                for line in lines.feed(data):
                    self.queue.push(line)
            for line in lines.feed(b"\n"):
                self.queue.push(line)

    def _read_path(self):
        path = self.path
        if not os.path.exists(path):
            os.mkfifo(path, 0o600)
        is_fifo = stat.S_ISFIFO(os.stat(path).st_mode)
        # A FIFO opened read-write never blocks on open and never reads EOF.
        fd = os.open(path, os.O_RDWR if is_fifo else os.O_RDONLY)
        try:
            if not is_fifo:
                os.lseek(fd, 0, os.SEEK_END)  # only lines appended from now on
            self._set_state("connected")
            self._ready.set()
            lines = LineReader()
            while not self._stopping.is_set():
                if is_fifo and not select.select([fd], [], [], 0.2)[0]:
                    continue
                data = os.read(fd, 4096)
                if not data:
                    time.sleep(0.2)
                    continue
                for line in lines.feed(data):
                    self.queue.push(line)
        finally:
            os.close(fd)

    def close(self):
        server, self._server = self._server, None
        if server is not None:
            server.close()
