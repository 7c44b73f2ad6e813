"""The proxy's link to Odoo (with --odoo-url and --bus-secret).

- ``bus``: a websocket to Odoo's bus, subscribed to the proxy's own channel,
  kept up with reconnects and backoff; print jobs arrive there;
- ``jobs``: fetches each job's image, prints it once, reports how it ended;
- ``journal``: the ids of printed jobs, on disk;
- ``reports``: status, scans and job results POSTed to Odoo;
- ``client``: those HTTP calls, on kept-alive connections;
- ``worker``: the thread the job runner and the reporter each run.
"""

import hashlib

CHANNEL_PREFIX = "vms_hw_proxy/"


def bus_channel(secret):
    """The bus channel of the proxy with this secret (Odoo computes the same).

    A digest rather than the secret itself, so that whoever reads the
    channel name (Odoo's bus table, a log) cannot report to Odoo as the proxy.
    """
    return CHANNEL_PREFIX + hashlib.sha256(f"vms-hw-proxy-bus:{secret}".encode()).hexdigest()
