# Shared helpers for the project's shell scripts (sourced, not run).
# ODOO_HOME: where Odoo 19.0 community lives (odoo-bin, odoo/, addons/).
ODOO_HOME="${ODOO_HOME:-$HOME/.cache/odoo-19.0}"
export ODOO_HOME

say()  { printf '\033[1;34m[vms]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[vms] WARNING:\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[1;31m[vms] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

odoo_present() {
    [ -f "$ODOO_HOME/odoo-bin" ] && [ -d "$ODOO_HOME/odoo/addons/base" ] && [ -f "$ODOO_HOME/requirements.txt" ]
}

odoo_howto() {
    cat >&2 <<MSG
No Odoo 19.0 community source at ODOO_HOME=$ODOO_HOME.
Provide one in either way:
  1. git clone --depth 1 --branch 19.0 https://github.com/odoo/odoo.git "$ODOO_HOME"
     (or point ODOO_HOME at an existing 19.0 checkout), then run the command again;
  2. or run everything in containers: docker compose -f docker/compose.yaml up
MSG
}

# System packages the project needs: PostgreSQL server binaries for the
# throwaway clusters, libpq headers to build psycopg2, zbar for pyzbar, poppler
# (pdftoppm) to rasterise PDF pages for the store printers, wkhtmltopdf for
# the QWeb PDF reports, and
# Debian's Chromium for the tours. Installed when missing and we are root.
DEBIAN_PACKAGES="postgresql libpq-dev libzbar0 chromium fonts-dejavu-core libmagic1 poppler-utils wkhtmltopdf"

ensure_debian_packages() {
    local missing=()
    local p
    for p in $DEBIAN_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        warn "missing system packages: ${missing[*]} (install them with apt-get as root)"
        return 0
    fi
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && { echo "$d"; }
    done | sort -V | tail -1
}
