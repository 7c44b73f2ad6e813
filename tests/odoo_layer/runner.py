"""Install the VMS addons with their tests on a throwaway database and cluster."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADDONS = ("vms_loyalty", "vms_pos", "vms_hw_proxy")
# Where the Odoo layer leaves its one-line summary for the terminal report.
ODOO_LAYER_KEY = pytest.StashKey[str]()

sys.path.insert(0, str(ROOT / "scripts"))
import odoocmd  # noqa: E402  (lives in scripts/, shared with the benchmarks)
import pgcluster  # noqa: E402  (lives in scripts/, shared with make run)
from odoocmd import odoo_home  # noqa: E402


def odoo_present():
    home = odoo_home()
    return (home / "odoo-bin").is_file() and (home / "odoo" / "addons" / "base").is_dir()


def odoo_command(port, database, data_dir, http_port, extra=()):
    return odoocmd.odoo_command(
        port,
        database,
        data_dir,
        f"--http-port={http_port}",
        "--http-interface=127.0.0.1",
        "--max-cron-threads=0",
        "--no-database-list",
        *extra,
    )


def run_odoo_tests(log_path, test_tags=None, timeout=3600):
    """Create a cluster and a database, install our addons with demo data and
    run their tests (server tests and tours). Returns Odoo's exit code."""
    tags = test_tags or ",".join(f"/{name}" for name in ADDONS)
    workdir = Path(tempfile.mkdtemp(prefix="vms-odoo-test-"))
    try:
        port = pgcluster.start(str(workdir / "pg"))
        cmd = odoo_command(
            port,
            "vms_test",
            workdir / "filestore",
            pgcluster.free_port(),
            extra=[
                "--init=" + ",".join(ADDONS),
                "--with-demo",
                "--test-enable",
                f"--test-tags={tags}",
                "--stop-after-init",
                "--log-level=info",
                "--workers=0",
            ],
        )
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(log_path, "w") as log:
            proc = subprocess.run(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        return proc.returncode
    finally:
        pgcluster.destroy(str(workdir / "pg"))
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
