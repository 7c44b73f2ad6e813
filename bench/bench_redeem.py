"""Benchmark of the redemption API under concurrent clients, on real Odoo 19.

One run, one throwaway PostgreSQL cluster, one Odoo server with ``--workers 2``:

- floor: Odoo's most trivial JSON-RPC route (``/web/webclient/version_info``);
- validate: ``POST /vms/api/v1/vouchers/validate``;
- redeem: ``POST /vms/api/v1/redeem`` (hold and confirm, an idempotency key each);
- full redeem: the same with a bill amount, three bill lines (items by barcode)
  and a club card, the proof a till's hold sends;
- baseline: the same flow with Odoo's own ``loyalty.card`` over its JSON-2 API
  (``search_read`` the code, then ``write`` the new points; no balance check);

each with 1, 8 and 20 clients on keep-alive connections for a fixed time. The
floor, redeem, validate and full redeem at 20 clients, which the goals
compare, run two more rounds in turn and the three rounds are pooled. Then 20 clients fight over 5
vouchers, and the invariant is checked in the database: no spent amount above
a nominal, every spent amount equal to its chronology, every confirmed
redemption with exactly one "using" row, and as many "using"
rows as the clients were told succeeded. A broken invariant fails the run.

Run: .venv/bin/python bench/bench_redeem.py   (make bench BENCH=redeem)
Last line: RESULT redeem redeem_p95_ms_20=.. floor_p95_ms_20=.. ... violations=..
"""

import itertools
import sys
import time
from functools import partial

from benchlib import Load, cpu_comparison, installed, percentile, psql, serving, shell

CLIENTS = (1, 8, 20)
VOUCHERS = 12000
CONTENDED = 5
ROUNDS = 3  # rounds of the floor and of redeem at 20 clients, pooled
DB = "vms_bench"

SETUP = r"""
import json
from functools import partial
env = env(context=dict(env.context, tracking_disable=True))
company = env.company
channel = env["vms.channel"].create({"name": "Vending machine 7", "kind": "vending"})
channel_key = channel._vms_generate_key("bench")
member = env["res.partner"].create({"name": "Bench Member"})
card = env["vms.card"].create({"partner_id": member.id, "state": "active"})
items = env["product.product"].create([
    {"name": f"Bench item {i}", "barcode": f"540000000{i:04d}", "list_price": 4.0}
    for i in range(3)
])
admin_key = env["res.users.apikeys"].with_user(env.ref("base.user_admin")).sudo()._generate(
    None, "bench", None)
campaign = env["vms.campaign"].create({"name": "Bench", "code": "BENCH", "state": "running"})
batch = env["vms.voucher.batch"].create({
    "campaign_id": campaign.id, "quantity": VOUCHERS, "nominal_amount": 10.0,
    "initial_state": "active",
})
batch._vms_generate_chunk()
vouchers = batch.voucher_ids
program = env["loyalty.program"].create({"name": "Bench cards", "program_type": "loyalty"})
cards = env["loyalty.card"].create([
    {"program_id": program.id, "points": 10.0} for _ in range(VOUCHERS)
])
env.cr.commit()
print("BENCH_SETUP " + json.dumps({
    "channel_key": channel_key, "admin_key": admin_key,
    "codes": vouchers.mapped("code"), "cards": cards.mapped("code"),
    "card": card.number, "items": items.mapped("barcode"),
    "currency": company.currency_id.name,
}))
"""


def main():
    with installed(
        "redeem", DB, "vms_loyalty,pos_loyalty", what="vms_loyalty and Odoo's loyalty for the POS"
    ) as (pg_port, data_dir):
        print("creating vouchers, cards, users and API keys ...", flush=True)
        data = shell(pg_port, DB, data_dir, SETUP.replace("VOUCHERS", str(VOUCHERS)), "BENCH_SETUP")
        with serving(pg_port, DB, data_dir) as base:
            results = run_loads(base, data)
            violations, checks = check_invariants(pg_port, results["accepted"])
    report(results, violations, checks)
    if violations:
        sys.exit("INVARIANT BROKEN: see the checks above")


