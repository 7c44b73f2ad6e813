"""Read an Odoo server log the way OCA's checklog-odoo does.

A run is bad when a test failed or errored, when any ERROR or CRITICAL line was
logged, or when a traceback was printed, even if Odoo itself exited 0.
"""

import re
from dataclasses import dataclass, field

LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ "
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL|RUNBOT|\?) "
    r"(?P<db>\S+) (?P<logger>[\w.\-]+): (?P<message>.*)$"
)
TESTS_RESULT = re.compile(
    r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<tests>\d+) tests"
)
TOUR_SUCCEEDED = re.compile(r"\.browser: tour succeeded\s*$")


@dataclass
class OdooLogReport:
    tests: int = 0
    failed: int = 0
    errors: int = 0
    tours: int = 0
    result_seen: bool = False
    error_lines: list = field(default_factory=list)
    tracebacks: int = 0

    @property
    def ok(self):
        return (
            self.result_seen
            and self.tests > 0
            and self.failed == 0
            and self.errors == 0
            and not self.error_lines
            and not self.tracebacks
        )

    def summary_line(self):
        return (
            f"odoo layer: {self.tests} tests, {self.failed + self.errors} failed, "
            f"{self.tours} tours"
        )

    def problems(self, limit=30):
        """Human-readable reasons the run is bad, first lines first."""
        out = []
        if not self.result_seen:
            out.append("Odoo printed no test result line (did the tests run at all?)")
        elif self.tests == 0:
            out.append("Odoo ran 0 tests")
        if self.failed or self.errors:
            out.append(f"{self.failed} failed and {self.errors} errored tests")
        if self.tracebacks:
            out.append(f"{self.tracebacks} traceback(s) in the log")
        out.extend(self.error_lines[:limit])
        return out


def parse_odoo_log(lines):
    report = OdooLogReport()
    for raw in lines:
        line = raw.rstrip("\n")
        if line.startswith("Traceback (most recent call last)"):
            report.tracebacks += 1
            continue
        match = LOG_LINE.match(line)
        if not match:
            continue
        level, message = match["level"], match["message"]
        if level in ("ERROR", "CRITICAL"):
            report.error_lines.append(f"{level} {match['logger']}: {message}")
        if TOUR_SUCCEEDED.search(line):
            report.tours += 1
        result = TESTS_RESULT.search(message)
        if result and "when loading database" in message:
            # Odoo logs one cumulative line per database at the end of the run.
            report.result_seen = True
            report.tests = int(result["tests"])
            report.failed = int(result["failed"])
            report.errors = int(result["errors"])
    return report
