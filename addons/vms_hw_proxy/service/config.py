"""Command line and configuration file of ``vms-hw-proxy``.

Every option can also be set in a TOML file given with ``--config``; its keys
are the long option names (``printer = ["tcp://10.0.0.7"]``, ``scanner-timeout
= 20``). The command line wins over the file. Unusable values end the program
with exit code 2 and one line naming the option.
"""

import argparse
import ipaddress
import logging
import os
import ssl
import sys
from dataclasses import dataclass, field
from urllib.parse import urlsplit

try:
    import tomllib
except ImportError:  # Python 3.10: no configuration file support
    tomllib = None

from . import __version__
from .addresses import DeviceSpecError, parse_printer, parse_scanner
from .drivers.scanner_camera import camera_available
from .keyboard_layouts import KEYBOARD_LAYOUTS

DEFAULT_HOST = "127.0.0.1"
# The POS assumes 8069 when the till's proxy address carries no port.
DEFAULT_PORT = 8069
LOG_LEVELS = ("debug", "info", "warning", "error")


class OptionError(Exception):
    """An unusable option value; ``option`` names it for the message."""

    def __init__(self, option, message):
        super().__init__(f"{option}: {message}")
        self.option = option


@dataclass
class Options:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    printers: list = field(default_factory=list)
    drawer: str = ""
    printer_width: int = 512
    scanners: list = field(default_factory=list)
    keyboard_layout: str = "us"
    token: str = ""
    cert: str = ""
    key: str = ""
    odoo_url: str = ""
    bus_secret: str = ""
    odoo_db: str = ""
    state_dir: str = ""
    status_interval: float = 30.0
    log_level: str = "info"
    simulate: bool = False
    receipts_dir: str = ""
    scanner_timeout: float = 20.0
    scan_max_age: float = 5.0
    dedupe_window: float = 10.0
    queue_size: int = 32
    job_max_age: float = 60.0
    max_body_mb: float = 8.0
    ssl_context: object = None


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line that names the option, not the whole usage block.
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number_in(kind, low, high):
    """An argparse type: a number of ``kind`` (int or float) within ``low-high``.

    It also checks the values of a TOML file, which come as numbers already:
    there a boolean is not a number, nor 2.5 a whole one.
    """
    noun = "a whole number" if kind is int else "a number"
    shown = str if kind is int else "{:g}".format

    def convert(value):
        if isinstance(value, bool) or (kind is int and isinstance(value, float)):
            raise argparse.ArgumentTypeError(f"{value!r} is not {noun}")
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{value!r} is not {noun}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(
                f"{shown(number)} is out of range {shown(low)}-{shown(high)}"
            )
        return number

    return convert


