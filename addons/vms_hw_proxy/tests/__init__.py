from . import test_proxy_status
