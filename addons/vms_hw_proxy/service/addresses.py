"""Device addresses given on the command line, parsed and checked once at startup.

Printers::

    tcp://HOST[:PORT]                 network printer (raw port, 9100 by default)
    usb://VID:PID                     USB printer, vendor and product id in hex
    serial:///dev/ttyUSB0?baudrate=N  serial printer (default 19200 baud)
    file:///dev/usb/lp0               character device (usblp kernel driver)

each optionally preceded by ``NAME=`` (``kitchen=tcp://10.0.0.7``).

Scanners::

    evdev:/dev/input/eventN           USB keyboard-wedge scanner (grabbed)
    serial:///dev/ttyACM0?baudrate=N  serial or USB-CDC scanner, one code a line
    camera:N                          camera N read with OpenCV + zbar
    sim                               simulated scanner on a loopback TCP port
    sim:PORT | sim:/path/to/fifo      ... on a given port, or reading a FIFO
"""

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

SERIAL_BAUDRATES = (
    1200,
    2400,
    4800,
    9600,
    19200,
    38400,
    57600,
    115200,
    230400,
)


class DeviceSpecError(ValueError):
    """An address that cannot name a device; the message says why."""


@dataclass(frozen=True)
class PrinterSpec:
    device_type = "printer"  # class attribute, not a field
    kind: str  # tcp | usb | serial | file
    name: str
    url: str
    host: str = ""
    port: int = 9100
    vendor_id: int = 0
    product_id: int = 0
    path: str = ""
    baudrate: int = 19200


@dataclass(frozen=True)
class ScannerSpec:
    device_type = "scanner"  # class attribute, not a field
    kind: str  # evdev | serial | camera | sim
    url: str
    path: str = ""
    baudrate: int = 9600
    index: int = 0
    port: int = 0
    options: dict = field(default_factory=dict, compare=False)


def _baudrate(query, default):
    values = parse_qs(query).get("baudrate")
    if not values:
        return default
    try:
        rate = int(values[-1])
    except ValueError:
        rate = -1
    if rate not in SERIAL_BAUDRATES:
        raise DeviceSpecError(
            f"bad baudrate {values[-1]!r} (use one of {', '.join(map(str, SERIAL_BAUDRATES))})"
        )
    return rate


def _port(text, what="port"):
    try:
        port = int(text)
    except (TypeError, ValueError):
        raise DeviceSpecError(f"bad {what} {text!r}") from None
    if not 1 <= port <= 65535:
        raise DeviceSpecError(f"{what} {port} out of range 1-65535")
    return port


def parse_printer(text, default_name="printer"):
    """Parse ``[NAME=]URL`` into a :class:`PrinterSpec`."""
    name, url = default_name, text.strip()
    head, sep, tail = url.partition("=")
    if sep and "://" not in head and "?" not in head:
        name, url = head.strip() or default_name, tail.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "tcp":
        if not parts.hostname:
            raise DeviceSpecError(f"{url!r}: tcp:// needs a host, e.g. tcp://192.168.1.50:9100")
        try:
            raw_port = parts.port
        except ValueError:
            raise DeviceSpecError(f"{url!r}: port out of range 1-65535") from None
        port = 9100 if raw_port is None else _port(raw_port)
        return PrinterSpec("tcp", name, url, host=parts.hostname, port=port)
    if scheme == "usb":
        ids = (parts.netloc + parts.path).strip("/")
        vid, sep, pid = ids.partition(":")
        try:
            vendor_id, product_id = int(vid, 16), int(pid, 16)
        except ValueError:
            raise DeviceSpecError(
                f"{url!r}: use usb://VID:PID in hex, e.g. usb://04b8:0202"
            ) from None
        if not sep or not (0 <= vendor_id <= 0xFFFF and 0 <= product_id <= 0xFFFF):
            raise DeviceSpecError(f"{url!r}: use usb://VID:PID in hex, e.g. usb://04b8:0202")
        return PrinterSpec("usb", name, url, vendor_id=vendor_id, product_id=product_id)
    if scheme == "serial":
        path = parts.netloc + parts.path
        if not path:
            raise DeviceSpecError(f"{url!r}: use serial:///dev/ttyUSB0?baudrate=19200")
        return PrinterSpec("serial", name, url, path=path, baudrate=_baudrate(parts.query, 19200))
    if scheme == "file":
        path = parts.netloc + parts.path
        if not path:
            raise DeviceSpecError(f"{url!r}: use file:///dev/usb/lp0")
        return PrinterSpec("file", name, url, path=path)
    raise DeviceSpecError(
        f"{url!r}: unknown printer scheme {parts.scheme!r} (use tcp://, usb://, serial://, file://)"
    )


def parse_scanner(text):
    """Parse a scanner address into a :class:`ScannerSpec`."""
    url = text.strip()
    if url == "sim":
        return ScannerSpec("sim", url)
    if url.startswith("sim:"):
        target = url[4:]
        if target.startswith("/"):
            return ScannerSpec("sim", url, path=target)
        return ScannerSpec("sim", url, port=_port(target, "sim scanner port"))
    if url.startswith("evdev:"):
        path = url[6:].removeprefix("//")
        if not path.startswith("/"):
            raise DeviceSpecError(f"{url!r}: use evdev:/dev/input/eventN")
        return ScannerSpec("evdev", url, path=path)
    if url.startswith("camera:"):
        try:
            index = int(url[7:])
        except ValueError:
            raise DeviceSpecError(f"{url!r}: use camera:N, e.g. camera:0") from None
        return ScannerSpec("camera", url, index=index)
    parts = urlsplit(url)
    if parts.scheme == "serial":
        path = parts.netloc + parts.path
        if not path:
            raise DeviceSpecError(f"{url!r}: use serial:///dev/ttyACM0?baudrate=9600")
        return ScannerSpec("serial", url, path=path, baudrate=_baudrate(parts.query, 9600))
    raise DeviceSpecError(
        f"{url!r}: unknown scanner (use evdev:/dev/input/eventN, serial:///dev/ttyACM0, "
        "camera:N or sim)"
    )
