"""Fixtures: the real proxy, served in-process on a free loopback port."""

import pytest

from vms_hw_proxy_service import config
from vms_hw_proxy_service.app import ProxyApp
from vms_hw_proxy_service.sim.printer import SimulatedPrinter


@pytest.fixture
def sim_printer():
    printer = SimulatedPrinter(port=0).start()
    yield printer
    printer.stop()


@pytest.fixture
def start_proxy():
    """Start a proxy with the given command-line options; stopped after the test."""
    apps = []

    def start(*argv):
        options = config.load(["--host", "127.0.0.1", "--port", "0", *argv])
        app = ProxyApp(options).start().serve_in_thread()
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.stop()


@pytest.fixture
def proxy(start_proxy, sim_printer):
    """A proxy printing on a running simulated printer, with a short scanner timeout."""
    app = start_proxy("--printer", sim_printer.url, "--scanner-timeout", "1")
    app.base = app.url
    return app
