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
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The processes whose CPU time a load counts, by name: filled by serving().
WATCHED = {}


def _processes():
    """``{pid: (parent pid, command line)}`` of this machine (Linux /proc)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                command = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile
        found[int(entry)] = (parent, command)
    return found


def _tree(root, processes):
    """``root`` and every process below it."""
    pids, todo = set(), [root]
    while todo:
        pid = todo.pop()
        pids.add(pid)
        todo += [child for child, (parent, _c) in processes.items() if parent == pid]
    return pids


def _cpu_seconds(pids):
    """``{pid: CPU seconds so far}`` of those of ``pids`` still running."""
    seconds = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return seconds


def _watched_pids():
    """The pids of each watched group now (workers and backends come and go);
    a group whose root is not found is left out."""
    processes = _processes()
    roots = {name: root(processes) for name, root in WATCHED.items()}
    return {name: _tree(pid, processes) for name, pid in roots.items() if pid}


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
    WATCHED["odoo"] = lambda processes: server.pid
    WATCHED["postgresql"] = lambda processes: next(
        (
            pid
            for pid, (_parent, command) in processes.items()
            if f"-c port={pg_port} " in command and "postgres" in command.split(" ", 1)[0]
        ),
        None,
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
        WATCHED.clear()
        server.terminate()
        server.wait(30)


def percentile(values, pct):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


class Load:
    """``clients`` threads calling ``call(session, n)`` for ``SECONDS`` seconds.

    Against a server of :func:`serving`, it also counts the CPU time Odoo,
    PostgreSQL and the clients themselves spend (they share this machine's
    cores, so a request's cost is what bounds the throughput)."""

    def __init__(self, name, clients, call):
        self.name, self.clients, self.call = name, clients, call
        self.latencies, self.statuses = [], {}
        self.lock = threading.Lock()
        self.elapsed = 0.0
        self.cpu = {}

    def run(self):
        stop = time.monotonic() + SECONDS
        counter = iter(range(10**9))
        threads = [
            threading.Thread(target=self._client, args=(stop, counter)) for _ in range(self.clients)
        ]
        before = {name: _cpu_seconds(pids) for name, pids in _watched_pids().items()}
        clients_before = sum(os.times()[:2])
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.elapsed = time.monotonic() - started
        clients_after = sum(os.times()[:2])
        # A process started during the load counts whole; one that ended
        # during it is lost (none should: workers and backends are kept).
        for name, pids in _watched_pids().items():
            now = _cpu_seconds(pids)
            self.cpu[name] = sum(s - before[name].get(pid, 0.0) for pid, s in now.items())
        if before:
            self.cpu["clients"] = clients_after - clients_before
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
            for name, seconds in load.cpu.items():
                pool.cpu[name] = pool.cpu.get(name, 0.0) + seconds
        return pool

    def cpu_ms(self):
        """CPU milliseconds per request, by process group ({} unmeasured)."""
        if not self.latencies:
            return {}
        return {name: s * 1000 / len(self.latencies) for name, s in self.cpu.items()}

    def cpu_row(self):
        """:meth:`cpu_ms` as a line, or "" unmeasured."""
        per_request = self.cpu_ms()
        if not per_request:
            return ""
        parts = "  ".join(f"{name} {ms:.2f}" for name, ms in per_request.items())
        return f"cpu ms per request: {parts}  total {sum(per_request.values()):.2f}"

    def row(self, note=""):
        """The load's figures; ``note`` ends their first line."""
        row = (
            f"{self.name:9s} {self.clients:3d} clients  {len(self.latencies):6d} req  "
            f"{self.rps:7.1f}/s  p50 {percentile(self.latencies, 50):7.1f} ms  "
            f"p95 {percentile(self.latencies, 95):7.1f} ms  statuses {self.statuses}{note}"
        )
        cpu = self.cpu_row()
        return f"{row}\n{'':14s}{cpu}" if cpu else row


def cpu_comparison(name, load, floor):
    """A line comparing a cell's CPU per request with the floor's. Where the
    clients, Odoo and PostgreSQL share the cores and the load keeps them busy,
    throughput and latency follow this ratio."""
    ours, theirs = sum(load.cpu_ms().values()), sum(floor.cpu_ms().values())
    if not ours or not theirs:
        return f"  {name}: CPU per request not measured"
    return (
        f"  {name} costs {ours:.2f} ms of CPU per request (Odoo, PostgreSQL and the "
        f"clients), the floor {theirs:.2f} ms: {ours / theirs:.2f}x"
    )
