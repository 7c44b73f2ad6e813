"""USB printers (usb://VID:PID), found through pyusb."""

import contextlib

from . import Interface


class UsbInterface(Interface):
    connection_type = "usb"

    def present(self, spec):
        with contextlib.suppress(Exception):  # no libusb backend: only trying can tell
            import usb.core

            return usb.core.find(idVendor=spec.vendor_id, idProduct=spec.product_id) is not None
        return None
