"""Benchmark of club points on real Odoo 19: a large ledger, balance reads, and
points redemptions through the API under concurrent clients.

One run, one throwaway PostgreSQL cluster:

- setup: 100,000 members, each with a club card and a points account, and
  1,000,000 ledger moves inserted with SQL (per member six earnings, each a
  lot, one expired; one expiry; three redemptions drawing from the lots),
  consistent with the ledger's own rules, then ``ANALYZE``;
- balance: the p95 of reading a member's balance and next expiry through the
  ORM, with the ORM's cache cleared before each read (goal under 5 ms);
- then one Odoo server with ``--workers 2``: the floor, Odoo's most trivial
  JSON-RPC route (``/web/webclient/version_info``), and points redemptions
  (``POST /vms/api/v1/points/redeem``, an idempotency key each) at 20 clients
  for a fixed time, in alternating rounds that are pooled (goal: redeem p95
  within 1.5x the floor's); then 20 clients fight over the points of 5
  members, more than they have;
- the overdraw invariant is checked in the database at the end: no lot below
  zero or above its points, every lot and debt equal to its draws and moves,
  every move equal to its lots and draws, no member with more held and spent
  than they had, every confirmed points redemption with exactly one move, and
  as many API redemptions as the clients were told succeeded. A broken
  invariant fails the run.

Run: .venv/bin/python bench/bench_points.py   (make bench BENCH=points)
Last line: RESULT points balance_p95_ms=.. redeem_p95_ms_20=.. floor_p95_ms_20=..
redeem_rps_20=.. violations=..
"""

import json
import os
import sys
import threading
import time
from functools import partial

from benchlib import Load, cpu_comparison, installed, percentile, psql, serving, shell

MEMBERS = int(os.environ.get("VMS_BENCH_MEMBERS", "100000"))
MOVES_PER_MEMBER = 10  # 6 earnings, 1 expiry, 3 redemptions
BALANCE_READS = 2000
CLIENTS = 20
ROUNDS = 3  # rounds of the floor and of redeem, pooled
CONTENDED = 5
DB = "vms_bench_points"

