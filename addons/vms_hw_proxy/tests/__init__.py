from . import test_proxy_status
from . import test_proxy_tour
