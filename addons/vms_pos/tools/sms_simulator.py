"""A simulated SMS gateway for trying the till without an SMS account.

Enabled only when Odoo runs with ``VMS_SMS_SIMULATOR=1`` in its environment,
which ``make run`` sets. Messages are "delivered" to a short list kept in the
memory of the Odoo process (never the database, never a log) and shown on
``/vms_pos/sms`` to logged-in users; a restart forgets them.
"""

import threading
from collections import deque
from datetime import datetime, timezone

from odoo.addons.sms.tools.sms_api import SmsApiBase

KEPT = 50
_outbox = deque(maxlen=KEPT)
_lock = threading.Lock()


class SimulatedSmsApi(SmsApiBase):
    """``SmsApiBase`` that delivers to the in-memory outbox."""

    def _send_sms_batch(self, messages, delivery_reports_url=False):
        results = []
        now = datetime.now(timezone.utc)
        with _lock:
            for message in messages:
                for number in message["numbers"]:
                    _outbox.appendleft(
                        {
                            "at": now,
                            "number": number["number"],
                            "body": message["content"],
                            "company": self.company.name,
                        }
                    )
                    results.append({"uuid": number["uuid"], "state": "success", "credit": 0})
        return results


def delivered():
    """The messages delivered so far, newest first."""
    with _lock:
        return list(_outbox)


def clear():
    with _lock:
        _outbox.clear()
