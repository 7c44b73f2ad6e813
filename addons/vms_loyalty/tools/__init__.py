from . import codes
from . import voucher_pdf
