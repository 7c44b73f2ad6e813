import re
import subprocess
import sys
from pathlib import Path

from odoo.tests import tagged

from .test_api import ApiCase

ROOT = Path(__file__).resolve().parents[3]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@tagged("post_install", "-at_install")
class TestApiFuzzing(ApiCase):
    """Schemathesis, every check, against the API as this server answers it:
    the OpenAPI document must state every status, content type and bound the
    server enforces, and no request may get a 5xx (``schemathesis.toml`` at the
    root of the repository says what a business refusal of a well-formed
    request may answer)."""

    def test_schemathesis_finds_nothing(self):
        self.assertTrue(SCHEMATHESIS.exists(), f"schemathesis is not installed at {SCHEMATHESIS}")
        # Something to find: a few vouchers, a card, an item.
        for nominal in (10.0, 50.0):
            self.voucher(nominal)
        self.voucher(50.0, partner_id=self.holder.id)
        # The test server answers other processes' requests only when allowed.
        with self.mockSMSGateway(), self.allow_requests(all_requests=True):
            result = subprocess.run(
                [
                    str(SCHEMATHESIS),
                    "--config-file",
                    str(ROOT / "schemathesis.toml"),
                    "run",
                    f"{self.base_url()}/vms/api/v1/openapi.json",
                    "--checks",
                    "all",
                    "--header",
                    f"Authorization: Bearer {self.key}",
                    "--no-color",
                ],
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
            )
        output = result.stdout + result.stderr
        summary = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed)", line)]
        self.assertEqual(result.returncode, 0, output[-6000:])
        self.assertTrue(summary, output[-3000:])
        # The figures go to the log for the closing note of a run.
        self._logger.info("schemathesis: %s", " | ".join(line.strip() for line in summary))
