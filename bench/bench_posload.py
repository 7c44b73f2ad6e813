"""Benchmark: the till's start-up with 0, 100,000 and 1,000,000 vouchers, and
what a voucher payment adds to an order's sync.

One run, one throwaway PostgreSQL cluster, six databases with Odoo's demo
data served by one threaded Odoo server:

- ``ours`` (vms_loyalty and vms_pos) with 0, 100,000 and 1,000,000 vouchers,
  generated with the project's own set-based SQL path (vouchers and their
  chronology);
- ``odoo`` (Odoo's pos_loyalty) with as many loyalty cards, inserted with SQL.

POS load: headless Chromium driven over the DevTools protocol; each load is a
fresh browser context (no cached POS data in IndexedDB), timed from opening
the POS URL to the product screen showing its products (pressing "Open
Register" on the way, as a cashier does); the median of 10 loads per
database, the six databases' loads interleaved round by round so that the
noise of a shared machine falls on every size alike.

Sync: 200 orders paid by voucher, each timed as hold (the tender's request)
plus the order's sync, interleaved with 200 cash-paid orders timed as their
sync; the extra is the difference of the two 95th percentiles.

Run: .venv/bin/python bench/bench_posload.py    (make bench BENCH=posload)
Last line: RESULT posload ours_growth_pct=.. odoo_growth_pct=.. ours_ms_0=..
ours_ms_1m=.. sync_extra_p95_ms=..
"""

import base64
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
import websocket

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import odoocmd  # noqa: E402
import pgcluster  # noqa: E402
from benchlib import odoo_cmd, percentile  # noqa: E402

ODOO_HOME = odoocmd.odoo_home()
SIZES = (0, 100_000, 1_000_000)
LOADS = int(os.environ.get("VMS_BENCH_LOADS", "10"))
ORDERS = int(os.environ.get("VMS_BENCH_ORDERS", "200"))
CHUNK = 50_000

SETUP_OURS = r"""
import json
env = env(context=dict(env.context, tracking_disable=True))
config = env.ref("point_of_sale.pos_config_main")
company = config.company_id
method = company._vms_pos_setup_voucher_tender()
if method not in config.payment_method_ids:
    config.payment_method_ids = [(4, method.id)]
campaign = env["vms.campaign"].create({"name": "Bench", "code": "BENCHPOS", "state": "running",
                                       "company_id": company.id})
pay = env["vms.voucher"].create([
    {"campaign_id": campaign.id, "company_id": company.id, "nominal_amount": 10.0,
     "state": "active"} for _ in range(ORDERS)
])
product = env["product.product"].search([("available_in_pos", "=", True),
                                         ("taxes_id", "=", False)], limit=1)
if not product:
    product = env["product.product"].search([("available_in_pos", "=", True)], limit=1)
    product.taxes_id = False
config.with_user(env.ref("base.user_admin")).open_ui()
session = config.current_session_id
session.set_opening_control(0, None)
env.cr.commit()
print("BENCH_SETUP " + json.dumps({
    "config": config.id, "session": session.id, "campaign": campaign.id,
    "voucher_method": method.id, "cash_method": config.payment_method_ids.filtered(
        "is_cash_count")[:1].id, "product": product.id, "pricelist": config.pricelist_id.id,
    "codes": pay.mapped("code"), "uid": env.ref("base.user_admin").id,
}))
"""

GROW_OURS = r"""
env = env(context=dict(env.context, tracking_disable=True))
campaign = env["vms.campaign"].browse(CAMPAIGN)
left = COUNT
while left > 0:
    batch = env["vms.voucher.batch"].create({
        "campaign_id": campaign.id, "quantity": min(left, CHUNK),
        "nominal_amount": 10.0, "initial_state": "active",
    })
    left -= batch._vms_generate_chunk(min(left, CHUNK))
    env.cr.commit()
print("BENCH_GROWN")
"""

SETUP_ODOO = r"""
import json
config = env.ref("point_of_sale.pos_config_main")
program = env["loyalty.program"].create({"name": "Bench cards", "program_type": "loyalty",
                                         "pos_config_ids": [(4, config.id)]})
config.with_user(env.ref("base.user_admin")).open_ui()
session = config.current_session_id
session.set_opening_control(0, None)
env.cr.commit()
print("BENCH_SETUP " + json.dumps({"config": config.id, "program": program.id}))
"""


def shell(pg_port, db, data_dir, script):
    result = subprocess.run(
        odoo_cmd(pg_port, db, data_dir, subcommand="shell"),
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"odoo shell failed:\n{result.stderr[-4000:]}")
    return result.stdout


