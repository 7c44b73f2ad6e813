"""Serial (RS-232 or USB-CDC) scanners sending one code a line, read with pyserial."""

import contextlib

from .scanner import LineReader, ScannerDriver


class SerialScanner(ScannerDriver):
    """Serial (RS-232 or USB-CDC) scanner sending one code a line."""

    kind = "serial"
    connection_types = ("serial",)

    def __init__(self, spec, queue, **kwargs):
        super().__init__(spec, queue, **kwargs)
        self._port = None

    def read_forever(self):
        import serial

        try:
            self._port = port = serial.Serial(self.spec.path, self.spec.baudrate, timeout=0.5)
        except serial.SerialException as exc:
            raise OSError(str(exc)) from exc
        self._set_state("connected")
        lines = LineReader()
        while not self._stopping.is_set():
            try:
                data = port.read(port.in_waiting or 1)
            except serial.SerialException as exc:
                raise OSError(str(exc)) from exc
            for line in lines.feed(data):
                self.queue.push(line)

    def close(self):
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
