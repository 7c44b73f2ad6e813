"""Printers behind a character device (file:///dev/usb/lp0, the usblp kernel driver)."""

import os

from . import Interface


class DeviceFileInterface(Interface):
    connection_type = "file"

    def present(self, spec):
        return os.path.exists(spec.path)
