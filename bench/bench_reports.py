"""Benchmark of the VMS reports on real Odoo 19 against Odoo's own POS analysis.

One run, one throwaway PostgreSQL cluster, vms_pos installed with demo data:

- setup, with bulk SQL: 4 stores (the company and three branches), 20
  campaigns, 250,000 vouchers with 1,000,000 chronology rows (generating,
  handing over, activating, using, spread over a year and the stores),
  100,000 members with 1,000,000 points moves (5 earnings, each a lot, and
  5 redemptions each), 200,000 paid POS orders of 3 lines (a fifth of them
  paid partly with a voucher) copied from a demo order; then VACUUM ANALYZE;
- each report is timed as the call Odoo 19's pivot view makes
  (``formatted_read_grouping_sets``: every combination of its row and column
  groupings), by a VMS Manager with all the stores allowed, the ORM cache
  cleared before each call, median of 5:
  the redemption summary by month and store, the campaign effect by campaign
  and month, the liability by company, store and kind; and Odoo's own POS
  order analysis (``report.pos.order``) by month and point of sale over the
  same orders.

Run: .venv/bin/python bench/bench_reports.py   (make bench BENCH=reports)
Last line: RESULT reports summary_s=.. campaign_s=.. liability_s=.. odoo_pos_report_s=..
worst_ratio=..
"""

import os
import time

from benchlib import installed, psql, shell

VOUCHERS = int(os.environ.get("VMS_BENCH_VOUCHERS", "250000"))  # 4 chronology rows each
MEMBERS = int(os.environ.get("VMS_BENCH_MEMBERS", "100000"))  # 10 points moves each
ORDERS = int(os.environ.get("VMS_BENCH_ORDERS", "200000"))  # 3 lines each
RUNS = 5
DB = "vms_bench_reports"

