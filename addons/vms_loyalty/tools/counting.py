"""Counts that must hold across concurrent requests and survive a refusal.

Wrong PINs, OTP attempts and OTP sends are counted *before* the check they
limit, on a connection of their own that commits at once, so that a refused
request's rollback gives nothing back and parallel requests cannot each get
the same last attempt. That connection runs READ COMMITTED: each statement
sees what others committed before it, so a count taken after waiting for a
lock is exact (a REPEATABLE READ snapshot would predate the wait).
"""

from contextlib import contextmanager

from odoo.sql_db import Cursor


@contextmanager
def counting_cursor(env):
    """A cursor of its own, READ COMMITTED, committed when the block ends."""
    with env.registry.cursor() as cr:
        # Under test, the registry may hand out a savepoint of the test's own
        # transaction instead of a connection (a TestCursor), which has run
        # queries already.
        if isinstance(cr, Cursor):
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        yield cr
