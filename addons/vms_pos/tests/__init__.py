from . import test_pos_tours
from . import test_pos_tender
from . import test_pos_sales
from . import test_pos_otp
from . import test_report
from . import test_report_tour
