"""Serial ports (serial:///dev/ttyUSB0): printers and scanners."""

import os

from . import Interface


class SerialInterface(Interface):
    connection_type = "serial"

    def present(self, spec):
        return os.path.exists(spec.path)
