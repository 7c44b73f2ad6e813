"""USB keyboard-wedge scanners, read through Linux evdev and grabbed.

The scanner "types" each code and ends it with Enter; :class:`KeyDecoder`
turns key events back into text with the layout the scanner is set to
(``keyboard_layouts``).
"""

import contextlib
import select

from ..keyboard_layouts import (
    ALTGR,
    ALTGR_KEY,
    ENTER_KEYS,
    KEY_DOWN,
    KEY_UP,
    KEYBOARD_LAYOUTS,
    SHIFT_KEYS,
)
from .scanner import ScannerDriver


class KeyDecoder:
    """Turns key events of a keyboard-wedge scanner into barcodes (Enter ends one)."""

    def __init__(self, layout="us"):
        if layout not in KEYBOARD_LAYOUTS:
            raise ValueError(
                f"unknown keyboard layout {layout!r} (use {', '.join(KEYBOARD_LAYOUTS)})"
            )
        self.keys = KEYBOARD_LAYOUTS[layout]
        self.altgr_keys = ALTGR[layout]
        self.shift = False
        self.altgr = False
        self.buffer = []

    def feed(self, code, value):
        """Feed one EV_KEY event; returns the barcode when Enter completes one."""
        if code in SHIFT_KEYS:
            self.shift = value != KEY_UP
            return None
        if code == ALTGR_KEY:
            self.altgr = value != KEY_UP
            return None
        if value != KEY_DOWN:
            return None  # key release or autorepeat
        if code in ENTER_KEYS:
            text, self.buffer = "".join(self.buffer), []
            return text or None
        if self.altgr:
            char = self.altgr_keys.get(code)
        else:
            pair = self.keys.get(code)
            char = pair and pair[1 if self.shift else 0]
        if char:
            self.buffer.append(char)
        return None


class EvdevScanner(ScannerDriver):
    """USB keyboard-wedge scanner, grabbed so its keys do not reach the desktop."""

    kind = "evdev"
    connection_types = ("evdev",)

    def __init__(self, spec, queue, *, layout="us", **kwargs):
        super().__init__(spec, queue, **kwargs)
        self.layout = layout
        self._device = None

    def read_forever(self):
        import evdev

        self._device = device = evdev.InputDevice(self.spec.path)
        try:
            device.grab()
        except OSError as exc:
            raise PermissionError(f"cannot grab {self.spec.path}: {exc}") from exc
        self._set_state("connected")
        decoder = KeyDecoder(self.layout)
        while not self._stopping.is_set():
            # select with a timeout rather than read_loop(), so stop() is noticed.
            if not select.select([device.fd], [], [], 0.5)[0]:
                continue
            for event in device.read():
                if event.type == evdev.ecodes.EV_KEY:
                    code = decoder.feed(event.code, event.value)
                    if code:
                        self.queue.push(code)

    def close(self):
        device, self._device = self._device, None
        if device is not None:
            with contextlib.suppress(OSError):
                device.close()