def run_loads(base, data):
    api = {"Authorization": f"Bearer {data['channel_key']}"}
    admin = {"Authorization": f"Bearer {data['admin_key']}", "X-Odoo-Database": DB}
    codes, cards = data["codes"], data["cards"]
    accepted = {"redeem": 0}
    run_id = str(int(time.time()))
    # Every spending call takes the next voucher, whatever the cell: each is
    # worth ten of them, and none runs dry before the run ends.
    next_voucher = itertools.count()

    def floor(session, n):
        body = {"jsonrpc": "2.0", "method": "call", "params": {}, "id": n}
        return session.post(f"{base}/web/webclient/version_info", json=body).status_code

    def validate(session, n):
        body = {"code": codes[n % len(codes)], "amount": "1.00"}
        return session.post(
            f"{base}/vms/api/v1/vouchers/validate", json=body, headers=api
        ).status_code

    refusals = {}

    def spend(session, body):
        response = session.post(f"{base}/vms/api/v1/redeem", json=body, headers=api)
        if response.status_code != 200:
            code = response.json().get("error", {}).get("code", "?")
            refusals[(response.status_code, code)] = (
                refusals.get((response.status_code, code), 0) + 1
            )
        return response.status_code

    def redeem(session, n, pool=None, label="free"):
        code = pool[n % len(pool)] if pool else codes[next(next_voucher) % len(codes)]
        body = {
            "code": code,
            "amount": "1.00",
            "order_ref": f"BENCH/{n}",
            "idempotency_key": f"bench-{run_id}-{label}-{n}",
        }
        status = spend(session, body)
        if status == 200:
            accepted["redeem"] += 1
        return status

    def full_redeem(session, n, label="full"):
        body = {
            "code": codes[next(next_voucher) % len(codes)],
            "amount": "1.00",
            "order_ref": f"BENCH/F{n}",
            "idempotency_key": f"bench-{run_id}-full-{label}-{n}",
            "bill_amount": "12.00",
            "card": data["card"],
            "lines": [{"barcode": item, "qty": 1, "price_unit": "4.00"} for item in data["items"]],
        }
        status = spend(session, body)
        if status == 200:
            accepted["redeem"] += 1
        return status

    def baseline(session, n):
        code = cards[n % len(cards)]
        found = session.post(
            f"{base}/json/2/loyalty.card/search_read",
            json={"domain": [["code", "=", code]], "fields": ["points"]},
            headers=admin,
        )
        if found.status_code != 200 or not found.json():
            return found.status_code
        card = found.json()[0]
        return session.post(
            f"{base}/json/2/loyalty.card/write",
            json={"ids": [card["id"]], "vals": {"points": card["points"] - 1}},
            headers=admin,
        ).status_code

    # Warm the workers (registry, assets of the routes) before measuring.
    Load("warmup", 4, validate).run()
    rows = {}
    for name, call in (
        ("floor", floor),
        ("validate", validate),
        ("redeem", redeem),
        ("full", full_redeem),
        ("baseline", baseline),
    ):
        for clients in CLIENTS:
            cell = call if name not in ("redeem", "full") else partial(call, label=f"c{clients}")
            load = Load(name, clients, cell).run()
            rows[(name, clients)] = load
            print(load.row(), flush=True)
    # The goal compares redeem with the floor at 20 clients, and this machine
    # has slower and faster minutes: measure both again in alternating rounds
    # and pool the rounds, so that a slow minute weighs on both alike.
    rounds = {name: [rows[(name, 20)]] for name in ("floor", "redeem", "validate", "full")}
    for round_ in range(1, ROUNDS):
        for name, cell in (
            ("floor", floor),
            ("redeem", partial(redeem, label=f"r{round_}")),
            ("validate", validate),
            ("full", partial(full_redeem, label=f"r{round_}")),
        ):
            load = Load(name, 20, cell).run()
            rounds[name].append(load)
            print(load.row(), flush=True)
    for name, loads in rounds.items():
        rows[(f"{name}*", 20)] = loads[0].pooled(*loads[1:])
        print(rows[(f"{name}*", 20)].row(f"  ({len(loads)} rounds pooled)"), flush=True)
    contended = codes[:CONTENDED]
    fight = Load("contended", 20, partial(redeem, pool=contended, label="fight")).run()
    print(fight.row(), flush=True)
    print(f"refusals of spending calls (status, code): {refusals}", flush=True)
    return {"rows": rows, "fight": fight, "accepted": accepted["redeem"]}


