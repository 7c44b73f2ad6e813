import base64
import os
from contextlib import contextmanager
from pathlib import Path
from unittest import SkipTest
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from .common_panel import PanelCase
from .test_panel_tour import EXPIRED, NORTH_ONLY, PANEL, PARTIAL


@contextmanager
def screenshot_at_the_end(path):
    """Save what the browser shows when the tour is over (before it closes)."""
    stop = ChromeBrowser.stop

    def stop_after_screenshot(browser):
        answer = browser._websocket_request("Page.captureScreenshot", params={"format": "png"})
        path.write_bytes(base64.b64decode(answer["data"]))
        stop(browser)

    with patch.object(ChromeBrowser, "stop", stop_after_screenshot):
        yield


@tagged("post_install", "-at_install")
class TestPanelScreenshots(PanelCase):
    """The README's screenshots of the panel on a phone, made on demand:
    ``VMS_PANEL_SCREENSHOTS=docs/screenshots`` (a folder) with the tag
    ``/vms_loyalty:TestPanelScreenshots``."""

    browser_size = "390x844"
    touch_enabled = True

    def setUp(self):
        super().setUp()
        folder = os.environ.get("VMS_PANEL_SCREENSHOTS")
        if not folder:
            raise SkipTest("screenshots are made on demand (VMS_PANEL_SCREENSHOTS)")
        self.folder = Path(folder).resolve()
        self.folder.mkdir(parents=True, exist_ok=True)

    def test_screenshots(self):
        self.active_voucher(code=NORTH_ONLY, campaign_id=self.north_only.id, valid_to=self.days(60))
        self.active_voucher(code=PARTIAL, valid_to=self.days(90))
        self.active_voucher(code=EXPIRED, valid_from=self.days(-30), valid_to=self.yesterday())
        for tour, name in (
            ("vms_panel_shot_panel", "panel_voucher.png"),
            ("vms_panel_shot_success", "panel_success.png"),
            ("vms_panel_shot_error", "panel_error.png"),
        ):
            with screenshot_at_the_end(self.folder / name):
                self.start_tour(PANEL, tour, login=self.north.login)
            self.assertTrue((self.folder / name).stat().st_size > 1000)
