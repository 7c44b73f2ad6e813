"""Voucher generation at scale: our wizard against Odoo 19's coupon wizard.

One run, one throwaway PostgreSQL cluster, one database with ``vms_loyalty``
and ``loyalty`` installed:

1. our wizard generates 100,000 vouchers, chronology rows included, in one
   transaction (``vms.voucher.generate``);
2. Odoo's ``loyalty.generate.wizard`` generates 100,000 coupons in batches of
   10,000, each batch committed; a batch that hits a code collision
   (UniqueViolation) is rolled back and counted as failed;
3. our generation goes on to 1,000,000 vouchers and the database counts the
   distinct codes;
4. 1,000 known codes are looked up through the ORM, one by one; the p95 is
   printed.

Run from the repository root: ``.venv/bin/python bench/bench_generate.py``
(``make bench BENCH=generate``). The last line is the machine-readable result.
"""

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ODOO_HOME = Path(os.environ.get("ODOO_HOME", Path.home() / ".cache" / "odoo-19.0"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ODOO_HOME))

import odoocmd  # noqa: E402  (scripts/, shared with the tests)
import pgcluster  # noqa: E402  (scripts/, shared with make run and the tests)

OURS = 100_000
ODOO_TOTAL = 100_000
ODOO_BATCH = 10_000
UNIQUE_TOTAL = 1_000_000
OUR_CHUNK = 100_000
LOOKUPS = 1_000
DB = "vms_bench"


def say(message):
    print(message, flush=True)


def install(port, data_dir):
    """Create the database with our addon and Odoo's loyalty, without demo data."""
    cmd = odoocmd.odoo_command(
        port,
        DB,
        data_dir,
        "--init=vms_loyalty,loyalty",
        "--stop-after-init",
        "--log-level=warn",
        "--max-cron-threads=0",
        f"--http-port={pgcluster.free_port()}",
    )
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def open_registry(port, data_dir):
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(
        [
            f"--addons-path={ODOO_HOME / 'addons'},{ROOT / 'addons'}",
            "--db_host=127.0.0.1",
            f"--db_port={port}",
            "--db_user=odoo",
            f"--database={DB}",
            f"--data-dir={data_dir}",
            "--log-level=warn",
        ]
    )
    return odoo, Registry(DB)


