from . import vms_report_redemption
from . import vms_report_campaign
from . import vms_report_operator_measures
from . import vms_report_operator
from . import vms_report_operator_flag
