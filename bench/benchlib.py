"""What the benchmarks on real Odoo share: a throwaway cluster with the addons
installed, the odoo-bin command on it, ``odoo shell`` scripts that answer one
marked JSON line, psql, an Odoo server with workers, and timed loads of
concurrent clients.

Not a benchmark itself (``make bench`` runs ``bench/bench_*.py`` only); the
benchmarks import it from their own folder."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import odoocmd  # noqa: E402  (scripts/, shared with the tests)
import pgcluster  # noqa: E402  (scripts/, shared with make run and the tests)

# How long each load runs, in seconds.
SECONDS = float(os.environ.get("VMS_BENCH_SECONDS", "8"))


def odoo_cmd(pg_port, db, data_dir, *extra, subcommand=None):
    return odoocmd.odoo_command(
        pg_port,
        db,
        data_dir,
        "--no-database-list",
        "--log-level=warn",
        *extra,
        subcommand=subcommand,
    )


def shell(pg_port, db, data_dir, script, marker):
    """Run ``script`` in ``odoo shell``; the JSON it printed after ``marker``."""
    out = subprocess.run(
        odoo_cmd(pg_port, db, data_dir, subcommand="shell"),
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [x for x in out.stdout.splitlines() if x.startswith(marker + " ")]
    if out.returncode or not lines:
        sys.exit(f"odoo shell failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return json.loads(lines[0].removeprefix(marker + " "))


def psql(pg_port, db, sql):
    """What ``sql`` answers, unaligned, without headers."""
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "odoo", "-d", db, "-tAc", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@contextmanager
def installed(name, db, modules, *install_args, what=None):
    """A throwaway cluster whose database ``db`` has ``modules`` installed;
    yields (its port, the data dir). The cluster and its files are removed
    at the end, whatever happened."""
    home = odoocmd.odoo_home()
    if not (home / "odoo-bin").is_file():
        sys.exit(f"no Odoo 19 at ODOO_HOME={home}")
    work = Path(tempfile.mkdtemp(prefix=f"vms-bench-{name}-"))
    try:
        pg_port = pgcluster.start(str(work / "pg"))
        data_dir = work / "filestore"
        print(f"installing {what or modules} ...", flush=True)
        subprocess.run(
            odoo_cmd(pg_port, db, data_dir, "-i", modules, *install_args, "--stop-after-init"),
            check=True,
        )
        yield pg_port, data_dir
    finally:
        pgcluster.destroy(str(work / "pg"))
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def serving(pg_port, db, data_dir):
    """An Odoo server with two workers on a free port, once it answers its login
    page (or after a minute); yields its base URL, stops it at the end."""
    http_port = pgcluster.free_port()
    server = subprocess.Popen(
        odoo_cmd(
            pg_port,
            db,
            data_dir,
            "--workers=2",
            "--max-cron-threads=0",
            f"--http-port={http_port}",
            f"--gevent-port={pgcluster.free_port()}",
            "--http-interface=127.0.0.1",
        )
    )
    try:
        base = f"http://127.0.0.1:{http_port}"
        for _ in range(120):
            try:
                if requests.get(f"{base}/web/login", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(30)


def percentile(values, pct):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


class Load:
    """``clients`` threads calling ``call(session, n)`` for ``SECONDS`` seconds."""

    def __init__(self, name, clients, call):
        self.name, self.clients, self.call = name, clients, call
        self.latencies, self.statuses = [], {}
        self.lock = threading.Lock()
        self.elapsed = 0.0

    def run(self):
        stop = time.monotonic() + SECONDS
        counter = iter(range(10**9))
        threads = [
            threading.Thread(target=self._client, args=(stop, counter)) for _ in range(self.clients)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.elapsed = time.monotonic() - started
        return self

    def _client(self, stop, counter):
        session = requests.Session()
        while time.monotonic() < stop:
            with self.lock:
                n = next(counter)
            t0 = time.perf_counter()
            status = self.call(session, n)
            ms = (time.perf_counter() - t0) * 1000
            with self.lock:
                self.latencies.append(ms)
                self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def rps(self):
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pooled(self, *others):
        """One load of this one's calls and the others' (rounds of the same cell)."""
        pool = Load(f"{self.name}*", self.clients, self.call)
        for load in (self, *others):
            pool.latencies += load.latencies
            pool.elapsed += load.elapsed
            for status, count in load.statuses.items():
                pool.statuses[status] = pool.statuses.get(status, 0) + count
        return pool

    def row(self):
        return (
            f"{self.name:9s} {self.clients:3d} clients  {len(self.latencies):6d} req  "
            f"{self.rps:7.1f}/s  p50 {percentile(self.latencies, 50):7.1f} ms  "
            f"p95 {percentile(self.latencies, 95):7.1f} ms  statuses {self.statuses}"
        )
