#!/usr/bin/env bash
# ruff (lint and format) on everything, pylint-odoo's mandatory checks on the addons.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/pylint --rcfile=.pylintrc-mandatory addons/vms_loyalty addons/vms_pos addons/vms_hw_proxy
echo "lint: ruff and pylint-odoo clean"
