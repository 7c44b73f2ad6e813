from . import vms_report_basket
from . import vms_report_liability
