import socket
import subprocess
import sys
import time
import urllib.request

from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

try:
    from vms_hw_proxy_service.sim.printer import SimulatedPrinter
except ImportError:  # the proxy package is installed with the project's virtualenv
    SimulatedPrinter = None

TOKEN = "tour-till-secret"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestProxyTour(TestPointOfSaleHttpCommon):
    """The unmodified Odoo 19 POS drives a real vms-hw-proxy: it prints a
    receipt on the (simulated) network printer, kicks the cash drawer, and a
    scan on the proxy's scanner adds a product to the order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if SimulatedPrinter is None:
            raise RuntimeError(
                "vms_hw_proxy_service is not importable: install the project with "
                "`pip install -e .` in Odoo's virtualenv"
            )
        cls.printer = SimulatedPrinter().start()
        cls.addClassCleanup(cls.printer.stop)
        cls.proxy_port = _free_port()
        cls.proxy = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vms_hw_proxy_service",
                "--host=127.0.0.1",
                f"--port={cls.proxy_port}",
                f"--printer={cls.printer.url}",
                "--simulate",
                f"--token={TOKEN}",
                "--log-level=warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        cls.addClassCleanup(cls._stop_proxy)
        cls._wait_for_proxy()
        cls.mug = cls.env["product.product"].create(
            {
                "name": "Proxy Scan Mug",
                "barcode": "5901234123457",
                "list_price": 4.20,
                "taxes_id": False,
                "available_in_pos": True,
            }
        )
        cls.main_pos_config.write(
            {
                "is_posbox": True,
                "proxy_ip": f"127.0.0.1:{cls.proxy_port}",
                "iface_print_via_proxy": True,
                "iface_scan_via_proxy": True,
                "iface_cashdrawer": True,
                "vms_proxy_token": TOKEN,
            }
        )

    @classmethod
    def _wait_for_proxy(cls):
        url = f"http://127.0.0.1:{cls.proxy_port}/hw_proxy/hello"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if cls.proxy.poll() is not None:
                raise RuntimeError(f"vms-hw-proxy exited: {cls.proxy.stderr.read().decode()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.read() == b"ping":
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("vms-hw-proxy did not answer /hw_proxy/hello")

    @classmethod
    def _stop_proxy(cls):
        cls.proxy.terminate()
        try:
            cls.proxy.wait(10)
        except subprocess.TimeoutExpired:
            cls.proxy.kill()

    def test_print_drawer_and_scan_through_the_proxy(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id
        self.start_pos_tour("vms_hw_proxy_print_drawer_scan")

        order = self.env["pos.order"].search([("session_id", "=", session.id)])
        self.assertEqual(order.lines.product_id, self.mug, "the scan added the mug")
        self.assertEqual(order.amount_total, 4.20)

        self.assertTrue(self.printer.wait_for(1, timeout=10), "no receipt reached the printer")
        receipt = self.printer.receipts[0]
        self.assertEqual(receipt.width, 512)
        self.assertGreater(receipt.height, 200, "a receipt, not a stub")
        ink = receipt.convert("L").histogram()[0]
        self.assertGreater(ink, 1000, "the receipt carries printed dots")
        self.assertTrue(self.printer.wait_for_kicks(1, timeout=10), "the drawer did not open")

        # The till told the back office what its proxy reported.
        self.main_pos_config.invalidate_recordset()
        self.assertEqual(self.main_pos_config.vms_proxy_status, "connected")
        self.assertEqual(self.main_pos_config.vms_proxy_reported_by, "pos")
        self.assertEqual(self.main_pos_config.vms_proxy_devices["printer"]["status"], "connected")
