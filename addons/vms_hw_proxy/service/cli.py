"""``vms-hw-proxy`` command: parse options, start the proxy, serve until stopped."""

import contextlib
import ctypes
import ctypes.util
import logging
import signal
import sys

from . import config
from .app import ProxyApp

_logger = logging.getLogger(__name__)


M_ARENA_MAX = -8  # glibc mallopt() parameter


def _limit_malloc_arenas(count=2):
    """Keep memory flat on a small till PC.

    Every request runs in its own thread, and glibc gives busy threads their
    own malloc arenas; the decoded receipts then leave several partly used
    arenas behind. Two arenas are plenty for this service.
    """
    name = ctypes.util.find_library("c")
    if not name or not sys.platform.startswith("linux"):
        return
    # Not glibc (e.g. musl): nothing to tune.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(name).mallopt(M_ARENA_MAX, count)


def main(argv=None):
    options = config.load(argv)
    _limit_malloc_arenas()
    config.configure_logging(options.log_level)
    if not options.token and not config.is_loopback(options.host):
        _logger.warning(
            "listening on %s without --token: anyone on the network can print and "
            "read scans; set --token",
            options.host,
        )
    app = ProxyApp(options)
    try:
        app.start()
    except ValueError as exc:  # --drawer naming no printer
        app.stop()
        sys.stderr.write(f"vms-hw-proxy: error: --drawer: {exc}\n")
        return 2
    except OSError as exc:
        app.stop()
        sys.stderr.write(
            f"vms-hw-proxy: error: --port: cannot listen on {options.host}:{options.port}: "
            f"{exc.strerror or exc}\n"
        )
        return 2
    for line in app.startup_lines():
        print(line, flush=True)

    def _terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        app.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        _logger.info("stopping")
        app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