def build_parser():
    p = _Parser(
        prog="vms-hw-proxy",
        description="Hardware proxy for the Odoo 19 POS: receipt printers, cash drawer and "
        "barcode scanners, reached by the till's browser at http://HOST:PORT "
        "(the till's 'IP address' setting).",
        epilog="Printer URLs: tcp://HOST[:PORT] usb://VID:PID serial:///dev/ttyUSB0?baudrate=N "
        "file:///dev/usb/lp0 (optionally NAME=URL). Scanners: evdev:/dev/input/eventN "
        "serial:///dev/ttyACM0?baudrate=9600 camera:N sim[:PORT|:/path/to/fifo].",
        argument_default=argparse.SUPPRESS,
    )
    add = p.add_argument
    add("--config", metavar="FILE", help="TOML file with the same options (long names as keys)")
    add(
        "--host",
        help=f"address to listen on (default {DEFAULT_HOST}: this till only; "
        "0.0.0.0 to serve other tills, then also set --token)",
    )
    add(
        "--port",
        type=_number_in(int, 0, 65535),
        help=f"port to listen on (default {DEFAULT_PORT}; 0: any free port, printed at startup)",
    )
    add(
        "--printer",
        action="append",
        metavar="URL",
        help="receipt printer (repeatable); receipts print on the first",
    )
    add(
        "--drawer",
        metavar="NAME|INDEX",
        help="printer that kicks the cash drawer (default: the first)",
    )
    add(
        "--printer-width",
        type=_number_in(int, 64, 2048),
        metavar="DOTS",
        help="printable width in dots (default 512; 576 for most 80 mm printers)",
    )
    add("--scanner", action="append", metavar="SPEC", help="barcode scanner (repeatable)")
    add(
        "--keyboard-layout",
        choices=sorted(KEYBOARD_LAYOUTS),
        help="layout an evdev (keyboard-wedge) scanner is set to (default us)",
    )
    add(
        "--scanner-timeout",
        type=_number_in(float, 0.05, 300),
        metavar="SECONDS",
        help="how long /hw_proxy/scanner waits for a scan (default 20)",
    )
    add(
        "--scan-max-age",
        type=_number_in(float, 0.1, 300),
        metavar="SECONDS",
        help="scans nobody asked for are dropped after this (default 5)",
    )
    add(
        "--dedupe-window",
        type=_number_in(float, 0, 3600),
        metavar="SECONDS",
        help="the same receipt sent again within this window prints once (default 10; 0: off)",
    )
    add("--queue-size", type=_number_in(int, 1, 1000), help="jobs waiting per printer (default 32)")
    add(
        "--job-max-age",
        type=_number_in(float, 1, 86400),
        metavar="SECONDS",
        help="a job the printer could not take within this is dropped (default 60)",
    )
    add(
        "--token",
        help="shared secret the till must send (path /vms-token/<token>, header "
        "X-VMS-Proxy-Token or ?token=)",
    )
    add("--cert", metavar="PEM", help="serve HTTPS with this certificate (with --key)")
    add("--key", metavar="PEM", help="private key of --cert")
    add(
        "--odoo-url",
        metavar="URL",
        help="join this Odoo's bus: print its jobs, report status and scans (needs --bus-secret)",
    )
    add(
        "--bus-secret",
        metavar="SECRET",
        help="this proxy's own secret for Odoo's bus and reports (Point of Sale > "
        "Configuration > Hardware Proxies; not the till's --token)",
    )
    add(
        "--odoo-db",
        metavar="NAME",
        help="database of --odoo-url when that Odoo serves several (default: its only one)",
    )
    add(
        "--state-dir",
        metavar="DIR",
        help="where the ids of printed Odoo jobs are kept across restarts "
        "(default ~/.local/state/vms-hw-proxy)",
    )
    add(
        "--status-interval",
        type=_number_in(float, 1, 3600),
        metavar="SECONDS",
        help="how often status is sent to --odoo-url when nothing changes (default 30; "
        "every change is sent at once)",
    )
    add(
        "--simulate",
        action="store_true",
        help="attach a simulated printer and scanner (development and demos)",
    )
    add("--receipts-dir", metavar="DIR", help="where the simulated printer saves receipts as PNG")
    add("--log-level", choices=LOG_LEVELS, help="default info")
    add("--version", action="version", version=f"%(prog)s {__version__}")
    return p


_FILE_LISTS = {"printer", "scanner"}


