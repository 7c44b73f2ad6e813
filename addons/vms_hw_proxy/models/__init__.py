from . import ir_websocket
from . import pos_config
from . import res_config_settings
from . import vms_hw_job