def psql(pg_port, db, sql):
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "odoo", "-d", db, "-qc", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Server:
    def __init__(self, pg_port, db, data_dir):
        self.port = pgcluster.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            odoo_cmd(
                pg_port,
                db,
                data_dir,
                "--workers=0",
                "--max-cron-threads=0",
                f"--http-port={self.port}",
                "--http-interface=127.0.0.1",
            )
        )
        for _ in range(240):
            try:
                if requests.get(f"{self.base}/web/login", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        sys.exit("Odoo did not start")

    def login(self, db):
        session = requests.Session()
        response = session.post(
            f"{self.base}/web/session/authenticate",
            json={"jsonrpc": "2.0", "params": {"db": db, "login": "admin", "password": "admin"}},
            timeout=30,
        )
        response.raise_for_status()
        return session

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Chromium:
    """Headless Chromium over the DevTools protocol (websocket-client)."""

    def __init__(self):
        self.port = pgcluster.free_port()
        self.profile = tempfile.mkdtemp(prefix="vms-bench-chrome-")
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if not binary:
            sys.exit("no Chromium found (apt-get install chromium)")
        args = [
            binary,
            "--headless=new",
            f"--remote-debugging-port={self.port}",
            f"--user-data-dir={self.profile}",
            "--disable-gpu",
            "--no-first-run",
            "--window-size=1366,768",
            "--disable-extensions",
            "about:blank",
        ]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                info = requests.get(f"http://127.0.0.1:{self.port}/json/version", timeout=1).json()
                break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            sys.exit("Chromium did not start")
        self.ws = websocket.create_connection(info["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0

    def send(self, method, session=None, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, session, expression):
        result = self.send("Runtime.evaluate", session, expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def load(self, url, cookie, ready, timeout=120):
        """Milliseconds from opening ``url`` in a fresh context to ``ready``."""
        context = self.send("Target.createBrowserContext")["browserContextId"]
        target = self.send("Target.createTarget", url="about:blank", browserContextId=context)
        session = self.send("Target.attachToTarget", targetId=target["targetId"], flatten=True)[
            "sessionId"
        ]
        try:
            self.send("Network.enable", session)
            self.send("Network.setCookie", session, **cookie)
            started = time.perf_counter()
            self.send("Page.navigate", session, url=url)
            deadline = started + timeout
            while time.perf_counter() < deadline:
                if self.evaluate(session, ready):
                    return (time.perf_counter() - started) * 1000
                time.sleep(0.02)
            shot = self.send("Page.captureScreenshot", session, format="png")["data"]
            path = Path(tempfile.gettempdir()) / "vms-bench-posload-timeout.png"
            path.write_bytes(base64.b64decode(shot))
            raise RuntimeError(f"{url} not ready after {timeout} s (screenshot: {path})")
        finally:
            self.send("Target.closeTarget", targetId=target["targetId"])
            self.send("Target.disposeBrowserContext", browserContextId=context)

    def stop(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


# Product screen ready: its products shown. A fresh browser has no cashier
# remembered, so the till opens on its "Open Register" screen: pressed as a
# cashier would, for both systems alike.
READY = """(() => {
    const open = document.querySelector('.screen-login .open-register-btn');
    if (open) { open.click(); return false; }
    return !!document.querySelector('.product-screen .product-list .product');
})()"""


def rpc(session, url, params):
    response = session.post(url, json={"jsonrpc": "2.0", "params": params}, timeout=60)
    response.raise_for_status()
    body = response.json()
    if "error" in body:
        raise RuntimeError(json.dumps(body["error"])[:2000])
    return body["result"]


def order(setup, payments, amount=10.0):
    order_uuid = str(uuid.uuid4())
    return {
        "uuid": order_uuid,
        "access_token": str(uuid.uuid4()),
        "pos_reference": f"B-{order_uuid[:8]}",
        "session_id": setup["session"],
        "pricelist_id": setup["pricelist"],
        "fiscal_position_id": False,
        "partner_id": False,
        "user_id": setup["uid"],
        "to_invoice": False,
        "date_order": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "amount_total": amount,
        "amount_tax": 0,
        "amount_paid": amount,
        "amount_return": 0,
        "lines": [
            [
                0,
                0,
                {
                    "product_id": setup["product"],
                    "qty": 1,
                    "price_unit": amount,
                    "price_subtotal": amount,
                    "price_subtotal_incl": amount,
                    "discount": 0,
                    "tax_ids": [[6, 0, []]],
                },
            ]
        ],
        "payment_ids": [[0, 0, payment] for payment in payments],
    }


def sync_extra(server, db, setup):
    session = server.login(db)
    sync_url = f"{server.base}/web/dataset/call_kw/pos.order/sync_from_ui"
    hold_url = f"{server.base}/vms_pos/tender/hold"

    def sync(data):
        rpc(
            session,
            sync_url,
            {"model": "pos.order", "method": "sync_from_ui", "args": [[data]], "kwargs": {}},
        )

    voucher_ms, cash_ms = [], []
    for n, code in enumerate(setup["codes"][:ORDERS]):
        payment_uuid = str(uuid.uuid4())
        data = order(setup, [])
        t0 = time.perf_counter()
        held = rpc(
            session,
            hold_url,
            {
                "payment_method_id": setup["voucher_method"],
                "session_id": setup["session"],
                "order": {
                    "uuid": data["uuid"],
                    "reference": data["pos_reference"],
                    "amount_total": 10.0,
                    "partner_id": False,
                    "card_id": False,
                    "lines": [
                        {"product_id": setup["product"], "qty": 1, "price_subtotal_incl": 10.0}
                    ],
                },
                "payment": {"uuid": payment_uuid, "amount": 10.0, "attempt": 0},
                "code": code,
            },
        )
        if not held.get("ok"):
            raise RuntimeError(f"hold {n} refused: {held}")
        data["payment_ids"] = [
            [
                0,
                0,
                {
                    "amount": 10.0,
                    "payment_method_id": setup["voucher_method"],
                    "uuid": payment_uuid,
                    "payment_status": "done",
                    "transaction_id": held["transaction_id"],
                },
            ]
        ]
        sync(data)
        voucher_ms.append((time.perf_counter() - t0) * 1000)
        cash = order(setup, [{"amount": 10.0, "payment_method_id": setup["cash_method"]}])
        t0 = time.perf_counter()
        sync(cash)
        cash_ms.append((time.perf_counter() - t0) * 1000)
    return voucher_ms, cash_ms


def install(pg_port, db, data_dir, modules):
    print(f"installing {modules} with demo data into {db} ...", flush=True)
    subprocess.run(
        odoo_cmd(
            pg_port,
            db,
            data_dir,
            "-i",
            modules,
            "--with-demo",
            "--stop-after-init",
            "--max-cron-threads=0",
        ),
        check=True,
    )


def grow_cards(pg_port, db, program, count):
    """Odoo's loyalty cards, inserted with SQL (codes like Odoo's own)."""
    if count <= 0:
        return
    psql(
        pg_port,
        db,
        f"""
        INSERT INTO loyalty_card (program_id, company_id, code, points, active,
                                  create_uid, create_date, write_uid, write_date)
        SELECT {program}, p.company_id, '044' || md5(random()::text || g)::varchar(17), 10, true,
               1, now(), 1, now()
          FROM generate_series(1, {count}) g, loyalty_program p WHERE p.id = {program};
        ANALYZE loyalty_card;
        """,
    )


def label(size):
    return {0: "0", 100_000: "100k", 1_000_000: "1m"}.get(size, str(size))


def main():
    if not (ODOO_HOME / "odoo-bin").is_file():
        sys.exit(f"no Odoo 19 at ODOO_HOME={ODOO_HOME}")
    # VMS_BENCH_WORKDIR keeps the cluster and the two installed databases
    # for another run (the installs take most of the time); by default all
    # is thrown away.
    kept = os.environ.get("VMS_BENCH_WORKDIR")
    work = Path(kept) if kept else Path(tempfile.mkdtemp(prefix="vms-bench-posload-"))
    fresh = not (work / "installed").exists()
    chrome = server = None
    try:
        pg_port = pgcluster.start(str(work / "pg"))
        data_dir = work / "filestore"
        if fresh:
            install(pg_port, "posload_ours_base", data_dir, "vms_loyalty,vms_pos")
            install(pg_port, "posload_odoo_base", data_dir, "pos_loyalty")
            (work / "installed").write_text("posload_ours_base posload_odoo_base\n")
        # One database per system and size, copies of the installed ones, so
        # that the loads of all six can be interleaved: the machine's noise
        # then falls on every size alike.
        setups = {}
        for name, base, script in (
            ("ours", "posload_ours_base", SETUP_OURS.replace("ORDERS", str(ORDERS))),
            ("odoo", "posload_odoo_base", SETUP_ODOO),
        ):
            for size in SIZES:
                db = f"posload_{name}_{label(size)}"
                copy_database(pg_port, data_dir, base, db)
                setup = json.loads(
                    shell(pg_port, db, data_dir, script).split("BENCH_SETUP ", 1)[1].splitlines()[0]
                )
                if size and name == "ours":
                    print(f"{db}: generating {size} vouchers ...", flush=True)
                    shell(
                        pg_port,
                        db,
                        data_dir,
                        GROW_OURS.replace("CAMPAIGN", str(setup["campaign"]))
                        .replace("COUNT", str(size))
                        .replace("CHUNK", str(CHUNK)),
                    )
                    psql(pg_port, db, "ANALYZE vms_voucher; ANALYZE vms_voucher_transaction;")
                elif size:
                    print(f"{db}: inserting {size} loyalty cards ...", flush=True)
                    grow_cards(pg_port, db, setup["program"], size)
                setups[db] = (name, size, setup)
        server = Server(pg_port, ",".join(setups), data_dir)
        chrome = Chromium()
        sessions = {
            db: pos_session(server, db, setup["config"]) for db, (_n, _s, setup) in setups.items()
        }
        for url, cookie in sessions.values():
            chrome.load(url, cookie, READY)  # warm the asset bundles and the registry
        loads = {db: [] for db in setups}
        for round_ in range(LOADS):
            order = list(setups)
            if round_ % 2:
                order.reverse()
            for db in order:
                url, cookie = sessions[db]
                loads[db].append(chrome.load(url, cookie, READY))
        results = {"ours": {}, "odoo": {}}
        for db, (name, size, _setup) in setups.items():
            results[name][size] = statistics.median(loads[db])
            print(
                f"{name:4s} {size:9d} rows  POS load median {results[name][size]:7.0f} ms  "
                f"(min {min(loads[db]):.0f}, max {max(loads[db]):.0f}, {len(loads[db])} loads)",
                flush=True,
            )
        big = f"posload_ours_{label(SIZES[-1])}"
        voucher_ms, cash_ms = sync_extra(server, big, setups[big][2])
        extra = percentile(voucher_ms, 95) - percentile(cash_ms, 95)
        print(
            f"sync of {len(voucher_ms)} orders with {SIZES[-1]} vouchers present: "
            f"hold + sync of a voucher-paid order p50 {percentile(voucher_ms, 50):.1f} ms "
            f"p95 {percentile(voucher_ms, 95):.1f} ms; sync of a cash-paid order "
            f"p50 {percentile(cash_ms, 50):.1f} ms p95 {percentile(cash_ms, 95):.1f} ms"
        )

        def growth(name):
            first, last = results[name][SIZES[0]], results[name][SIZES[-1]]
            return (last - first) / first * 100

        print(
            f"RESULT posload ours_growth_pct={growth('ours'):.1f} "
            f"odoo_growth_pct={growth('odoo'):.1f} ours_ms_0={results['ours'][0]:.0f} "
            f"ours_ms_1m={results['ours'][SIZES[-1]]:.0f} sync_extra_p95_ms={extra:.1f}"
        )
    finally:
        if chrome:
            chrome.stop()
        if server:
            server.stop()
        if kept:
            pgcluster.stop(str(work / "pg"))
        else:
            pgcluster.destroy(str(work / "pg"))
            shutil.rmtree(work, ignore_errors=True)


def copy_database(pg_port, data_dir, template, db):
    pg = ["-h", "127.0.0.1", "-p", str(pg_port), "-U", "odoo"]
    subprocess.run(["dropdb", *pg, "--if-exists", db], check=True, capture_output=True)
    subprocess.run(["createdb", *pg, "-T", template, db], check=True)
    shutil.rmtree(data_dir / "filestore" / db, ignore_errors=True)
    shutil.copytree(data_dir / "filestore" / template, data_dir / "filestore" / db)


def pos_session(server, db, config_id):
    """The POS URL and a logged-in session cookie for it."""
    session = server.login(db)
    cookie = {"name": "session_id", "value": session.cookies["session_id"], "url": server.base}
    return f"{server.base}/pos/ui/{config_id}", cookie


def _terminate(_signum, _frame):
    raise SystemExit(143)  # clean up the servers, Chromium and the cluster


if __name__ == "__main__":
    socket.setdefaulttimeout(120)
    signal.signal(signal.SIGTERM, _terminate)
    main()
