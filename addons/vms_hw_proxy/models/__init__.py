from . import pos_config
from . import res_config_settings
