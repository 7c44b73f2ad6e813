from . import vms_voucher_selection
from . import vms_voucher_generate
from . import vms_voucher_block
from . import vms_voucher_validity
from . import vms_channel_key
