from . import vms_voucher_print_store
