"""Network printers (tcp://HOST:PORT, the raw port 9100 of most receipt printers)."""

from . import Interface


class NetworkInterface(Interface):
    connection_type = "tcp"
    # Presence is only known by connecting, which the printer's driver does.
