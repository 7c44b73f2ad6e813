"""The odoo-bin command line the project's tools use against one of its own
PostgreSQL clusters (see pgcluster.py): the Odoo layer of make test and the
benchmarks."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def odoo_home():
    return Path(os.environ.get("ODOO_HOME", Path.home() / ".cache" / "odoo-19.0"))


def odoo_command(port, database, data_dir, *extra, subcommand=None):
    """odoo-bin [subcommand] with our addons, on the cluster at ``port``."""
    home = odoo_home()
    return [
        sys.executable,
        str(home / "odoo-bin"),
        *([subcommand] if subcommand else []),
        f"--addons-path={home / 'addons'},{ROOT / 'addons'}",
        "--db_host=127.0.0.1",
        f"--db_port={port}",
        "--db_user=odoo",
        f"--database={database}",
        f"--data-dir={data_dir}",
        *extra,
    ]
