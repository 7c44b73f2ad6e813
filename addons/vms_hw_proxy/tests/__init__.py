from . import test_print_jobs
from . import test_proxy_status
from . import test_proxy_tour
