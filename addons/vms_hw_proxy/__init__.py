# The standalone proxy in service/ is a separate Python package
# (vms_hw_proxy_service) and is never imported by Odoo.
from . import controllers
from . import tools
from . import models