SETUP = r"""
import json
from stdnum import luhn
env = env(context=dict(env.context, tracking_disable=True))
cr = env.cr
company = env.company
campaign = env["vms.campaign"].create(
    {"name": "Points to Voucher", "code": "BPOINTS", "kind": "points", "state": "running",
     "max_vouchers_per_holder": 0})
program = env["vms.points.program"].create(
    {"company_id": company.id, "point_value": 0.01, "digits": 0, "lifetime_days": 365,
     "campaign_id": campaign.id})
env["vms.points.rule"].create({"name": "Base", "program_id": program.id})
channel = env["vms.channel"].create({"name": "Vending 7", "kind": "vending"})
key = channel._vms_generate_key("bench")
template = env["res.partner"].create({"name": "Bench Template"})
card_template = env["vms.card"].create({"partner_id": template.id, "state": "active"})
env.flush_all()

def columns(table, skip):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table])
    return [c for (c,) in cr.fetchall() if c not in skip]

# Members, copied from a template row (every NOT NULL column filled as Odoo would).
cols = columns("res_partner", {"id", "name", "complete_name"})
cr.execute(
    f'''INSERT INTO res_partner (name, complete_name, {", ".join(cols)})
        SELECT 'Bench Member ' || n, 'Bench Member ' || n, {", ".join("t." + c for c in cols)}
          FROM res_partner t, generate_series(1, %(members)s) n
         WHERE t.id = %(template)s ORDER BY n''',
    {"members": MEMBERS, "template": template.id})
cr.execute(
    "CREATE TEMP TABLE bench_member AS SELECT row_number() OVER (ORDER BY id) - 1 AS i, id "
    "AS partner_id FROM res_partner WHERE name LIKE 'Bench Member %%'")
numbers = []
for i in range(MEMBERS):
    body = f"29{i:010d}"
    numbers.append(body + luhn.calc_check_digit(body))
cols = columns("vms_card", {"id", "number", "partner_id"})
cr.execute(
    f'''INSERT INTO vms_card (number, partner_id, {", ".join(cols)})
        SELECT x.number, m.partner_id, {", ".join("t." + c for c in cols)}
          FROM vms_card t, unnest(%(numbers)s::varchar[]) WITH ORDINALITY AS x(number, n)
          JOIN bench_member m ON m.i = x.n - 1
         WHERE t.id = %(template)s''',
    {"numbers": numbers, "template": card_template.id})
cr.execute(
    '''INSERT INTO vms_points_account
              (partner_id, company_id, debt, create_uid, create_date, write_uid, write_date)
       SELECT partner_id, %s, 0, 1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
         FROM bench_member ORDER BY i''', [company.id])
cr.execute(
    "CREATE TEMP TABLE bench_account AS SELECT m.i, a.id AS account_id FROM bench_member m "
    "JOIN vms_points_account a ON a.partner_id = m.partner_id")
cr.execute("CREATE INDEX ON bench_account (i)")

def reserve(sequence, count):
    cr.execute("SELECT nextval(%s)", [sequence])
    base = cr.fetchone()[0]
    cr.execute("SELECT setval(%s, %s)", [sequence, base + count])
    return base

N = MEMBERS
move_base = reserve("vms_points_move_id_seq", N * 10)
lot_base = reserve("vms_points_lot_id_seq", N * 6)
draw_base = reserve("vms_points_draw_id_seq", N * 4)
today = company._vms_today()
# Per member i: moves +0..+5 earn 100 points each (lot k expires 60 * k - 120 days
# from today: the first one expired 60 days ago, the second one today), +6 the
# expiry of the first lot, +7..+9 three redemptions of 50 (two from the second
# lot, one from the third). Left: 50 + 3 x 100 = 350 points, next expiry in 60 days.
cr.execute(
    '''INSERT INTO vms_points_move
              (id, account_id, company_id, type, date, points, debt_change, expires_on,
               order_ref, store_id, user_id, channel)
       SELECT %(mb)s + a.i * 10 + k, a.account_id, %(company)s,
              CASE WHEN k < 6 THEN 'earn' WHEN k = 6 THEN 'expire' ELSE 'redeem' END,
              (now() at time zone 'UTC') - make_interval(days => 300 - k * 20),
              CASE WHEN k < 6 THEN 100 WHEN k = 6 THEN -100 ELSE -50 END, 0,
              CASE WHEN k < 6 THEN %(today)s::date + (60 * (k + 1) - 120) END,
              CASE WHEN k <> 6 THEN 'SEED/' || a.i || '/' || k END, %(company)s, 1,
              CASE WHEN k = 6 THEN 'system' ELSE 'pos' END
         FROM bench_account a, generate_series(0, 9) k''',
    {"mb": move_base, "company": company.id, "today": today})
cr.execute(
    '''INSERT INTO vms_points_lot
              (id, account_id, company_id, move_id, date, points, remaining, expires_on)
       SELECT %(lb)s + a.i * 6 + k, a.account_id, %(company)s, %(mb)s + a.i * 10 + k,
              (now() at time zone 'UTC') - make_interval(days => 300 - k * 20), 100,
              CASE WHEN k < 2 THEN 0 WHEN k = 2 THEN 50 ELSE 100 END,
              %(today)s::date + (60 * (k + 1) - 120)
         FROM bench_account a, generate_series(0, 5) k''',
    {"lb": lot_base, "mb": move_base, "company": company.id, "today": today})
cr.execute(
    '''INSERT INTO vms_points_draw (id, move_id, lot_id, points)
       SELECT %(db)s + a.i * 4 + d, %(mb)s + a.i * 10 + 6 + d,
              %(lb)s + a.i * 6 + (CASE d WHEN 0 THEN 0 WHEN 3 THEN 2 ELSE 1 END),
              CASE WHEN d = 0 THEN 100 ELSE 50 END
         FROM bench_account a, generate_series(0, 3) d''',
    {"db": draw_base, "mb": move_base, "lb": lot_base})
cr.execute("SELECT count(*) FROM vms_points_move")
moves = cr.fetchone()[0]
cr.execute("SELECT account_id FROM bench_account ORDER BY i")
accounts = [row[0] for row in cr.fetchall()]
env.cr.commit()
print("BENCH_SETUP " + json.dumps({
    "key": key, "numbers": numbers, "accounts": accounts, "moves": moves,
    "currency": company.currency_id.name,
}))
"""

