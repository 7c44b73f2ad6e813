#!/usr/bin/env python3
"""A PostgreSQL cluster of the project's own, on a free loopback port.

Used by ``make run`` (persistent, under ``.data/``) and by the Odoo test layer
(throwaway, in a temporary directory). The cluster listens on 127.0.0.1 only,
trusts local connections and has one superuser role, ``odoo``: Odoo refuses
to run as ``postgres``. PostgreSQL will not run as root, so when we are root
the cluster runs as an unprivileged system user (``vmsdb``).

    python scripts/pgcluster.py start DIR   # prints the port
    python scripts/pgcluster.py stop DIR
    python scripts/pgcluster.py destroy DIR   # stop and remove it all (make clean)
"""

import argparse
import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time

SERVICE_USER = "vmsdb"
DB_ROLE = "odoo"


def pg_bin(name):
    """Newest PostgreSQL server binary installed from Debian, else from PATH."""
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if not found:
        sys.exit(
            f"pgcluster: PostgreSQL's {name} was not found; install Debian's "
            "'postgresql' package (apt-get install postgresql)"
        )
    return found


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _service_user():
    """The OS user that owns the cluster: ourselves, or vmsdb when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
        )
    return SERVICE_USER


def _as_service_user(cmd, user, **kwargs):
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, check=True, **kwargs)


def _reachable_by(user, path):
    if not user:
        return True
    probe = subprocess.run(["runuser", "-u", user, "--", "test", "-x", path], check=False)
    return probe.returncode == 0


def _data_dir(base, user):
    """Where the cluster files live: ``base/pgdata`` if the service user can reach
    it, otherwise a directory under /var/tmp linked from there (a clone under
    /root is not reachable by an unprivileged user)."""
    os.makedirs(base, exist_ok=True)
    link = os.path.join(os.path.abspath(base), "pgdata")
    if os.path.islink(link) or os.path.isdir(link):
        return os.path.realpath(link)
    if _reachable_by(user, os.path.abspath(base)):
        return link
    real = _outside_dir(base)
    if os.path.exists(real):
        # Left behind when its .data/ was removed without it (an old `make
        # clean`): its databases point to a filestore that is gone, so it is
        # not reused.
        _stop_dir(real, user)
        shutil.rmtree(real, ignore_errors=True)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    os.symlink(real, link)
    return real


def _outside_dir(base):
    """Where the cluster of ``base`` lives when the service user cannot reach it."""
    digest = hashlib.sha256(os.path.abspath(base).encode()).hexdigest()[:12]
    return f"/var/tmp/vms-pgdata-{digest}"


def start(base):
    """Start (creating if needed) the cluster under ``base``; return its port."""
    user = _service_user()
    data = _data_dir(base, user)
    if not os.path.exists(os.path.join(data, "PG_VERSION")):
        os.makedirs(data, exist_ok=True)
        if user:
            shutil.chown(data, user, user)
        _as_service_user(
            [
                pg_bin("initdb"),
                "-D",
                data,
                "-U",
                DB_ROLE,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            user,
            stdout=subprocess.DEVNULL,
        )
    port_file = os.path.join(os.path.abspath(base), "port")
    status = subprocess.run(
        ["runuser", "-u", user, "--", pg_bin("pg_ctl"), "-D", data, "status"]
        if user
        else [pg_bin("pg_ctl"), "-D", data, "status"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    if status.returncode == 0 and os.path.exists(port_file):
        with open(port_file) as fh:
            return int(fh.read().strip())
    port = free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={data} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=200 -c shared_buffers=256MB"
    )
    _as_service_user(
        [
            pg_bin("pg_ctl"),
            "-D",
            data,
            "-l",
            os.path.join(data, "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ],
        user,
        stdout=subprocess.DEVNULL,
    )
    with open(port_file, "w") as fh:
        fh.write(str(port))
    _wait_ready(port)
    return port


def _wait_ready(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"pgcluster: PostgreSQL did not answer on 127.0.0.1:{port}")


def stop(base):
    link = os.path.join(os.path.abspath(base), "pgdata")
    _stop_dir(os.path.realpath(link), _service_user())


def _stop_dir(data, user):
    if not os.path.exists(os.path.join(data, "PG_VERSION")):
        return
    cmd = [pg_bin("pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"]
    subprocess.run(
        ["runuser", "-u", user, "--", *cmd] if user else cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def destroy(base):
    """Stop the cluster and remove all its files: ``base`` and, when the
    cluster lives outside it (under /var/tmp), that directory too, linked or
    left behind. Used by the test layer and by `make clean`."""
    user = _service_user()
    link = os.path.join(os.path.abspath(base), "pgdata")
    outside = _outside_dir(base)
    for data in {os.path.realpath(link), outside}:
        _stop_dir(data, user)
        # Only what this script made: never a directory the link was pointed at by hand.
        if data == outside or data.startswith(os.path.abspath(base) + os.sep):
            shutil.rmtree(data, ignore_errors=True)
    if os.path.islink(link):
        os.unlink(link)
    shutil.rmtree(base, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "destroy"])
    parser.add_argument("directory")
    args = parser.parse_args(argv)
    if args.action == "start":
        print(start(args.directory))
    elif args.action == "stop":
        stop(args.directory)
    else:
        destroy(args.directory)


if __name__ == "__main__":
    main()
