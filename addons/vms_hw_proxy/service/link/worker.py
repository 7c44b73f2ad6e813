"""The thread of the job runner and of the reporter: one daemon thread that runs
``_run`` until ``stop()``, woken through one condition that also guards the
state the other threads hand it."""

import threading


class Worker:
    """Subclasses set ``THREAD_NAME``, write ``_run`` (which returns once
    ``_stopping`` is set, checked under ``_cond``) and notify ``_cond`` when
    they hand the thread something to do."""

    THREAD_NAME = "odoo-link"

    def __init__(self, client):
        self.client = client
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name=self.THREAD_NAME, daemon=True)
        self._thread.start()

    def stop(self):
        """Wake the thread to stop, and wait for it: at most one call to Odoo more."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread:
            self._thread.join(self.client.timeout + 1)

    def _run(self):
        raise NotImplementedError