INVARIANT_QUERIES = {
    "spent above nominal": "SELECT count(*) FROM vms_voucher WHERE spent_amount > nominal_amount",
    "spent differs from its chronology": """
        SELECT count(*) FROM vms_voucher v
         WHERE v.spent_amount <> COALESCE((
               SELECT SUM(CASE t.type WHEN 'reverse' THEN -t.amount ELSE t.amount END)
                 FROM vms_voucher_transaction t
                WHERE t.voucher_id = v.id AND t.state = 'recorded'
                  AND t.type IN ('use', 'remainder', 'reverse')), 0)""",
    "confirmed redemption without exactly one using row": """
        SELECT count(*) FROM vms_redemption r
         WHERE r.state = 'confirmed' AND (
               SELECT count(*) FROM vms_voucher_transaction t
                WHERE t.id = r.use_transaction_id AND t.type = 'use') <> 1""",
}


def check_invariants(pg_port, accepted):
    def scalar(sql):
        return int(psql(pg_port, DB, sql))

    checks = {name: scalar(sql) for name, sql in INVARIANT_QUERIES.items()}
    uses = scalar(
        "SELECT count(*) FROM vms_voucher_transaction WHERE type = 'use' AND channel = 'api'"
    )
    checks["clients told 'redeemed' minus using rows"] = abs(accepted - uses)
    return sum(checks.values()), checks


def report(results, violations, checks):
    rows = results["rows"]
    print()
    print("invariant checks (0 = held):")
    for name, count in checks.items():
        print(f"  {name:55s} {count}")
    redeem, floor, base = rows[("redeem*", 20)], rows[("floor*", 20)], rows[("baseline", 20)]
    validate, full = rows[("validate*", 20)], rows[("full*", 20)]
    r95, f95, b95, v95, u95 = (
        percentile(x.latencies, 95) for x in (redeem, floor, base, validate, full)
    )
    # Every measured call must have succeeded, or the figures mean nothing.
    errors = sum(
        n
        for key, load in rows.items()
        if not key[0].endswith("*")  # pooled rows repeat their rounds
        for code, n in load.statuses.items()
        if code != 200
    )
    if errors:
        print(f"WARNING: {errors} measured calls did not answer 200 (see the statuses above)")
    print(f"\nat 20 clients ({ROUNDS} rounds pooled), against the floor's p95 {f95:.1f} ms:")
    print(f"  redeem p95 {r95:.1f} ms = {r95 / f95:.2f}x (goal <= 1.5x)")
    print(
        f"  redeem {redeem.rps:.1f}/s = {redeem.rps / floor.rps:.2f}x the floor's "
        f"{floor.rps:.1f}/s (goal >= 0.6x); {redeem.rps / base.rps:.1f}x the baseline's"
    )
    print(f"  validate p95 {v95:.1f} ms = {v95 / f95:.2f}x (goal <= 1.5x)")
    print(f"  full-engine redeem p95 {u95:.1f} ms = {u95 / f95:.2f}x (goal <= 2x)")
    print(cpu_comparison("redeem", redeem, floor))
    print(cpu_comparison("full-engine redeem", full, floor))
    print(
        f"RESULT redeem redeem_p95_ms_20={r95:.1f} floor_p95_ms_20={f95:.1f} "
        f"floor_rps_20={floor.rps:.1f} redeem_rps_20={redeem.rps:.1f} "
        f"validate_p95_ms_20={v95:.1f} full_redeem_p95_ms_20={u95:.1f} "
        f"full_redeem_rps_20={full.rps:.1f} baseline_p95_ms_20={b95:.1f} "
        f"baseline_rps_20={base.rps:.1f} errors={errors} violations={violations}"
    )


if __name__ == "__main__":
    main()
