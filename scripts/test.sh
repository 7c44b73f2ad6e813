#!/usr/bin/env bash
# Everything CI runs: lint, the pure-Python tests and the Odoo layer, one pytest run.
# The Odoo layer installs the addons with their tests on a throwaway cluster and
# database (see tests/odoo_layer); it prints "odoo layer: N tests, F failed, T tours".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"
if ! odoo_present; then
    warn "no Odoo 19 at ODOO_HOME=$ODOO_HOME: the Odoo layer will be reported as SKIPPED"
    odoo_howto
fi
start=$(date +%s)
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
echo "make test: wall time $(( $(date +%s) - start )) s"
exit $rc