SETUP = r"""
import json
env = env(context=dict(env.context, tracking_disable=True))
cr = env.cr
company = env.company
stores = [company.id] + env["res.company"].create(
    [{"name": f"Bench Branch {n}", "parent_id": company.id} for n in range(1, 4)]).ids
# The VMS Manager who reads the reports works in every store.
env.ref("base.user_admin").company_ids |= env["res.company"].browse(stores)
campaigns = env["vms.campaign"].create(
    [{"name": f"Bench Campaign {n}", "code": f"BENCH{n}", "state": "running",
      "company_id": company.id, "max_vouchers_per_holder": 0} for n in range(20)]).ids
template = env["vms.voucher"].create(
    {"campaign_id": campaigns[0], "company_id": company.id, "nominal_amount": 50.0,
     "state": "active"})
env.flush_all()

def columns(table, skip):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table])
    return [c for (c,) in cr.fetchall() if c not in skip]

def copy_rows(table, template_id, count, overrides, series="n"):
    # Rows copied from a template (every NOT NULL column filled as Odoo would),
    # the overridden columns computed from the row number n (1..count).
    cols = columns(table, set(overrides) | {"id"})
    cr.execute(
        f'''INSERT INTO {table} ({", ".join([*overrides, *cols])})
            SELECT {", ".join([*overrides.values(), *("t." + c for c in cols)])}
              FROM {table} t, generate_series(1, %(count)s) {series}
             WHERE t.id = %(template)s ORDER BY {series}''',
        {"count": count, "template": template_id})

def reserve(sequence, count):
    cr.execute("SELECT nextval(%s)", [sequence])
    base = cr.fetchone()[0]
    cr.execute("SELECT setval(%s, %s)", [sequence, base + count])
    return base

NOW = "(now() at time zone 'UTC')"
# Vouchers: nominal 50, spent 20 (balance 30), valid for a year from their day.
vb = reserve("vms_voucher_id_seq", VOUCHERS)
copy_rows("vms_voucher", template.id, VOUCHERS, {
    "id": f"{vb} + n",
    "code": "'BR' || lpad(n::text, 10, '0')",
    "barcode": "NULL",
    "campaign_id": f"(ARRAY{campaigns})[1 + n %% 20]",
    "company_id": f"(ARRAY{stores})[1 + n %% 4]",
    "issue_date": f"{NOW} - make_interval(days => n %% 365)",
    "valid_from": f"({NOW} - make_interval(days => n %% 365))::date",
    "valid_to": f"({NOW} + make_interval(days => 365 - n %% 365))::date",
    "spent_amount": "CASE WHEN n %% 4 = 0 THEN 0 ELSE 20 END",
    "balance": "CASE WHEN n %% 4 = 0 THEN 50 ELSE 30 END",
})
cr.execute(
    f'''INSERT INTO vms_voucher_transaction
              (voucher_id, company_id, type, state, date, amount, bill_ref, bill_amount,
               store_id, user_id, channel)
       SELECT {vb} + n, (ARRAY{stores})[1 + n %% 4],
              (ARRAY['generate', 'hand_over', 'activate', 'use'])[k + 1], 'recorded',
              {NOW} - make_interval(days => n %% 365, hours => 3 - k),
              CASE k WHEN 0 THEN 50 WHEN 3 THEN 20 ELSE 0 END,
              CASE WHEN k = 3 THEN 'BENCH/' || n END, CASE WHEN k = 3 THEN 60 END,
              (ARRAY{stores})[1 + n %% 4], 2, 'pos'
         FROM generate_series(1, %(count)s) n, generate_series(0, 3) k
        ORDER BY n, k''',
    {"count": VOUCHERS})

# Members and their points: 5 earnings of 100 (lots, one expiring each
# month ahead), 5 redemptions of 50.
partner_template = env["res.partner"].create({"name": "Bench Template"})
program = env["vms.points.program"].search([("company_id", "=", company.id)])
if program:
    program.point_value = 0.01
else:
    env["vms.points.program"].create({"company_id": company.id, "point_value": 0.01})
env.flush_all()
copy_rows("res_partner", partner_template.id, MEMBERS, {
    "name": "'Bench Member ' || n", "complete_name": "'Bench Member ' || n"})
cr.execute(
    f'''INSERT INTO vms_points_account
              (partner_id, company_id, debt, create_uid, create_date, write_uid, write_date)
       SELECT id, %s, 0, 1, {NOW}, 1, {NOW}
         FROM res_partner WHERE name LIKE 'Bench Member %%' ORDER BY id''', [company.id])
cr.execute(
    "CREATE TEMP TABLE bench_account AS SELECT row_number() OVER (ORDER BY id) - 1 AS i, "
    "id AS account_id FROM vms_points_account")
mb = reserve("vms_points_move_id_seq", MEMBERS * 10)
cr.execute(
    f'''INSERT INTO vms_points_move
              (id, account_id, company_id, type, date, points, debt_change, expires_on,
               order_ref, bill_amount, store_id, user_id, channel)
       SELECT %(mb)s + a.i * 10 + k, a.account_id, %(company)s,
              CASE WHEN k < 5 THEN 'earn' ELSE 'redeem' END,
              {NOW} - make_interval(days => ((a.i + k * 30) %% 365)::int),
              CASE WHEN k < 5 THEN 100 ELSE -50 END, 0,
              CASE WHEN k < 5 THEN ({NOW})::date + 30 * (k + 1) END,
              'PTS/' || a.i || '/' || k, CASE WHEN k >= 5 THEN 40 END,
              (ARRAY{stores})[1 + (a.i + k) %% 4], 2, 'pos'
         FROM bench_account a, generate_series(0, 9) k''',
    {"mb": mb, "company": company.id})
cr.execute(
    '''INSERT INTO vms_points_lot (account_id, company_id, move_id, date, points, remaining,
                                   expires_on)
       SELECT account_id, company_id, id, date, points, 50, expires_on
         FROM vms_points_move WHERE id > %s AND type = 'earn' ORDER BY id''', [mb])

# POS orders: copies of a paid demo order with 3 lines and one payment each;
# every fifth order pays part of its bill with the voucher tender.
cr.execute(
    "SELECT o.id FROM pos_order o WHERE o.state IN ('paid', 'done') "
    "AND EXISTS (SELECT 1 FROM pos_order_line l WHERE l.order_id = o.id) "
    "AND EXISTS (SELECT 1 FROM pos_payment p WHERE p.pos_order_id = o.id) ORDER BY o.id LIMIT 1")
order_template = cr.fetchone()[0]
cr.execute("SELECT id FROM pos_order_line WHERE order_id = %s ORDER BY id LIMIT 1",
           [order_template])
line_template = cr.fetchone()[0]
cr.execute("SELECT id, session_id FROM pos_payment WHERE pos_order_id = %s ORDER BY id LIMIT 1",
           [order_template])
payment_template, session_id = cr.fetchone()
cr.execute("SELECT config_id FROM pos_session WHERE id = %s", [session_id])
config_id = cr.fetchone()[0]
voucher_method = env["pos.payment.method"].search(
    [("use_payment_terminal", "=", "vms_voucher"), ("company_id", "=", company.id)], limit=1)
ob = reserve("pos_order_id_seq", ORDERS)
copy_rows("pos_order", order_template, ORDERS, {
    "id": f"{ob} + n",
    "name": "'BENCH/' || n",
    "pos_reference": "'BENCH-' || n",
    "uuid": "md5('bench-order-' || n)",
    "access_token": "md5('bench-token-' || n)",
    "date_order": f"{NOW} - make_interval(days => n %% 365, mins => n %% 600)",
    "amount_total": "30 + n %% 7 * 10",
    "amount_paid": "30 + n %% 7 * 10",
    "state": "'paid'",
})
copy_rows("pos_order_line", line_template, ORDERS * 3, {
    "order_id": f"{ob} + (n + 2) / 3",
    "uuid": "md5('bench-line-' || n)",
    "qty": "1 + n %% 3",
    "price_subtotal_incl": "10",
})
copy_rows("pos_payment", payment_template, ORDERS, {
    "pos_order_id": f"{ob} + n",
    "uuid": "md5('bench-payment-' || n)",
    "amount": "30 + n %% 7 * 10",
})
if voucher_method:
    copy_rows("pos_payment", payment_template, ORDERS // 5, {
        "pos_order_id": f"{ob} + n * 5",
        "uuid": "md5('bench-voucher-payment-' || n)",
        "payment_method_id": str(voucher_method.id),
        "amount": "20",
    })
cr.execute("SELECT count(*) FROM vms_voucher_transaction")
rows = cr.fetchone()[0]
cr.execute("SELECT count(*) FROM vms_points_move")
moves = cr.fetchone()[0]
cr.execute("SELECT count(*) FROM pos_order WHERE name LIKE 'BENCH/%%'")
orders = cr.fetchone()[0]
cr.execute("SELECT count(*) FROM pos_order_line l JOIN pos_order o ON o.id = l.order_id "
           "WHERE o.name LIKE 'BENCH/%%'")
lines = cr.fetchone()[0]
env.cr.commit()
print("BENCH_SETUP " + json.dumps({
    "rows": rows, "moves": moves, "orders": orders, "lines": lines,
    "voucher_tender": bool(voucher_method), "config_id": config_id}))
"""

