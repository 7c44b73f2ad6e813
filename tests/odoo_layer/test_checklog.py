"""The log reader must turn every kind of bad Odoo run into a failure."""

from .checklog import parse_odoo_log

# ruff: noqa: E501, W291  (real Odoo log lines are long and end with a space)

OK_LOG = """\
2026-11-23 09:00:00,001 42 INFO vms_test odoo.modules.loading: 80 modules loaded in 30.00s
2026-11-23 09:00:01,001 42 INFO vms_test odoo.addons.vms_pos.tests.test_pos_tours.browser: tour succeeded 
2026-11-23 09:00:02,001 42 INFO vms_test odoo.addons.vms_loyalty.tests.test_tours.browser: tour succeeded 
2026-11-23 09:00:03,001 42 WARNING vms_test odoo.modules.module: a harmless warning
2026-11-23 09:00:04,001 42 INFO vms_test odoo.tests.result: 0 failed, 0 error(s) of 12 tests when loading database 'vms_test'
"""


def test_clean_run_is_ok():
    report = parse_odoo_log(OK_LOG.splitlines())
    assert report.ok
    assert (report.tests, report.failed, report.errors, report.tours) == (12, 0, 0, 2)
    assert report.summary_line() == "odoo layer: 12 tests, 0 failed, 2 tours"


def test_failed_test_is_not_ok():
    log = OK_LOG.replace("0 failed, 0 error(s) of 12", "1 failed, 0 error(s) of 12")
    log += (
        "2026-11-23 09:00:05,001 42 ERROR vms_test odoo.addons.vms_loyalty.tests.test_settings: "
        "FAIL: TestLoyaltySettings.test_defaults\n"
    )
    report = parse_odoo_log(log.splitlines())
    assert not report.ok
    assert report.failed == 1
    assert report.summary_line() == "odoo layer: 12 tests, 1 failed, 2 tours"
    assert any("FAIL: TestLoyaltySettings.test_defaults" in p for p in report.problems())


def test_error_line_alone_is_not_ok():
    log = OK_LOG + (
        "2026-11-23 09:00:05,001 42 ERROR vms_test odoo.sql_db: bad query: SELECT 1/0\n"
    )
    report = parse_odoo_log(log.splitlines())
    assert report.failed == 0
    assert not report.ok
    assert report.error_lines == ["ERROR odoo.sql_db: bad query: SELECT 1/0"]


def test_critical_and_traceback_are_not_ok():
    log = OK_LOG + (
        "2026-11-23 09:00:05,001 42 CRITICAL vms_test odoo.service.server: Failed to initialize\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "ZeroDivisionError: division by zero\n"
    )
    report = parse_odoo_log(log.splitlines())
    assert not report.ok
    assert report.tracebacks == 1
    assert report.error_lines[0].startswith("CRITICAL odoo.service.server")


def test_no_result_line_or_no_tests_is_not_ok():
    no_result = [line for line in OK_LOG.splitlines() if "odoo.tests.result" not in line]
    assert not parse_odoo_log(no_result).ok
    zero = OK_LOG.replace("of 12 tests", "of 0 tests")
    report = parse_odoo_log(zero.splitlines())
    assert not report.ok
    assert "Odoo ran 0 tests" in report.problems()
