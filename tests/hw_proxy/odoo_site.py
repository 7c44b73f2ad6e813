"""A real Odoo 19 for the proxy's bus tests and benchmark: its own PostgreSQL
cluster, a database with ``vms_hw_proxy``, an ``odoo-bin`` server that can be
stopped and started again, and an in-process registry on the same database to
act as Odoo's code does (create tills, print, read jobs) and commit.
"""

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import odoocmd  # noqa: E402  (scripts/, shared with the Odoo layer and the benchmarks)
import pgcluster  # noqa: E402

DB = "vms_proxy_bus"


def odoo_present():
    home = odoocmd.odoo_home()
    return (home / "odoo-bin").is_file() and (home / "odoo" / "addons" / "base").is_dir()


class OdooSite:
    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.data_dir = self.workdir / "filestore"
        self.log_path = self.workdir / "odoo.log"
        self.pg_port = None
        self.http_port = pgcluster.free_port()
        self.server = None
        self.registry = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def _command(self, *extra):
        return odoocmd.odoo_command(
            self.pg_port,
            DB,
            self.data_dir,
            f"--http-port={self.http_port}",
            "--http-interface=127.0.0.1",
            "--max-cron-threads=0",
            "--no-database-list",
            f"--db-filter=^{DB}$",
            *extra,
        )

    def install(self):
        self.pg_port = pgcluster.start(str(self.workdir / "pg"))
        with open(self.log_path, "a") as log:
            subprocess.run(
                self._command("--init=vms_hw_proxy", "--stop-after-init", "--log-level=warn"),
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def start(self, timeout=60):
        """The HTTP and websocket server, threaded (websockets need no gevent then)."""
        log = open(self.log_path, "a")  # noqa: SIM115  (kept open for the server's life)
        self.server = subprocess.Popen(
            self._command("--workers=0", "--log-level=warn"),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"Odoo exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/web/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"Odoo did not answer within {timeout} s; see {self.log_path}")

    def stop(self):
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(10)
        self.server = None

    def destroy(self):
        self.stop()
        if self.registry is not None:
            from odoo.sql_db import close_all

            close_all()
        if self.pg_port is not None:
            pgcluster.destroy(str(self.workdir / "pg"))

    # -- acting as Odoo's code -----------------------------------------------------

    def _registry(self):
        if self.registry is None:
            sys.path.insert(0, str(odoocmd.odoo_home()))
            from odoo.modules.registry import Registry
            from odoo.tools import config

            config.parse_config(
                [
                    f"--addons-path={odoocmd.odoo_home() / 'addons'},{ROOT / 'addons'}",
                    "--db_host=127.0.0.1",
                    f"--db_port={self.pg_port}",
                    "--db_user=odoo",
                    f"--database={DB}",
                    f"--data-dir={self.data_dir}",
                    "--http-interface=127.0.0.1",
                ],
                setup_logging=False,
            )
            self.registry = Registry(DB)
        return self.registry

    @contextlib.contextmanager
    def env(self):
        """A superuser environment; committed when the block ends."""
        registry = self._registry()
        import odoo

        with registry.cursor() as cr:
            yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})

    def read(self, model, record_id, names):
        with self.env() as env:
            return env[model].browse(record_id).read(names)[0]

    def back_office_session(self, login="admin", password="admin"):
        """A session cookie of a back-office user (admin is a POS manager)."""
        body = json.dumps(
            {"jsonrpc": "2.0", "params": {"db": DB, "login": login, "password": password}}
        ).encode()
        request = urllib.request.Request(
            f"{self.url}/web/session/authenticate",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
            if "error" in answer:
                raise RuntimeError(answer["error"])
            for header in response.headers.get_all("Set-Cookie"):
                if header.startswith("session_id="):
                    return header.split(";", 1)[0]
        raise RuntimeError("no session cookie")


def start_proxy(site, secret, printer_url, state_dir, *extra):
    """A vms-hw-proxy process on the site's bus; returns (process, base URL)."""
    port = pgcluster.free_port()
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "vms_hw_proxy_service",
            "--host", "127.0.0.1", "--port", str(port),
            "--printer", printer_url,
            "--odoo-url", site.url, "--bus-secret", secret,
            "--state-dir", str(state_dir), "--log-level", "warning",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vms-hw-proxy exited: {proc.stderr.read().decode()}")
        try:
            with urllib.request.urlopen(f"{base}/hw_proxy/hello", timeout=1):
                return proc, base
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("vms-hw-proxy did not start")


def proxy_summary(base, token=""):
    with urllib.request.urlopen(f"{base}/?token={token}", timeout=5) as response:
        return json.loads(response.read())


def wait_until(predicate, timeout=10.0, interval=0.02, message="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)
