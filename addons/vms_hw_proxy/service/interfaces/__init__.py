"""Interfaces: one per connection type, finding that type's devices and their drivers.

The shape is Odoo's ``iot_drivers`` ``Interface``. A store names its devices
on the command line (``--printer``, ``--scanner``), so an interface does not
scan buses for unknown hardware: it takes the addresses of its connection
type, says which of them are present right now (:meth:`Interface.present`,
for startup lines and logs; a driver keeps retrying an absent device), and
builds the driver for each one (:func:`..drivers.driver_for`).

One module per connection type: ``network`` (tcp://), ``usb`` (usb://),
``serial`` (serial://, printers and scanners), ``device_file`` (file://),
``evdev`` (evdev:), ``camera`` (camera:); the simulated scanner's interface
is ``sim.scanner``.
"""

import logging

from ..drivers import driver_for

_logger = logging.getLogger(__name__)

# connection type -> Interface subclass
INTERFACES = {}


class Interface:
    connection_type = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.connection_type:
            INTERFACES[cls.connection_type] = cls

    def __init__(self, specs):
        self.specs = [spec for spec in specs if spec.kind == self.connection_type]

    def present(self, spec):
        """True when the device looks reachable now; None when only trying can tell."""
        return None

    def get_devices(self):
        """{address: spec} of this connection type's devices."""
        return {spec.url: spec for spec in self.specs}

    def drivers(self, **kwargs):
        """A driver for each device, in the order the addresses were given."""
        result = []
        for url, spec in self.get_devices().items():
            present = self.present(spec)
            if present is False:
                _logger.warning("%s is not there (yet); its driver will keep trying", url)
            result.append(driver_for(spec, **kwargs))
        return result


def build_drivers(specs, **kwargs):
    """Drivers for ``specs`` (all of one device type), keeping their order."""
    by_type = {}
    for spec in specs:
        interface = by_type.get(spec.kind)
        if interface is None:
            interface = by_type[spec.kind] = INTERFACES[spec.kind](specs)
    drivers = {}
    for interface in by_type.values():
        for spec, driver in zip(interface.specs, interface.drivers(**kwargs), strict=True):
            drivers[id(spec)] = driver
    return [drivers[id(spec)] for spec in specs]


# Each module registers its interface class on import.
from . import camera, device_file, evdev, network, serial, usb  # noqa: E402