TIMING = r"""
import json, statistics, time
user = env.ref("base.user_admin")
# The manager's own companies (the bench's stores among them); the demo's
# branches the admin does not work in are not the manager's to read.
companies = user.company_ids.ids
env = env(user=user, context=dict(env.context, allowed_company_ids=companies, tz="UTC"))

def pivot_sets(rows, cols):
    # What the pivot view asks: every prefix of the rows with every prefix of the cols.
    return [rows[:i] + cols[:j] for i in range(len(rows) + 1) for j in range(len(cols) + 1)]

CALLS = {
    "summary": ("vms.report.redemption", pivot_sets(["date:month"], ["store_id"]),
                ["redemption_count:sum", "amount:sum", "points:sum", "__count"]),
    "campaign": ("vms.report.campaign", pivot_sets(["campaign_id"], ["date:month"]),
                 ["issued_count:sum", "handed_over_count:sum", "activated_count:sum",
                  "redeemed_count:sum", "redemption_rate:avg", "amount:sum", "__count"]),
    "liability": ("vms.report.liability", pivot_sets(["company_id", "store_id"], ["kind"]),
                  ["amount:sum", "__count"]),
    "odoo_pos_report": ("report.pos.order", pivot_sets(["date:month"], ["config_id"]),
                        ["price_total:sum", "product_qty:sum", "__count"]),
}
result = {}
for name, (model, sets, aggregates) in CALLS.items():
    Model = env[model]
    Model.formatted_read_grouping_sets([], sets, aggregates)  # warm
    times = []
    for _run in range(RUNS):
        env.invalidate_all()
        t0 = time.perf_counter()
        groups = Model.formatted_read_grouping_sets([], sets, aggregates)
        times.append(time.perf_counter() - t0)
        env.cr.rollback()
    result[name] = {"median": statistics.median(times), "times": times,
                    "groups": [len(g) for g in groups]}
print("BENCH_TIMING " + json.dumps(result))
"""


def main():
    cluster = installed("reports", DB, "vms_pos", "--with-demo", what="vms_pos with demo data")
    with cluster as (pg_port, data_dir):
        print(
            f"inserting {VOUCHERS * 4} chronology rows, {MEMBERS * 10} points moves, "
            f"{ORDERS} POS orders of 3 lines ...",
            flush=True,
        )
        t0 = time.monotonic()
        script = (
            SETUP.replace("VOUCHERS", str(VOUCHERS))
            .replace("MEMBERS", str(MEMBERS))
            .replace("ORDERS", str(ORDERS))
        )
        data = shell(pg_port, DB, data_dir, script, "BENCH_SETUP")
        print(f"  {data} in {time.monotonic() - t0:.0f} s; VACUUM ANALYZE ...", flush=True)
        psql(pg_port, DB, "VACUUM ANALYZE")
        timing = shell(pg_port, DB, data_dir, TIMING.replace("RUNS", str(RUNS)), "BENCH_TIMING")
        for name, figures in timing.items():
            runs = " ".join(f"{t:.3f}" for t in figures["times"])
            print(
                f"{name:16s} median {figures['median']:.3f} s  runs {runs}  "
                f"groups per set {figures['groups']}"
            )
        ours = {k: timing[k]["median"] for k in ("summary", "campaign", "liability")}
        odoo = timing["odoo_pos_report"]["median"]
        worst = max(ours.values()) / odoo
        print(
            f"RESULT reports summary_s={ours['summary']:.3f} campaign_s={ours['campaign']:.3f} "
            f"liability_s={ours['liability']:.3f} odoo_pos_report_s={odoo:.3f} "
            f"worst_ratio={worst:.2f}"
        )


if __name__ == "__main__":
    main()
