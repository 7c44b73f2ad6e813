#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv with Odoo 19's own
# requirements from ODOO_HOME plus ours. Safe to run again: pip only installs
# what changed, and a stamp file skips the work when nothing did.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

PY="${PYTHON:-python3}"
VENV="$ROOT/.venv"

if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv in .venv"
    "$PY" -m venv "$VENV"
fi

ensure_debian_packages

stamp="$VENV/.vms-stamp"
want="$(cat "$ROOT/requirements.txt" "$ROOT/pyproject.toml" 2>/dev/null | sha256sum | cut -c1-16)"
if odoo_present; then
    want="$want-$(sha256sum "$ODOO_HOME/requirements.txt" | cut -c1-16)"
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi

# Some machines list local package mirrors that may be absent; pip warns about
# each one on every call, which only hides the lines that matter.
pip() {
    "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@" 2>&1 |
        { grep -v "WARNING: Location 'file://" || true; }
}
say "installing build tools"
# Odoo 19's pinned packages (gevent 22, psycopg2 2.9.5 ...) only build with
# setuptools < 70 and without build isolation.
pip install 'pip>=23' 'setuptools<70' 'setuptools_scm<9' wheel 'cython<3'
if odoo_present; then
    say "installing Odoo 19 requirements from $ODOO_HOME"
    # python-ldap needs the OpenLDAP headers and is only used by auth_ldap.
    grep -v -i '^python-ldap' "$ODOO_HOME/requirements.txt" > "$VENV/odoo-requirements.txt"
    pip install --no-build-isolation -r "$VENV/odoo-requirements.txt"
else
    warn "no Odoo 19 in $ODOO_HOME: only the project's own packages are installed"
fi
say "installing the project's requirements"
# Ours build in isolation: some (evdev) need a newer setuptools than Odoo's pins allow.
pip install -r "$ROOT/requirements.txt"
pip install --no-deps -e "$ROOT"
echo "$want" > "$stamp"