def bench_ours(odoo, registry):
    """100,000 vouchers with their chronology, through the wizard, one transaction."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        # One go, in the foreground: what the benchmark measures.
        env["ir.config_parameter"].set_param("vms_loyalty.generate_foreground_max", OURS)
        campaign = env["vms.campaign"].create(
            {"name": "Bench", "code": "BENCH", "state": "running"}
        )
        cr.commit()
        started = time.perf_counter()
        wizard = env["vms.voucher.generate"].create(
            {"campaign_id": campaign.id, "quantity": OURS, "nominal_amount": 10.0}
        )
        wizard.action_generate()
        cr.commit()
        elapsed = time.perf_counter() - started
        cr.execute(
            "SELECT count(*) FROM vms_voucher_transaction t JOIN vms_voucher v "
            "ON v.id = t.voucher_id WHERE v.campaign_id = %s AND t.type = 'generate'",
            [campaign.id],
        )
        rows = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM vms_voucher WHERE campaign_id = %s", [campaign.id])
        vouchers = cr.fetchone()[0]
    say(f"ours: {vouchers} vouchers and {rows} chronology rows in {elapsed:.2f} s")
    return vouchers / elapsed, campaign.id


def bench_odoo(odoo, registry):
    """Odoo's loyalty.generate.wizard, 100,000 coupons in committed batches of 10,000."""
    import psycopg2

    from odoo.tools import mute_logger

    with registry.cursor() as cr, mute_logger("odoo.sql_db"):
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        program = env["loyalty.program"].create(
            {"name": "Bench Coupons", "program_type": "coupons", "trigger": "with_code"}
        )
        cr.commit()
        failed = created = 0
        started = time.perf_counter()
        for batch in range(ODOO_TOTAL // ODOO_BATCH):
            try:
                wizard = env["loyalty.generate.wizard"].create(
                    {"program_id": program.id, "coupon_qty": ODOO_BATCH, "points_granted": 1}
                )
                wizard.generate_coupons()
                env.flush_all()
                cr.commit()
                created += ODOO_BATCH
            except psycopg2.errors.UniqueViolation as error:
                cr.rollback()
                env.invalidate_all()
                failed += 1
                detail = (error.diag.message_detail or "").strip()
                say(f"odoo: batch {batch + 1} rolled back on a code collision ({detail})")
        elapsed = time.perf_counter() - started
        cr.execute("SELECT count(*) FROM loyalty_card WHERE program_id = %s", [program.id])
        stored = cr.fetchone()[0]
    say(
        f"odoo: {stored} coupons in {elapsed:.2f} s "
        f"({failed} of {ODOO_TOTAL // ODOO_BATCH} batches failed)"
    )
    return created / elapsed, failed


def fill_to_a_million(odoo, registry, campaign_id):
    """Our generation up to 1,000,000 vouchers; the database counts distinct codes."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        cr.execute("SELECT count(*) FROM vms_voucher")
        existing = cr.fetchone()[0]
        started = time.perf_counter()
        remaining = UNIQUE_TOTAL - existing
        if remaining > 0:
            batch = env["vms.voucher.batch"].create(
                {"campaign_id": campaign_id, "quantity": remaining, "nominal_amount": 10.0}
            )
            while batch.state != "done":
                batch._vms_generate_chunk(OUR_CHUNK)
                cr.commit()
        cr.execute("SELECT count(*), count(DISTINCT code) FROM vms_voucher")
        total, distinct = cr.fetchone()
        cr.execute("ANALYZE vms_voucher")
        cr.commit()
    say(
        f"unique: {distinct} distinct codes among {total} vouchers "
        f"(filled in {time.perf_counter() - started:.1f} s)"
    )
    return total >= UNIQUE_TOTAL and total == distinct


def bench_lookup(odoo, registry):
    """p95 of finding one code among 1,000,000 through the ORM (check character first)."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        cr.execute("SELECT code FROM vms_voucher TABLESAMPLE SYSTEM (1) LIMIT %s", [LOOKUPS])
        sample = [row[0] for row in cr.fetchall()]
        random.shuffle(sample)
        Voucher = env["vms.voucher"]
        for code in sample[:20]:  # warm the registry caches, not the measure
            Voucher._vms_find_by_code(code)
        timings = []
        for code in sample:
            started = time.perf_counter()
            voucher = Voucher._vms_find_by_code(code)
            timings.append(time.perf_counter() - started)
            assert voucher.code == code
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1] * 1000
    say(
        f"lookup: {len(timings)} codes, median {timings[len(timings) // 2] * 1000:.3f} ms, "
        f"p95 {p95:.3f} ms"
    )
    return p95


def main():
    workdir = Path(tempfile.mkdtemp(prefix="vms-bench-"))
    try:
        port = pgcluster.start(str(workdir / "pg"))
        say(f"cluster on 127.0.0.1:{port}; installing vms_loyalty and loyalty ...")
        install(port, workdir / "filestore")
        odoo, registry = open_registry(port, workdir / "filestore")
        ours, campaign_id = bench_ours(odoo, registry)
        theirs, failed = bench_odoo(odoo, registry)
        unique = fill_to_a_million(odoo, registry, campaign_id)
        p95 = bench_lookup(odoo, registry)
    finally:
        pgcluster.destroy(str(workdir / "pg"))
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    ratio = ours / theirs if theirs else float("inf")
    say(f"ours {ours:,.0f}/s, Odoo {theirs:,.0f}/s: {ratio:.1f}x (goal >= 20x)")
    say(
        f"RESULT generate ours_per_s={ours:.0f} odoo_per_s={theirs:.0f} ratio={ratio:.1f} "
        f"odoo_failed_batches={failed} unique_1m={'true' if unique else 'false'} "
        f"lookup_p95_ms={p95:.3f}"
    )


if __name__ == "__main__":
    main()