BALANCE = r"""
import json, random, time
ids = json.loads(IDS)
Account = env["vms.points.account"]
# Warm the registry and the store's cached settings once.
Account.browse(ids[0]).points_balance
latencies = []
for account_id in ids:
    env.invalidate_all()
    t0 = time.perf_counter()
    account = Account.browse(account_id)
    balance, expiry = account.points_balance, account.next_expiry_date
    latencies.append((time.perf_counter() - t0) * 1000)
    assert balance == 350 and expiry, (account_id, balance, expiry)
print("BENCH_BALANCE " + json.dumps(latencies))
"""


def main():
    with installed("points", DB, "vms_loyalty") as (pg_port, data_dir):
        print(
            f"inserting {MEMBERS} members and {MEMBERS * MOVES_PER_MEMBER} ledger moves ...",
            flush=True,
        )
        t0 = time.monotonic()
        data = shell(
            pg_port,
            DB,
            data_dir,
            SETUP.replace("MEMBERS", str(MEMBERS)),
            "BENCH_SETUP",
        )
        # What autovacuum does on a live database after a bulk load: statistics
        # for the planner, and the visibility map for index-only scans.
        print(
            f"  {data['moves']} moves in {time.monotonic() - t0:.0f} s; VACUUM ANALYZE ...",
            flush=True,
        )
        psql(pg_port, DB, "VACUUM ANALYZE")
        step = max(1, len(data["accounts"]) // BALANCE_READS)
        sample = data["accounts"][::step][:BALANCE_READS]
        balance = shell(
            pg_port, DB, data_dir, BALANCE.replace("IDS", repr(json.dumps(sample))), "BENCH_BALANCE"
        )
        print(
            f"balance   {len(balance)} reads  p50 {percentile(balance, 50):.2f} ms  "
            f"p95 {percentile(balance, 95):.2f} ms  max {max(balance):.2f} ms",
            flush=True,
        )
        with serving(pg_port, DB, data_dir) as base:
            results = run_loads(base, data)
            violations, checks = check_invariants(pg_port, results)
    report(balance, results, violations, checks)
    if violations:
        sys.exit("INVARIANT BROKEN: see the checks above")


def run_loads(base, data):
    api = {"Authorization": f"Bearer {data['key']}"}
    numbers = data["numbers"]
    free = numbers[CONTENDED:]
    contended = numbers[:CONTENDED]
    accepted = {"free": 0, "fight": 0}
    lock = threading.Lock()
    run_id = str(int(time.time()))

    def floor(session, n):
        body = {"jsonrpc": "2.0", "method": "call", "params": {}, "id": n}
        return session.post(f"{base}/web/webclient/version_info", json=body).status_code

    def redeem(session, n, *, pool, points, label, counter):
        body = {
            "card": pool[n % len(pool)],
            "points": points,
            "order_ref": f"BENCH/{label}/{n}",
            "idempotency_key": f"bench-{run_id}-{label}-{n}",
        }
        status = session.post(
            f"{base}/vms/api/v1/points/redeem", json=body, headers=api
        ).status_code
        if status == 200:
            with lock:
                accepted[counter] += 1
        return status

    # Warm the workers (registry, routes) before measuring.
    Load("warmup", 4, partial(redeem, pool=free, points="1", label="warm", counter="free")).run()
    rounds = {"floor": [], "redeem": []}
    for round_ in range(ROUNDS):
        for name, cell in (
            ("floor", floor),
            ("redeem", partial(redeem, pool=free, points="1", label=f"r{round_}", counter="free")),
        ):
            load = Load(name, CLIENTS, cell).run()
            rounds[name].append(load)
            print(load.row(), flush=True)
    rows = {}
    for name, loads in rounds.items():
        rows[name] = loads[0].pooled(*loads[1:])
        print(rows[name].row(f"  ({len(loads)} rounds pooled)"), flush=True)
    # 5 members with 350 points each, 100 per request: at most 3 each succeed.
    fight = Load(
        "contended",
        CLIENTS,
        partial(redeem, pool=contended, points="100", label="fight", counter="fight"),
    ).run()
    print(fight.row(), flush=True)
    return {"rows": rows, "fight": fight, "accepted": accepted, "contended": contended}


INVARIANT_QUERIES = {
    "lot below zero or above its points": """
        SELECT count(*) FROM vms_points_lot WHERE remaining < 0 OR remaining > points""",
    "lot left differs from its draws": """
        SELECT count(*) FROM (
            SELECT l.id FROM vms_points_lot l LEFT JOIN vms_points_draw d ON d.lot_id = l.id
             GROUP BY l.id HAVING l.remaining <> l.points - COALESCE(SUM(d.points), 0)) x""",
    "debt differs from its moves": """
        SELECT count(*) FROM (
            SELECT a.id FROM vms_points_account a
              LEFT JOIN vms_points_move m ON m.account_id = a.id
             GROUP BY a.id HAVING a.debt <> COALESCE(SUM(m.debt_change), 0)) x""",
    "move differs from its lots and draws": """
        SELECT count(*) FROM vms_points_move m
          LEFT JOIN (SELECT move_id, SUM(points) AS points FROM vms_points_lot
                      GROUP BY move_id) l ON l.move_id = m.id
          LEFT JOIN (SELECT move_id, SUM(points) AS points FROM vms_points_draw
                      GROUP BY move_id) d ON d.move_id = m.id
         WHERE m.points <> COALESCE(l.points, 0) - COALESCE(d.points, 0) - m.debt_change""",
    "member with more held than free": """
        SELECT count(*) FROM (
            SELECT a.id FROM vms_points_account a
              JOIN vms_redemption r ON r.points_account_id = a.id
                   AND r.state = 'held' AND r.expires_at > now() at time zone 'UTC'
             GROUP BY a.id
            HAVING SUM(r.points) > COALESCE((
                SELECT SUM(l.remaining) FROM vms_points_lot l
                 WHERE l.account_id = a.id AND (l.expires_on IS NULL
                       OR l.expires_on >= (now() at time zone 'UTC')::date)), 0) - a.debt) x""",
    "confirmed points redemption without exactly one move": """
        SELECT count(*) FROM vms_redemption r
         WHERE r.kind = 'points' AND r.state = 'confirmed' AND (
               SELECT count(*) FROM vms_points_move m
                WHERE m.redemption_id = r.id AND m.type = 'redeem') <> 1""",
}


def check_invariants(pg_port, results):
    checks = {name: int(psql(pg_port, DB, sql)) for name, sql in INVARIANT_QUERIES.items()}
    told = results["accepted"]["free"] + results["accepted"]["fight"]
    moves = int(
        psql(
            pg_port,
            DB,
            "SELECT count(*) FROM vms_points_move WHERE type = 'redeem' AND channel = 'api'",
        )
    )
    checks["clients told 'redeemed' minus API redeem moves"] = abs(told - moves)
    numbers = ",".join(f"'{number}'" for number in results["contended"])
    spent = float(
        psql(
            pg_port,
            DB,
            f"""SELECT COALESCE(-SUM(m.points), 0) FROM vms_points_move m
                  JOIN vms_points_account a ON a.id = m.account_id
                  JOIN vms_card c ON c.partner_id = a.partner_id
                 WHERE c.number IN ({numbers}) AND m.channel = 'api' AND m.type = 'redeem'""",
        )
    )
    # Each contended member had 350 points: no more than 3 x 100 could go.
    checks["contended points spent beyond what was there"] = max(0, spent - CONTENDED * 300) + max(
        0, results["accepted"]["fight"] - CONTENDED * 3
    )
    return sum(checks.values()), checks


def report(balance, results, violations, checks):
    rows = results["rows"]
    print()
    print("invariant checks (0 = held):")
    for name, count in checks.items():
        print(f"  {name:55s} {count}")
    redeem, floor = rows["redeem"], rows["floor"]
    r95, f95 = percentile(redeem.latencies, 95), percentile(floor.latencies, 95)
    b95 = percentile(balance, 95)
    errors = sum(n for load in rows.values() for code, n in load.statuses.items() if code != 200)
    if errors:
        print(f"WARNING: {errors} measured calls did not answer 200 (see the statuses above)")
    print(
        f"\nbalance p95 {b95:.2f} ms (goal < 5 ms); at {CLIENTS} clients ({ROUNDS} rounds "
        f"pooled): redeem p95 {r95:.1f} ms = {r95 / f95:.2f}x the floor's (goal <= 1.5x), "
        f"{redeem.rps:.1f}/s; the contended fight: {results['accepted']['fight']} accepted"
    )
    print(cpu_comparison("points redeem", redeem, floor))
    print(
        f"RESULT points balance_p95_ms={b95:.2f} redeem_p95_ms_20={r95:.1f} "
        f"floor_p95_ms_20={f95:.1f} redeem_rps_20={redeem.rps:.1f} violations={violations}"
    )


if __name__ == "__main__":
    main()
