from . import api
from . import panel