def _read_config_file(path, parser):
    """The file's settings as {dest: value}, checked like the command line."""
    if tomllib is None:
        raise OptionError("--config", "configuration files need Python 3.11 or later")
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise OptionError("--config", f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise OptionError("--config", f"{path} is not valid TOML: {exc}") from None
    # Each option is checked by its own argparse type and choices: one declaration.
    actions = {
        action.dest: action
        for action in parser._actions
        if action.dest not in ("help", "version", "config")
    }
    values = {}
    for raw_key, raw_value in data.items():
        key = raw_key.replace("_", "-")
        dest = key.replace("-", "_")
        value = raw_value
        action = actions.get(dest)
        if action is None:
            raise OptionError("--config", f"{path}: unknown option {raw_key!r}")
        try:
            if key in _FILE_LISTS:
                value = [value] if isinstance(value, str) else value
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise argparse.ArgumentTypeError("expected a string or a list of strings")
            elif action.type is not None:
                value = action.type(value)
            elif key == "simulate":
                if not isinstance(value, bool):
                    raise argparse.ArgumentTypeError("expected true or false")
            elif not isinstance(value, str):
                raise argparse.ArgumentTypeError("expected a string")
            if action.choices and value not in action.choices:
                choices = ", ".join(action.choices)
                raise argparse.ArgumentTypeError(f"{value!r} is not one of {choices}")
        except argparse.ArgumentTypeError as exc:
            raise OptionError(f"--{key}", f"{exc} (in {path})") from None
        values[dest] = value
    return values


def _check_url(value):
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError("--odoo-url", f"{value!r} is not an http(s):// URL")
    return value.rstrip("/")


def _ssl_context(cert, key):
    if bool(cert) != bool(key):
        raise OptionError("--cert" if cert else "--key", "--cert and --key go together")
    if not cert:
        return None
    for option, path in (("--cert", cert), ("--key", key)):
        if not os.access(path, os.R_OK):
            raise OptionError(option, f"cannot read {path}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise OptionError("--cert", f"cannot use {cert} with {key}: {exc}") from None
    return context


def resolve(values):
    """Build checked :class:`Options` from merged {dest: value} settings."""
    options = Options()
    for name in (
        "host", "port", "drawer", "printer_width", "keyboard_layout", "token", "odoo_url",
        "bus_secret", "odoo_db", "state_dir", "status_interval", "log_level", "simulate",
        "receipts_dir", "scanner_timeout", "scan_max_age", "dedupe_window", "queue_size",
        "job_max_age",
    ):  # fmt: skip
        if name in values:
            setattr(options, name, values[name])
    options.cert, options.key = values.get("cert", ""), values.get("key", "")
    if not options.host:
        raise OptionError("--host", "must not be empty")
    printers = []
    for index, text in enumerate(values.get("printer") or []):
        try:
            spec = parse_printer(text, default_name=f"printer{index}")
        except DeviceSpecError as exc:
            raise OptionError("--printer", str(exc)) from None
        if any(other.name == spec.name for other in printers):
            raise OptionError("--printer", f"two printers are named {spec.name!r}")
        printers.append(spec)
    options.printers = printers
    scanners = []
    for text in values.get("scanner") or []:
        try:
            spec = parse_scanner(text)
        except DeviceSpecError as exc:
            raise OptionError("--scanner", str(exc)) from None
        if spec.kind == "camera" and not camera_available():
            raise OptionError(
                "--scanner", f"{text}: OpenCV is not installed (pip install opencv-python-headless)"
            )
        if spec.kind == "evdev" and not sys.platform.startswith("linux"):
            raise OptionError("--scanner", f"{text}: evdev scanners need Linux")
        scanners.append(spec)
    options.scanners = scanners
    if options.drawer and not options.simulate:
        names = [spec.name for spec in printers]
        if not (options.drawer in names or options.drawer.isdigit()):
            raise OptionError("--drawer", f"no printer named {options.drawer!r}")
        if options.drawer.isdigit() and int(options.drawer) >= len(printers):
            raise OptionError("--drawer", f"no printer number {options.drawer}")
    if options.odoo_url:
        options.odoo_url = _check_url(options.odoo_url)
        if not options.bus_secret:
            raise OptionError(
                "--odoo-url", "needs --bus-secret (Odoo knows the proxy by its bus secret)"
            )
    elif options.bus_secret:
        raise OptionError("--bus-secret", "goes with --odoo-url")
    options.ssl_context = _ssl_context(options.cert, options.key)
    return options


def load(argv=None):
    """Parse the command line (and --config file) into :class:`Options`; exit 2 if unusable."""
    parser = build_parser()
    args = vars(parser.parse_args(argv))
    try:
        values = {}
        if "config" in args:
            values.update(_read_config_file(args["config"], parser))
        values.update(args)
        return resolve(values)
    except OptionError as exc:
        parser.error(str(exc))
        raise  # not reached: error() exits


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def configure_logging(level):
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
