from . import res_company
from . import res_config_settings
from . import vms_campaign
from . import vms_card
from . import vms_voucher_template
from . import vms_voucher
from . import vms_voucher_transaction
from . import vms_voucher_batch
