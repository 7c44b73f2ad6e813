from . import test_print_jobs
from . import test_proxy_list_tour
from . import test_proxy_status
from . import test_proxy_tour
