"""The ids of the Odoo print jobs this proxy printed, kept on disk.

Odoo sends a job again when the proxy subscribes anew (after a restart, or
when the done report was lost), so the proxy must remember what it printed
across restarts: one id a line, appended and flushed to disk (fsync) as soon
as the printer confirmed the job, before the done report goes to Odoo. A
proxy killed between the printer's confirmation and that write could print
the job once more; no other order of events prints twice.
"""

import hashlib
import logging
import os
import threading
from pathlib import Path

_logger = logging.getLogger(__name__)


class JobJournal:
    # Ids kept; Odoo never resends a job older than its expiry, far fewer than this.
    KEEP = 5000

    def __init__(self, state_dir, odoo_url):
        # One file per Odoo: job ids are only unique within one database.
        digest = hashlib.sha256(odoo_url.encode()).hexdigest()[:12]
        self.path = Path(state_dir) / f"printed-jobs-{digest}.txt"
        self._lock = threading.Lock()
        self._ids = []
        self._known = set()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            for line in self.path.read_text(encoding="ascii", errors="ignore").split():
                if line.isdigit():
                    self._remember(int(line))
        self._lines = len(self._ids)

    def _remember(self, job_id):
        if job_id not in self._known:
            self._known.add(job_id)
            self._ids.append(job_id)

    def __contains__(self, job_id):
        with self._lock:
            return job_id in self._known

    def add(self, job_id):
        with self._lock:
            if job_id in self._known:
                return
            self._remember(job_id)
            with open(self.path, "a", encoding="ascii") as handle:
                handle.write(f"{job_id}\n")
                handle.flush()
                os.fsync(handle.fileno())
            self._lines += 1
            if self._lines > 2 * self.KEEP:
                self._compact()

    def _compact(self):
        self._ids = self._ids[-self.KEEP :]
        self._known = set(self._ids)
        partial = self.path.with_suffix(".tmp")
        with open(partial, "w", encoding="ascii") as handle:
            handle.write("".join(f"{job_id}\n" for job_id in self._ids))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self.path)
        self._lines = len(self._ids)
