"""Project-wide pytest hooks: the Odoo layer's summary line before pytest's own."""

from odoo_layer.runner import ODOO_LAYER_KEY


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    line = config.stash.get(ODOO_LAYER_KEY, None)
    if line is None:
        return
    loud = not line.startswith("odoo layer:")
    terminalreporter.write_sep("=", "odoo layer", red=loud, bold=True)
    terminalreporter.write_line(
        line if not loud else f"odoo layer: SKIPPED — {line}", red=loud, bold=True
    )
