"""Keyboard-wedge scanners (evdev:/dev/input/eventN)."""

import os

from . import Interface


class EvdevInterface(Interface):
    connection_type = "evdev"

    def present(self, spec):
        return os.path.exists(spec.path)
