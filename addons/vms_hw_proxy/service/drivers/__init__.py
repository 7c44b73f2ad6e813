"""Drivers: one object per device, owning it, with a map of the actions it performs.

The shape is Odoo's ``iot_drivers`` ``Driver``: each driver class says which
kind of device it drives (``device_type``) over which connection types, an
interface picks the driver for each device it finds (:meth:`Driver.supported`,
highest ``priority`` first), and callers ask for work with
``driver.action({"action": name, ...})``, which looks the name up in the
driver's ``_actions`` map. A driver that talks to its device continuously
(printer, scanner) runs its own thread; a driver that only borrows another
(the cash drawer, wired to a printer) does not.

One module per device kind: ``printer``, ``cash_drawer``, ``scanner`` (the
shared reader loop) with ``scanner_evdev``, ``scanner_serial`` and
``scanner_camera``; the simulated scanner lives in ``sim/``.
"""

import logging
import threading

_logger = logging.getLogger(__name__)

# Every driver class, in definition order (what ``supported`` chooses from).
DRIVERS = []


class ActionError(ValueError):
    """An action that cannot be performed with the data given; the message says why.

    ``code`` names the refusal for the HTTP answer.
    """

    def __init__(self, message, code="invalid_params"):
        super().__init__(message)
        self.code = code


class Driver:
    device_type = ""  # printer | cash_drawer | scanner
    connection_types = ()
    priority = 0

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.device_type and cls.connection_types:
            DRIVERS.append(cls)

    @classmethod
    def supported(cls, spec):
        """True when this driver can drive the device ``spec`` names."""
        return spec.device_type == cls.device_type and spec.kind in cls.connection_types

    def __init__(self, spec):
        self.spec = spec
        self._actions = {}
        self._state = ("disconnected", "not opened yet")
        self._stopping = threading.Event()
        self._thread = None
        # Called with this driver whenever its status changes (the Odoo link listens).
        self.status_listeners = []

    @property
    def name(self):
        return getattr(self.spec, "name", "") or self.spec.url

    def action(self, data):
        """Run the action ``data["action"]`` with ``data``; its result is returned.

        Raises :class:`ActionError` for an unknown action or unusable data.
        """
        name = data.get("action")
        handler = self._actions.get(name) if isinstance(name, str) else None
        if handler is None:
            known = " or ".join(sorted(self._actions))
            raise ActionError(f"unknown action {name!r} ({known})", "invalid_action")
        return handler(data)

    # -- status ----------------------------------------------------------------------

    def describe(self):
        return self.spec.url

    def status(self):
        """``{"status": ..., "messages": ...}`` from cached state, never device I/O."""
        state, message = self._state
        return {"status": state, "messages": [f"{self.describe()}: {message}"] if message else ""}

    def _set_state(self, state, message=""):
        changed = (state, message) != self._state
        if changed:
            log = _logger.info if state == "connected" else _logger.warning
            log("%s: %s%s", self.describe(), state, f" ({message})" if message else "")
        self._state = (state, message)
        if changed:
            for listener in self.status_listeners:
                listener(self)

    # -- thread ----------------------------------------------------------------------

    def run(self):
        """The driver's thread; drivers without one leave it as is."""

    def start(self):
        if type(self).run is Driver.run:
            return
        self._thread = threading.Thread(
            target=self.run, name=f"{self.device_type}-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout=5.0):
        self._stopping.set()
        if self._thread:
            self._thread.join(timeout)


def driver_for(spec, **kwargs):
    """An instance of the best driver for ``spec`` (highest priority first)."""
    candidates = sorted(
        (cls for cls in DRIVERS if cls.supported(spec)), key=lambda cls: -cls.priority
    )
    if not candidates:
        raise LookupError(f"no driver for {spec.url}")
    return candidates[0](spec, **kwargs)


# Each module registers its driver classes on import.
from . import printer, scanner_camera, scanner_evdev, scanner_serial  # noqa: E402
