#!/usr/bin/env bash
# make run: Odoo 19 with the three addons and demo data on http://localhost:8069,
# and the hardware proxy with a simulated printer and scanner. Ctrl-C stops all.
# A second run reuses the database in .data/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

DB="${VMS_DB:-vms}"
HTTP_PORT="${VMS_HTTP_PORT:-8069}"
PROXY_PORT="${VMS_PROXY_PORT:-8071}"
ADDONS="vms_loyalty,vms_pos,vms_hw_proxy"
PY="$ROOT/.venv/bin/python"

if ! odoo_present; then
    odoo_howto
    if [ -z "${VMS_NO_CLONE:-}" ] && timeout 20 git ls-remote --heads https://github.com/odoo/odoo.git 19.0 >/dev/null 2>&1; then
        say "cloning Odoo 19.0 into $ODOO_HOME (a few minutes)"
        git clone --depth 1 --branch 19.0 https://github.com/odoo/odoo.git "$ODOO_HOME"
        bash "$ROOT/scripts/venv.sh"
    else
        die "Odoo 19 is needed to run; the upstream repository is not reachable from here"
    fi
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$HTTP_PORT" "$PROXY_PORT"; do
    port_in_use "$p" && die "port $p is already in use (set VMS_HTTP_PORT / VMS_PROXY_PORT)"
done

mkdir -p .data
PG_PORT="$("$PY" scripts/pgcluster.py start .data)"
say "PostgreSQL on 127.0.0.1:$PG_PORT (data in .data/)"

pids=()
cleanup() {
    trap - INT TERM EXIT
    say "stopping"
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "$PY" scripts/pgcluster.py stop .data
    say "stopped"
}
trap cleanup INT TERM EXIT

odoo() {
    # A subcommand (shell) must come before the options.
    local sub=()
    if [ "${1:-}" = shell ]; then sub=(shell); shift; fi
    "$PY" "$ODOO_HOME/odoo-bin" "${sub[@]}" -c "$ROOT/odoo.conf" \
        --addons-path="$ODOO_HOME/addons,$ROOT/addons" \
        --db_port="$PG_PORT" --data-dir="$ROOT/.data/filestore" -d "$DB" "$@"
}

installed="$(PGHOST=127.0.0.1 PGPORT="$PG_PORT" PGUSER=odoo psql -d "$DB" -tAc \
    "SELECT count(*) FROM ir_module_module WHERE name IN ('vms_loyalty','vms_pos','vms_hw_proxy') AND state='installed'" 2>/dev/null || true)"
if [ "$installed" = "3" ] && [ ! -d "$ROOT/.data/filestore/filestore/$DB" ]; then
    # The database outlived its filestore (removed by hand, or an old
    # `make clean` that left the cluster behind): every image and asset
    # bundle it points to is gone, so start again from a fresh demo database.
    warn "database '$DB' has no filestore (.data/filestore/filestore/$DB is gone): recreating it"
    installed=0
fi
if [ "$installed" != "3" ]; then
    say "creating database '$DB' with the three addons and demo data (a few minutes, once)"
    rm -rf "$ROOT/.data/filestore/filestore/$DB"
    PGHOST=127.0.0.1 PGPORT="$PG_PORT" PGUSER=odoo dropdb --if-exists "$DB"
    odoo -i "$ADDONS" --with-demo --stop-after-init --logfile="$ROOT/.data/odoo-init.log" \
        || die "installing the addons failed, see .data/odoo-init.log"
fi

# The demo shop's till talks to our proxy (the address carries the port), and
# asks the holder's code (OTP) for personal vouchers of 50.00 or more.
odoo shell --no-http --logfile=/dev/null <<PYEOF >/dev/null
config = env.ref("point_of_sale.pos_config_main")
if not config.current_session_id:
    config.write({
        "is_posbox": True,
        "proxy_ip": "localhost:$PROXY_PORT",
        "iface_print_via_proxy": True,
        "iface_scan_via_proxy": True,
        "iface_cashdrawer": True,
    })
env.ref("base.main_company").write({"vms_otp_mandatory": True, "vms_otp_min_amount": 50.0})
env.cr.commit()
PYEOF

# The demo vouchers, club card and holder the till can be tried with.
demo_codes="$(PGHOST=127.0.0.1 PGPORT="$PG_PORT" PGUSER=odoo psql -d "$DB" -tA -c "
    SELECT rpad(v.code, 18) || lpad(to_char(COALESCE(v.balance, v.nominal_amount), 'FM999990.00'), 7)
           || '  ' || CASE d.name
             WHEN 'vms_pos_demo_voucher_bearer' THEN 'bearer voucher: anyone may pay with it'
             WHEN 'vms_pos_demo_voucher_personal'
               THEN p.name || '''s: from 50.00 it needs the OTP (see Simulated SMS)'
             ELSE p.name || '''s, only with the club card below' END
      FROM vms_voucher v
      JOIN ir_model_data d ON d.model = 'vms.voucher' AND d.res_id = v.id AND d.module = 'vms_pos'
      LEFT JOIN res_partner p ON p.id = v.partner_id
     ORDER BY v.nominal_amount" 2>/dev/null || true)"
demo_card="$(PGHOST=127.0.0.1 PGPORT="$PG_PORT" PGUSER=odoo psql -d "$DB" -tA -c "
    SELECT c.number FROM vms_card c JOIN ir_model_data d ON d.model = 'vms.card'
       AND d.res_id = c.id AND d.name = 'vms_pos_demo_card'" 2>/dev/null || true)"

"$ROOT/.venv/bin/vms-hw-proxy" --host 127.0.0.1 --port "$PROXY_PORT" --simulate \
    --receipts-dir "$ROOT/.data/receipts" &
pids+=($!)
# Only make run turns the simulated SMS gateway on: OTP messages go to
# /vms_pos/sms on this server, kept in its memory, never in the database or a log.
VMS_SMS_SIMULATOR=1 odoo --http-port="$HTTP_PORT" --logfile="$ROOT/.data/odoo.log" &
pids+=($!)

for _ in $(seq 1 120); do
    curl -fs -o /dev/null "http://localhost:$HTTP_PORT/web/login" && break
    sleep 1
done
cat <<MSG

  VMS is running.
    Odoo:            http://localhost:$HTTP_PORT        (log: .data/odoo.log)
    Settings:        http://localhost:$HTTP_PORT/odoo/settings#vms_loyalty
    Point of Sale:   http://localhost:$HTTP_PORT/odoo/action-point_of_sale.action_client_pos_menu
    Hardware proxy:  http://localhost:$PROXY_PORT/hw_proxy/hello   (printed receipts: .data/receipts/)
    Simulated SMS:   http://localhost:$HTTP_PORT/vms_pos/sms   (the OTP codes the till sends)
  Demo logins:       admin / admin (VMS Manager)    demo / demo (VMS User)

  At the till (Furniture Shop): pay with the Voucher tender, scan or type a code:
$(printf '%s\n' "$demo_codes" | sed 's/^/    /')
    club card of Ava Holder: $demo_card   (scan it, or Club Card on the product screen)
    a "Gift Voucher" product sells vouchers; bills of 100.00 or more earn one.
  Ctrl-C stops everything; the next 'make run' reuses the database.

MSG
wait -n "${pids[@]}"
