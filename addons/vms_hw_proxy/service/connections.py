"""The byte pipe to one ESC/POS printer, over python-escpos' transports.

python-escpos has one class per transport (``Network``, ``Usb``, ``Serial``,
``File``); a :class:`PrinterConnection` picks the one the printer's address
names, opens it lazily, writes whole jobs, confirms them with a real-time
status request (DLE EOT) on network printers, and is closed and reopened by
the printer's driver after any error. Rendering is in ``receipt``; the queue
and the retries are the driver's (``drivers.printer``).
"""

import errno
import logging
import select
import socket

from escpos.constants import RT_STATUS_ONLINE
from escpos.exceptions import DeviceNotFoundError

_logger = logging.getLogger(__name__)

# Errors that mean "the printer is not there (yet)" rather than "something is wrong".
_ABSENT_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ENOENT,
    errno.ENODEV,
    errno.ENXIO,
    errno.EPIPE,
    errno.ETIMEDOUT,
}


class PrinterAbsent(Exception):
    """The device cannot be reached: reported as ``disconnected``."""


class PrinterFailure(Exception):
    """The device is there but unusable (permissions, driver): reported as ``error``."""


def describe(spec):
    """A short human name for a printer, for status messages and logs."""
    if spec.kind == "tcp":
        return f"{spec.name} (tcp://{spec.host}:{spec.port})"
    if spec.kind == "usb":
        return f"{spec.name} (usb://{spec.vendor_id:04x}:{spec.product_id:04x})"
    return f"{spec.name} ({spec.kind}://{spec.path})"


# DLE EOT 1, "transmit printer status", a real-time command, sent ourselves:
# python-escpos' query_status() sleeps a full second before reading, too slow
# to run per job.
STATUS_REQUEST = RT_STATUS_ONLINE


class PrinterConnection:
    """One printer device, opened on demand.

    On a network printer each job is followed by a real-time status request:
    the printer answers only once it has received every byte before it, so an
    answer proves the job arrived, and a connection closed instead of
    answering means the job must be sent again. A printer that never answers
    (some do not implement it) is noticed on its first job; from then on its
    jobs count as done once written to the socket.
    """

    # Seconds to wait for the status answer: first job (support unknown) / later jobs.
    PROBE_WAIT = 1.0
    CONFIRM_WAIT = 5.0

    def __init__(self, spec, *, timeout=10.0):
        self.spec = spec
        self.timeout = timeout
        self._device = None
        self.answers_status = None  # unknown until the first job

    @property
    def is_open(self):
        return self._device is not None

    def _make_device(self):
        spec = self.spec
        if spec.kind == "tcp":
            from escpos.printer import Network

            return Network(host=spec.host, port=spec.port, timeout=self.timeout)
        if spec.kind == "usb":
            from escpos.printer import Usb

            # timeout is in milliseconds for pyusb; a stalled printer must not hang the worker.
            return Usb(spec.vendor_id, spec.product_id, timeout=int(self.timeout * 1000))
        if spec.kind == "serial":
            from escpos.printer import Serial

            return Serial(devfile=spec.path, baudrate=spec.baudrate, timeout=self.timeout)
        from escpos.printer import File

        return File(devfile=spec.path)

    def open(self):
        """Open the device if needed; raise PrinterAbsent / PrinterFailure."""
        if self._device is not None:
            return
        try:
            device = self._make_device()
            device.open()
        except DeviceNotFoundError as exc:
            raise PrinterAbsent(_first_line(exc)) from exc
        except OSError as exc:
            raise _classify(exc) from exc
        except Exception as exc:  # pyusb backend missing, access denied, ...
            raise PrinterFailure(_first_line(exc)) from exc
        sock = getattr(device, "_device", None)
        if isinstance(sock, socket.socket):
            _keepalive(sock)
        self._device = device

    def alive(self):
        """False when an open network connection was closed by the printer.

        A printer that restarts closes its end; writing a whole job into such a
        socket could "succeed" into the kernel buffer and be lost, so the worker
        checks before each job and reconnects instead.
        """
        if self._device is None:
            return False
        sock = getattr(self._device, "_device", None)
        if not isinstance(sock, socket.socket):
            return True
        try:
            while select.select([sock], [], [], 0)[0]:
                # Printers may send status bytes (ASB); anything but EOF is fine.
                if not sock.recv(4096):
                    return False
        except (OSError, ValueError):
            return False
        return True

    def write(self, data):
        """Write one whole job; returns when every byte was handed to the device."""
        self.open()
        try:
            self._device._raw(data)
            sock = getattr(self._device, "_device", None)
            if isinstance(sock, socket.socket) and self.answers_status is not False:
                self._confirm(sock)
        except OSError as exc:
            self.close()
            raise _classify(exc) from exc
        except Exception as exc:  # pyusb errors are not OSError
            self.close()
            raise PrinterAbsent(_first_line(exc)) from exc

    def _confirm(self, sock):
        sock.sendall(STATUS_REQUEST)
        wait = self.CONFIRM_WAIT if self.answers_status else self.PROBE_WAIT
        if not select.select([sock], [], [], wait)[0]:
            if self.answers_status:
                raise PrinterAbsent(f"no answer to a status request within {wait:.0f} s")
            _logger.info(
                "%s does not answer status requests: jobs count as done once sent",
                describe(self.spec),
            )
            self.answers_status = False
            return
        if not sock.recv(64):
            raise PrinterAbsent("the printer closed the connection before confirming the job")
        self.answers_status = True

    def close(self):
        device, self._device = self._device, None
        if device is None:
            return
        try:
            device.close()
        except Exception:  # closing a broken device must never fail the worker
            _logger.debug("closing %s failed", describe(self.spec), exc_info=True)


def _keepalive(sock):
    """Notice a printer that was unplugged or lost power while idle (no FIN ever comes)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)


def _first_line(exc):
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text[:200]


def _classify(exc):
    if isinstance(exc, (TimeoutError, ConnectionError)) or exc.errno in _ABSENT_ERRNOS:
        return PrinterAbsent(_first_line(exc))
    return PrinterFailure(_first_line(exc))
