"""``python -m vms_hw_proxy_service``: same as the ``vms-hw-proxy`` command."""

import sys

from .cli import main

sys.exit(main())
