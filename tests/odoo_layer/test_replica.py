"""The VMS API's read routes on a read-only replica (Odoo's ``--dev replica``).

Odoo 19 serves a route marked ``readonly`` from ``db_replica_host`` when a
retailer runs a PostgreSQL replica; ``--dev replica`` makes those cursors
read-only on the one database, so a read route that wrote anything would fail
over to the primary with a warning in the log. Validate and the voucher
lookup must answer from the replica, and with a PIN (whose attempts are
counted) from the primary.
"""

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from . import runner

pytestmark = pytest.mark.odoo
DB = "vms_replica"
SETUP = r"""
import json
channel = env["vms.channel"].create({"name": "Replica web shop", "kind": "webshop"})
campaign = env["vms.campaign"].create({"name": "Replica", "code": "REPL", "state": "running"})
values = {"campaign_id": campaign.id, "nominal_amount": 40.0, "state": "active"}
plain = env["vms.voucher"].create(values)
e_voucher = env["vms.voucher"].create(values)
e_voucher._vms_set_pin("4711")
print("REPLICA " + json.dumps({
    "key": channel._vms_generate_key("replica"), "plain": plain.code, "pin": e_voucher.code,
    "e_voucher_id": e_voucher.id,
}))
env.cr.commit()
"""


@pytest.fixture(scope="module")
def replica_site():
    if not runner.odoo_present():
        pytest.skip(f"ODOO LAYER NOT RUN: no Odoo 19 at ODOO_HOME={runner.odoo_home()}")
    work = Path(tempfile.mkdtemp(prefix="vms-replica-"))
    log_path = work / "odoo.log"
    server = None
    try:
        pg_port = runner.pgcluster.start(str(work / "pg"))
        http_port = runner.pgcluster.free_port()
        common = [f"--db-filter=^{DB}$", "--log-level=info"]
        subprocess.run(
            runner.odoo_command(
                pg_port,
                DB,
                work / "filestore",
                http_port,
                ["-i", "vms_loyalty", "--stop-after-init", *common],
            ),
            check=True,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
        shell = subprocess.run(
            runner.odoocmd.odoo_command(
                pg_port, DB, work / "filestore", "--no-http", subcommand="shell"
            ),
            input=SETUP,
            capture_output=True,
            text=True,
            check=False,
        )
        assert shell.returncode == 0, shell.stderr[-3000:]
        line = next(x for x in shell.stdout.splitlines() if x.startswith("REPLICA "))
        data = json.loads(line.removeprefix("REPLICA "))
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                runner.odoo_command(
                    pg_port,
                    DB,
                    work / "filestore",
                    http_port,
                    ["--dev=replica", "--workers=0", *common],
                ),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )
        base = f"http://127.0.0.1:{http_port}"
        for _ in range(120):
            try:
                if requests.get(f"{base}/web/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        yield base, data, log_path, pg_port
    finally:
        if server:
            server.terminate()
            server.wait(30)
        runner.pgcluster.destroy(str(work / "pg"))
        subprocess.run(["rm", "-rf", str(work)], check=False)


def test_read_routes_answer_from_a_read_only_replica(replica_site):
    base, data, log_path, pg_port = replica_site
    headers = {"Authorization": f"Bearer {data['key']}"}
    api = f"{base}/vms/api/v1"
    for _ in range(3):
        answer = requests.post(
            f"{api}/vouchers/validate", json={"code": data["plain"], "amount": "5"}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["available"] == "40.00"
        lookup = requests.get(f"{api}/vouchers/{data['plain']}", headers=headers)
        assert lookup.status_code == 200, lookup.text
    # With a PIN: its attempts are counted, on the primary.
    wrong = requests.post(
        f"{api}/vouchers/validate",
        json={"code": data["pin"], "amount": "5", "pin": "0000"},
        headers=headers,
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "wrong_pin")
    right = requests.get(
        f"{api}/vouchers/{data['pin']}", headers=dict(headers, **{"X-Voucher-PIN": "4711"})
    )
    assert right.status_code == 200, right.text
    # And the spending routes write, as they must.
    redeem = requests.post(
        f"{api}/redeem",
        json={
            "code": data["plain"],
            "amount": "5",
            "order_ref": "R/1",
            "idempotency_key": "replica-1",
        },
        headers=headers,
    )
    assert redeem.status_code == 200, redeem.text
    log = log_path.read_text()
    assert "retrying with a read/write cursor" not in log, log[-3000:]
    assert " ERROR " not in log and "Traceback" not in log, log[-3000:]
