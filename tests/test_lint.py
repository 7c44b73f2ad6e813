"""Lint is part of the test run: ruff everywhere, pylint-odoo's mandatory checks on addons."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd):
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_ruff_check():
    code, out = _run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert code == 0, out


def test_ruff_format():
    code, out = _run(str(BIN / "ruff"), "format", "--check", "--no-cache", ".")
    assert code == 0, out


def test_pylint_odoo_mandatory_checks():
    code, out = _run(
        str(BIN / "pylint"),
        "--rcfile=.pylintrc-mandatory",
        "--output-format=text",
        "addons/vms_loyalty",
        "addons/vms_pos",
        "addons/vms_hw_proxy",
    )
    assert code == 0, out
